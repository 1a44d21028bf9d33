#include "families/bert/synthetic_bert.h"

#include "families/synthetic_spec.h"

namespace edgeformer::converter {

BertCheckpoint synthetic_bert(const std::string& spec) {
  auto v = parse_synthetic_spec(spec, {{"dim", 384}, {"layers", 6}, {"heads", 12}, {"ffn", 1536}, {"vocab", 30522},
                                       {"context", 512}, {"labels", -1}, {"seed", 1}});
  check_synthetic_heads(spec, v["dim"], v["heads"]);
  BertCheckpoint ckpt;
  ckpt.source = "synthetic:" + spec;
  BertConfig& c = ckpt.config;
  c.dim = int(v["dim"]), c.layers = int(v["layers"]), c.heads = int(v["heads"]), c.inner = int(v["ffn"]);
  c.vocab_size = int(v["vocab"]), c.positions = int(v["context"]), c.token_types = 2;
  std::mt19937 rng(static_cast<uint32_t>(v["seed"]));
  const size_t dim = c.dim, inner = c.inner;
  ckpt.word_embedding = synthetic_normal(rng, size_t(c.vocab_size) * dim);
  ckpt.position_embedding = synthetic_normal(rng, size_t(c.positions) * dim);
  ckpt.token_type_embedding = synthetic_normal(rng, 2 * dim);
  ckpt.embedding_norm_weight.assign(dim, 1.0f);
  ckpt.embedding_norm_bias.assign(dim, 0.0f);
  for (int l = 0; l < c.layers; ++l) {
    BertLayerWeights w;
    for (auto* m : {&w.wq, &w.wk, &w.wv, &w.wo}) *m = synthetic_normal(rng, dim * dim);
    for (auto* b : {&w.bq, &w.bk, &w.bv, &w.bo, &w.b_out, &w.attention_norm_bias, &w.output_norm_bias})
      b->assign(dim, 0.0f);
    w.attention_norm_weight.assign(dim, 1.0f);
    w.output_norm_weight.assign(dim, 1.0f);
    w.w_in = synthetic_normal(rng, inner * dim);
    w.b_in.assign(inner, 0.0f);
    w.w_out = synthetic_normal(rng, dim * inner);
    ckpt.layers.push_back(std::move(w));
  }
  if (v["labels"] > 0) {
    const size_t labels = size_t(v["labels"]);
    ckpt.pooler_weight = synthetic_normal(rng, dim * dim);
    ckpt.pooler_bias.assign(dim, 0.0f);
    ckpt.classifier_weight = synthetic_normal(rng, labels * dim);
    ckpt.classifier_bias.assign(labels, 0.0f);
    for (size_t i = 0; i < labels; ++i) ckpt.labels.push_back("LABEL_" + std::to_string(i));
  } else {
    ckpt.pooling = SentencePooling::kMean;
    ckpt.normalize = true;
  }
  ckpt.tokenizer_note = "synthetic model: random weights, no tokenizer (use run or bench)";
  return ckpt;
}

}  // namespace edgeformer::converter
