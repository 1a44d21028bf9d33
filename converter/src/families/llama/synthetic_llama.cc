#include "families/llama/synthetic_llama.h"

#include "convert_error.h"
#include "families/synthetic_spec.h"

namespace edgeformer::converter {

LlamaCheckpoint synthetic_llama(const std::string& spec) {
  const std::string arch = synthetic_architecture(spec);
  if (arch != "llama")
    throw ConvertError("--synthetic: architecture '" + arch + "' is not supported (llama, gpt2, bert)");
  std::map<std::string, long> values = parse_synthetic_spec(
      spec, {{"dim", 288}, {"layers", 6}, {"heads", 6}, {"kv_heads", -1}, {"ffn", 768}, {"vocab", 32000},
             {"context", 1024}, {"seed", 1}});
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
  ckpt.token_embedding = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  for (int l = 0; l < c.layers; ++l) {
    LlamaLayerWeights w;
    w.attention_norm.assign(dim, 1.0f);
    w.ffn_norm.assign(dim, 1.0f);
    w.wq = synthetic_normal(rng, dim * dim);
    w.wk = synthetic_normal(rng, kv_dim * dim);
    w.wv = synthetic_normal(rng, kv_dim * dim);
    w.wo = synthetic_normal(rng, dim * dim);
    w.w_gate = synthetic_normal(rng, hidden * dim);
    w.w_up = synthetic_normal(rng, hidden * dim);
    w.w_down = synthetic_normal(rng, dim * hidden);
    ckpt.layers.push_back(std::move(w));
  }
  ckpt.final_norm.assign(dim, 1.0f);
  ckpt.classifier = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  ckpt.tokenizer.bos_id = 1;
  ckpt.tokenizer.eos_id = 2;
  ckpt.tokenizer_note = "synthetic model: random weights, no tokenizer (use --prompt-ids)";
  return ckpt;
}

}  // namespace edgeformer::converter
