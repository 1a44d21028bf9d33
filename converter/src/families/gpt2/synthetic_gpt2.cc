#include "families/gpt2/synthetic_gpt2.h"

#include "families/synthetic_spec.h"

namespace edgeformer::converter {

Gpt2Checkpoint synthetic_gpt2(const std::string& spec) {
  auto v = parse_synthetic_spec(spec, {{"dim", 768}, {"layers", 12}, {"heads", 12}, {"ffn", 3072}, {"vocab", 50257},
                                       {"context", 1024}, {"seed", 1}});
  check_synthetic_heads(spec, v["dim"], v["heads"]);
  Gpt2Checkpoint ckpt;
  ckpt.source = "synthetic:" + spec;
  Gpt2Config& c = ckpt.config;
  c.dim = int(v["dim"]), c.layers = int(v["layers"]), c.heads = int(v["heads"]), c.inner = int(v["ffn"]);
  c.vocab_size = int(v["vocab"]), c.positions = int(v["context"]);
  std::mt19937 rng(static_cast<uint32_t>(v["seed"]));
  const size_t dim = c.dim, inner = c.inner;
  ckpt.token_embedding = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  ckpt.position_embedding = synthetic_normal(rng, size_t(c.positions) * dim);
  for (int l = 0; l < c.layers; ++l) {
    Gpt2LayerWeights w;
    w.ln1_weight.assign(dim, 1.0f), w.ln2_weight.assign(dim, 1.0f);
    w.ln1_bias.assign(dim, 0.0f), w.ln2_bias.assign(dim, 0.0f);
    for (auto* m : {&w.wq, &w.wk, &w.wv, &w.wo}) *m = synthetic_normal(rng, dim * dim);
    for (auto* b : {&w.bq, &w.bk, &w.bv, &w.bo, &w.b_proj}) b->assign(dim, 0.0f);
    w.w_fc = synthetic_normal(rng, inner * dim);
    w.b_fc.assign(inner, 0.0f);
    w.w_proj = synthetic_normal(rng, dim * inner);
    ckpt.layers.push_back(std::move(w));
  }
  ckpt.final_norm_weight.assign(dim, 1.0f);
  ckpt.final_norm_bias.assign(dim, 0.0f);
  ckpt.tokenizer.bos_id = ckpt.tokenizer.eos_id = c.vocab_size - 1;
  ckpt.tokenizer_note = "synthetic model: random weights, no tokenizer (use --prompt-ids)";
  return ckpt;
}

}  // namespace edgeformer::converter
