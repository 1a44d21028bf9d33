#include <chrono>
#include <cstdio>

#include "commands.h"
#include "json_writer.h"

namespace edgeformer::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int command_generate(int argc, char** argv) {
  Arguments args(argc, argv, {"--json", "--chat"});
  const long steps = args.get_int("-n", 256, 0, 1 << 24);
  const SamplerOptions sampling = sampler_options(args);
  const long threads = args.get_int("--threads", 1, 1, 256);
  if (!args.ok()) return fail(args.error());
  if (args.positionals().size() != 1) return fail("generate: expected one model path");
  if (args.has("--prompt") && args.has("--prompt-ids")) return fail("generate: give --prompt or --prompt-ids, not both");
  const bool json_output = args.has("--json");
  const bool chat = args.has("--chat");
  if (chat && !args.has("--prompt")) return fail("generate --chat: give the user's message with --prompt");
  if (args.has("--system") && !chat) return fail("generate: --system goes with --chat");

  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &model, &session, &load_ms); !s.ok())
    return fail(s.message());

  std::vector<int32_t> prompt;
  if (args.has("--prompt-ids")) {
    if (!parse_ids(args.get("--prompt-ids"), &prompt)) return fail("--prompt-ids: expected ids like 1,2,3");
  } else if (chat) {
    // One user message (after the system message, if any) laid out by the model's chat template.
    std::vector<ChatMessage> messages;
    if (args.has("--system")) messages.push_back({ChatRole::kSystem, args.get("--system")});
    messages.push_back({ChatRole::kUser, args.get("--prompt")});
    if (Status s = model->tokenize_chat(messages, ChatOptions(), &prompt); !s.ok()) return fail(s.message());
  } else if (args.has("--prompt")) {
    if (Status s = model->tokenize(args.get("--prompt"), true, &prompt); !s.ok()) return fail(s.message());
  } else {
    if (model->bos_id() < 0) return fail("this model names no BOS token: give --prompt-ids");
    prompt.push_back(model->bos_id());
  }

  const bool can_print = model->has_tokenizer();
  std::string text;
  auto emit = [&](int32_t previous, int32_t id) {
    if (!can_print) return;
    std::string piece;
    if (!model->detokenize(previous, id, &piece).ok()) return;
    text += piece;
    if (!json_output) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
  };
  // A chat's prompt is the template's layout, not text to echo.
  if (!json_output && !chat)
    for (size_t i = 0; i < prompt.size(); ++i) emit(i ? prompt[i - 1] : -1, prompt[i]);
  text.clear();

  Generator generator(*session, *model, sampling);
  std::vector<int32_t> generated;
  std::string stop_reason = "length";
  const auto prefill_start = Clock::now();
  if (Status s = generator.start(prompt.data(), prompt.size()); !s.ok()) return fail(s.message());
  const double prefill_seconds = seconds_since(prefill_start);
  double decode_seconds = 0;
  for (long i = 0; i < steps; ++i) {
    const auto start = Clock::now();
    const int32_t previous = generator.previous();
    int32_t next = -1;
    Generator::Stop stop = Generator::Stop::kNone;
    if (Status s = generator.next(&next, &stop); !s.ok()) return fail(s.message());
    if (i > 0) decode_seconds += seconds_since(start);
    if (stop != Generator::Stop::kNone) {
      stop_reason = stop == Generator::Stop::kEos ? "eos" : "context";
      break;
    }
    generated.push_back(next);
    emit(previous, next);
  }
  const size_t decode_steps = generated.empty() ? 0 : generated.size() - 1;
  const double prefill_tps = prompt.size() / prefill_seconds;
  const double decode_tps = decode_steps > 0 ? decode_steps / decode_seconds : 0.0;
  const ModelInfo& info = model->info();

  if (json_output) {
    JsonWriter json;
    json.begin_object().key("prompt_ids").begin_array();
    for (int32_t id : prompt) json.value(id);
    json.end_array().key("ids").begin_array();
    for (int32_t id : generated) json.value(id);
    json.end_array()
        .key("text").value(text)
        .key("stop").value(stop_reason)
        .key("load_ms").value(load_ms)
        .key("prefill_tokens").value(static_cast<uint64_t>(prompt.size()))
        .key("prefill_tokens_per_s").value(prefill_tps)
        .key("decode_tokens").value(static_cast<uint64_t>(decode_steps))
        .key("decode_tokens_per_s").value(decode_tps)
        .key("threads").value(static_cast<int64_t>(threads))
        .key("isa").value(info.kernel_isa)
        .key("arena_bytes").value(info.arena_bytes)
        .key("state_bytes").value(info.state_bytes)
        .key("peak_rss_bytes").value(peak_rss_bytes())
        .end_object();
    std::printf("%s\n", json.str().c_str());
  } else {
    std::fprintf(stderr,
                 "\n\nload %.2f ms | prefill %zu tokens, %.1f tokens/s | decode %zu tokens, %.1f tokens/s | "
                 "arena %llu B, KV cache %llu B | peak RSS %.1f MiB | %s kernels, %ld thread(s)\n",
                 load_ms, prompt.size(), prefill_tps, decode_steps, decode_tps,
                 static_cast<unsigned long long>(info.arena_bytes), static_cast<unsigned long long>(info.state_bytes),
                 peak_rss_bytes() / 1048576.0, info.kernel_isa.c_str(), threads);
  }
  return 0;
}

}  // namespace edgeformer::cli
