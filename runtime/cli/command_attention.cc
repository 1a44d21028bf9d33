// `attention`: runs a text through a model with attention capture on and shows which tokens each head attends to:
// JSON matrices, a PNG heatmap, a self-contained HTML page. Encoders capture their self-attention over the text;
// decoders over the prompt and, with -n, the tokens they generate; translation models translate, then run the
// translation teacher-forced to capture its cross-attention (target tokens over source tokens) or, with --kind,
// the encoder's or decoder's self-attention.
#include <cstdio>
#include <fstream>

#include "attention_html.h"
#include "attention_maps.h"
#include "attention_png.h"
#include "commands.h"

namespace edgeformer::cli {

namespace {

std::string piece_of(const Model& model, int32_t id) {
  std::string piece;
  if (!model.token_piece(id, &piece).ok() || piece.empty()) return "[" + std::to_string(id) + "]";
  return piece;
}

std::vector<std::string> pieces_of(const Model& model, const std::vector<int32_t>& ids) {
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.push_back(piece_of(model, id));
  return pieces;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status(StatusCode::kIoError, "cannot write " + path);
  return Status();
}

// The captured rows and columns that were used: the first `queries` rows and `keys` columns of each matrix of a
// capture laid out with c.max_queries x c.max_keys.
std::vector<float> used_part(const std::vector<float>& buffer, const AttentionCapture& c, size_t queries, size_t keys) {
  const size_t matrices = size_t(c.layer_end - c.layer_begin) * size_t(c.head_end - c.head_begin);
  std::vector<float> used;
  used.reserve(matrices * queries * keys);
  for (size_t m = 0; m < matrices; ++m)
    for (size_t q = 0; q < queries; ++q) {
      const float* row = buffer.data() + (m * c.max_queries + q) * c.max_keys;
      used.insert(used.end(), row, row + keys);
    }
  return used;
}

}  // namespace

int command_attention(int argc, char** argv) {
  Arguments args(argc, argv, {"--json"});
  const long threads = args.get_int("--threads", 1, 1, 256);
  const long generate = args.get_int("-n", 0, 0, 1 << 20);
  const long beams = args.get_int("--beam", 1, 1, 64);
  const long layer = args.get_int("--layer", -1, 0, 1 << 20);
  const long head = args.get_int("--head", -1, 0, 1 << 20);
  if (!args.ok()) return fail(args.error());
  const bool from_ids = args.has("--ids");
  if (args.positionals().size() != (from_ids ? 1u : 2u))
    return fail("attention: expected a model path and one text (or --ids 5,6,7)");
  if (!args.has("--json") && !args.has("--html") && !args.has("--png"))
    return fail("attention: nothing to write: give --json, --html FILE and/or --png FILE");
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  const std::string path = args.positionals()[0];
  if (Status s = open_session(path, threads, &model, &session, &load_ms); !s.ok()) return fail(s.message());

  const bool has_encoder = model->attention_shape(AttentionKind::kEncoder).layers > 0;
  const bool has_decoder = model->attention_shape(AttentionKind::kDecoder).layers > 0;
  const bool translation = has_encoder && has_decoder;
  AttentionKind kind = has_encoder && !has_decoder ? AttentionKind::kEncoder
                       : translation                ? AttentionKind::kCross
                                                    : AttentionKind::kDecoder;
  if (args.has("--kind")) {
    const std::string name = args.get("--kind");
    if (name == "encoder") kind = AttentionKind::kEncoder;
    else if (name == "decoder") kind = AttentionKind::kDecoder;
    else if (name == "cross") kind = AttentionKind::kCross;
    else return fail("--kind: expected encoder, decoder or cross, got '" + name + "'");
  }
  const AttentionShape shape = model->attention_shape(kind);
  if (shape.layers == 0) return fail("attention: this model has no attention of that --kind");
  if (layer >= shape.layers)
    return fail("--layer: the model has " + std::to_string(shape.layers) + " layers of this kind");
  if (head >= shape.heads) return fail("--head: the model has " + std::to_string(shape.heads) + " heads");

  std::vector<int32_t> input;
  if (from_ids) {
    if (!parse_ids(args.get("--ids"), &input)) return fail("--ids: expected ids like 5,6,7");
  } else if (Status s = model->tokenize(args.positionals()[1], true, &input); !s.ok()) {
    return fail(s.message());
  }
  truncate_keeping_last(&input, session->max_context());

  // Translation: the target first, without capture; then the capture runs it teacher-forced.
  std::vector<int32_t> target;
  if (translation) {
    Session::TranslateOptions options;
    options.beams = int(beams);
    options.max_tokens = size_t(generate);
    if (Status s = session->translate(input.data(), input.size(), options, &target); !s.ok()) return fail(s.message());
    target.insert(target.begin(), model->bos_id());
    if (target.size() > session->max_context()) target.resize(session->max_context());
  }
  const size_t decoder_rows = translation ? target.size() : input.size() + size_t(generate);
  AttentionCapture capture;
  capture.kind = kind;
  capture.layer_begin = layer >= 0 ? int(layer) : 0;
  capture.layer_end = layer >= 0 ? int(layer) + 1 : -1;
  capture.head_begin = head >= 0 ? int(head) : 0;
  capture.head_end = head >= 0 ? int(head) + 1 : -1;
  capture.max_queries = kind == AttentionKind::kEncoder ? input.size() : std::min(decoder_rows, session->max_context());
  capture.max_keys = kind == AttentionKind::kDecoder ? capture.max_queries : input.size();
  const size_t matrices = size_t(layer >= 0 ? 1 : shape.layers) * size_t(head >= 0 ? 1 : shape.heads);
  std::vector<float> buffer(matrices * capture.max_queries * capture.max_keys, 0.0f);
  capture.buffer = buffer.data();
  capture.buffer_floats = buffer.size();
  if (Status s = session->capture_attention(capture); !s.ok()) return fail(s.message());
  capture = *session->attention_capture();

  AttentionMaps maps;
  const size_t slash = path.find_last_of('/');
  maps.model = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t queries = 0;
  if (kind == AttentionKind::kEncoder) {
    maps.kind = "encoder";
    if (Status s = session->encode(input.data(), nullptr, nullptr, input.size()); !s.ok()) return fail(s.message());
    maps.queries = maps.keys = pieces_of(*model, input);
    queries = input.size();
  } else if (translation) {
    session->reset();
    if (Status s = session->encode(input.data(), nullptr, nullptr, input.size()); !s.ok()) return fail(s.message());
    if (Status s = session->prefill(target.data(), target.size()); !s.ok()) return fail(s.message());
    queries = target.size();
    if (kind == AttentionKind::kCross) {
      // Row i is the decoder's step that produced token i + 1: it is labelled with what it produced (EOS last).
      maps.kind = "cross";
      std::vector<int32_t> produced(target.begin() + 1, target.end());
      produced.push_back(model->eos_id());
      maps.queries = pieces_of(*model, produced);
      maps.keys = pieces_of(*model, input);
    } else {
      maps.kind = "decoder";
      maps.queries = maps.keys = pieces_of(*model, target);
    }
  } else {
    maps.kind = "decoder";
    if (Status s = session->prefill(input.data(), input.size()); !s.ok()) return fail(s.message());
    std::vector<int32_t> tokens = input;
    Sampler sampler(session->vocab_size(), sampler_options(args));
    if (!args.ok()) return fail(args.error());
    for (long i = 0; i < generate && tokens.size() < capture.max_queries; ++i) {
      const int32_t next = sampler.sample(session->logits());
      if (model->is_stop_id(next)) break;
      if (Status s = session->decode(next); !s.ok()) return fail(s.message());
      tokens.push_back(next);
    }
    maps.queries = maps.keys = pieces_of(*model, tokens);
    queries = tokens.size();
  }
  session->stop_attention_capture();
  for (int l = capture.layer_begin; l < capture.layer_end; ++l) maps.layers.push_back(l);
  for (int h = capture.head_begin; h < capture.head_end; ++h) maps.heads.push_back(h);
  maps.weights = used_part(buffer, capture, queries, maps.keys.size());

  if (args.has("--png"))
    if (Status s = write_attention_png(maps, 0, head >= 0 ? 0 : -1, args.get("--png")); !s.ok())
      return fail(s.message());
  if (args.has("--html"))
    if (Status s = write_file(args.get("--html"), attention_html(maps)); !s.ok()) return fail(s.message());
  if (args.has("--json")) std::printf("%s\n", attention_json(maps).c_str());
  return 0;
}

}  // namespace edgeformer::cli
