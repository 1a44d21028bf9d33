// `translate`: an encoder-decoder from a source text (or ids) to the target, greedy or with beam search.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "json_writer.h"

namespace edgeformer::cli {

int command_translate(int argc, char** argv) {
  Arguments args(argc, argv, {"--json"});
  const long beams = args.get_int("--beam", 1, 1, 64);
  const long max_tokens = args.get_int("-n", 0, 0, 1 << 24);
  const long threads = args.get_int("--threads", 1, 1, 256);
  if (!args.ok()) return fail(args.error());
  const bool from_ids = args.has("--source-ids");
  if (args.positionals().size() != (from_ids ? 1u : 2u))
    return fail("translate: expected a model path and one source text (or --source-ids 5,6,0)");
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &model, &session, &load_ms); !s.ok())
    return fail(s.message());

  std::vector<int32_t> source;
  if (from_ids) {
    if (!parse_ids(args.get("--source-ids"), &source)) return fail("--source-ids: expected ids like 5,6,0");
  } else if (Status s = model->tokenize(args.positionals()[1], true, &source); !s.ok()) {
    return fail(s.message());
  }
  const size_t capacity = session->max_context();
  truncate_keeping_last(&source, capacity);
  const auto start = std::chrono::steady_clock::now();
  Session::TranslateOptions options;
  options.beams = static_cast<int>(beams);
  options.max_tokens = static_cast<size_t>(max_tokens);
  std::vector<int32_t> target;
  if (Status s = session->translate(source.data(), source.size(), options, &target); !s.ok()) return fail(s.message());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string text;
  if (model->has_tokenizer())
    if (Status s = model->translation_text(target, &text); !s.ok()) return fail(s.message());
  if (args.has("--json")) {
    JsonWriter json;
    json.begin_object().key("source_ids").begin_array();
    for (int32_t id : source) json.value(id);
    json.end_array().key("ids").begin_array();
    for (int32_t id : target) json.value(id);
    json.end_array().key("text").value(text).key("beams").value(static_cast<int>(beams));
    json.key("load_ms").value(load_ms).key("seconds").value(seconds).end_object();
    std::printf("%s\n", json.str().c_str());
  } else if (model->has_tokenizer()) {
    std::printf("%s\n", text.c_str());
  } else {
    for (size_t i = 0; i < target.size(); ++i) std::printf(i ? ",%d" : "%d", target[i]);
    std::printf("\n");
  }
  return 0;
}

}  // namespace edgeformer::cli
