#include "families/llama/synthetic_llama.h"

#include <nlohmann/json.hpp>

#include "convert_error.h"
#include "families/llama/hf_rope_scaling.h"
#include "families/synthetic_spec.h"

namespace edgeformer::converter {

namespace {

// A key that is present (1) or absent (0).
bool flag(const std::string& spec, const std::map<std::string, long>& values, const std::string& key) {
  const long value = values.at(key);
  if (value > 1) throw ConvertError("--synthetic " + spec + ": " + key + " takes 1 (leave it out for none)");
  return value == 1;
}

}  // namespace

LlamaCheckpoint synthetic_llama(const std::string& spec) {
  const std::string arch = synthetic_architecture(spec);
  if (arch != "llama")
    throw ConvertError("--synthetic: architecture '" + arch + "' is not supported (llama, gpt2, bert)");
  // 0 and -1: not given.
  std::map<std::string, long> values = parse_synthetic_spec(
      spec, {{"dim", 288}, {"layers", 6}, {"heads", 6}, {"kv_heads", -1}, {"ffn", 768}, {"vocab", 32000},
             {"context", 1024}, {"seed", 1}, {"head_dim", 0}, {"theta", 10000}, {"tied", 0}, {"qkv_bias", 0},
             {"llama3_factor", 0}, {"original_context", 0}});
  LlamaCheckpoint ckpt;
  ckpt.source = "synthetic:" + spec;
  const std::string where = "--synthetic " + spec;
  LlamaConfig& c = ckpt.config;
  c.dim = static_cast<int>(values["dim"]);
  c.layers = static_cast<int>(values["layers"]);
  c.heads = static_cast<int>(values["heads"]);
  c.kv_heads = static_cast<int>(values["kv_heads"] > 0 ? values["kv_heads"] : values["heads"]);
  c.head_dim = static_cast<int>(values["head_dim"]);
  c.hidden_dim = static_cast<int>(values["ffn"]);
  c.vocab_size = static_cast<int>(values["vocab"]);
  c.max_context = static_cast<int>(values["context"]);
  c.rope_theta = static_cast<float>(values["theta"]);
  c.rope_style = schema::RopeStyle::Half;
  c.qkv_bias = flag(spec, values, "qkv_bias");
  const bool tied = flag(spec, values, "tied");
  check_llama_config(c, where);
  if (values["original_context"] > 0 && values["llama3_factor"] == 0)
    throw ConvertError(where + ": original_context goes with llama3_factor");
  if (values["llama3_factor"] > 0) {
    // The frequency table as the Hugging Face reader makes it from a Llama 3.x config.json.
    const nlohmann::json config = {
        {"rope_scaling",
         {{"rope_type", "llama3"},
          {"factor", values["llama3_factor"]},
          {"low_freq_factor", 1.0},
          {"high_freq_factor", 4.0},
          {"original_max_position_embeddings", values["original_context"] > 0 ? values["original_context"] : 8192}}}};
    c.rope_scaling = read_rope_scaling(config, where, c.rotary_dim(), c.rope_theta, c.max_context);
    check_llama_config(c, where);
  }

  std::mt19937 rng(static_cast<uint32_t>(values["seed"]));
  const size_t dim = c.dim, hidden = c.hidden_dim;
  const size_t q_dim = size_t(c.head_size()) * c.heads, kv_dim = size_t(c.head_size()) * c.kv_heads;
  ckpt.token_embedding = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  for (int l = 0; l < c.layers; ++l) {
    LlamaLayerWeights w;
    w.attention_norm.assign(dim, 1.0f);
    w.ffn_norm.assign(dim, 1.0f);
    w.wq = synthetic_normal(rng, q_dim * dim);
    w.wk = synthetic_normal(rng, kv_dim * dim);
    w.wv = synthetic_normal(rng, kv_dim * dim);
    w.wo = synthetic_normal(rng, dim * q_dim);
    if (c.qkv_bias) {
      w.bq = synthetic_normal(rng, q_dim);
      w.bk = synthetic_normal(rng, kv_dim);
      w.bv = synthetic_normal(rng, kv_dim);
    }
    w.w_gate = synthetic_normal(rng, hidden * dim);
    w.w_up = synthetic_normal(rng, hidden * dim);
    w.w_down = synthetic_normal(rng, dim * hidden);
    ckpt.layers.push_back(std::move(w));
  }
  ckpt.final_norm.assign(dim, 1.0f);
  if (!tied) ckpt.classifier = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  ckpt.tokenizer.bos_id = 1;
  ckpt.tokenizer.eos_id = 2;
  ckpt.tokenizer_note = "synthetic model: random weights, no tokenizer (use --prompt-ids)";
  return ckpt;
}

}  // namespace edgeformer::converter
