#include "synthetic_llama.h"

#include <map>
#include <random>
#include <sstream>

#include "convert_error.h"

namespace edgeformer::converter {

namespace {

// Weights ~ N(0, 0.02) as in GPT-2 / LLaMA initialization; norms start at 1.
std::vector<float> normal(std::mt19937& rng, size_t count) {
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

}  // namespace

LlamaCheckpoint synthetic_llama(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string arch = spec.substr(0, colon);
  if (arch != "llama")
    throw ConvertError("--synthetic: architecture '" + arch + "' is not supported (llama)");
  std::map<std::string, long> values = {{"dim", 288},  {"layers", 6},    {"heads", 6},   {"kv_heads", -1},
                                        {"ffn", 768},  {"vocab", 32000}, {"context", 1024}, {"seed", 1}};
  std::stringstream items(colon == std::string::npos ? "" : spec.substr(colon + 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || !values.count(key))
      throw ConvertError("--synthetic: '" + item + "' is not key=value with a key among dim, layers, heads, " +
                         "kv_heads, ffn, vocab, context, seed");
    char* end = nullptr;
    const long value = std::strtol(item.c_str() + eq + 1, &end, 10);
    if (*end != '\0' || value <= 0 || value > (1L << 24))
      throw ConvertError("--synthetic: " + key + " must be a positive integer, found '" + item.substr(eq + 1) + "'");
    values[key] = value;
  }
  LlamaCheckpoint ckpt;
  ckpt.source = "synthetic:" + spec;
  LlamaConfig& c = ckpt.config;
  c.dim = static_cast<int>(values["dim"]);
  c.layers = static_cast<int>(values["layers"]);
  c.heads = static_cast<int>(values["heads"]);
  c.kv_heads = static_cast<int>(values["kv_heads"] > 0 ? values["kv_heads"] : values["heads"]);
  c.hidden_dim = static_cast<int>(values["ffn"]);
  c.vocab_size = static_cast<int>(values["vocab"]);
  c.max_context = static_cast<int>(values["context"]);
  c.rope_style = schema::RopeStyle::Half;
  check_llama_config(c, "--synthetic " + spec);

  std::mt19937 rng(static_cast<uint32_t>(values["seed"]));
  const size_t dim = c.dim, hidden = c.hidden_dim, kv_dim = size_t(c.dim / c.heads) * c.kv_heads;
  ckpt.token_embedding = normal(rng, size_t(c.vocab_size) * dim);
  for (int l = 0; l < c.layers; ++l) {
    LlamaLayerWeights w;
    w.attention_norm.assign(dim, 1.0f);
    w.ffn_norm.assign(dim, 1.0f);
    w.wq = normal(rng, dim * dim);
    w.wk = normal(rng, kv_dim * dim);
    w.wv = normal(rng, kv_dim * dim);
    w.wo = normal(rng, dim * dim);
    w.w_gate = normal(rng, hidden * dim);
    w.w_up = normal(rng, hidden * dim);
    w.w_down = normal(rng, dim * hidden);
    ckpt.layers.push_back(std::move(w));
  }
  ckpt.final_norm.assign(dim, 1.0f);
  ckpt.classifier = normal(rng, size_t(c.vocab_size) * dim);
  ckpt.tokenizer.bos_id = 1;
  ckpt.tokenizer.eos_id = 2;
  ckpt.tokenizer_note = "synthetic model: random weights, no tokenizer (use --prompt-ids)";
  return ckpt;
}

}  // namespace edgeformer::converter
