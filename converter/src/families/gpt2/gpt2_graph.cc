#include "families/gpt2/gpt2_graph.h"

#include <algorithm>

#include "convert_error.h"
#include "edgeformer/schema/entry_names.h"
#include "graph/graph_builder.h"
#include "graph/memory_planner.h"

namespace edgeformer::converter {

namespace {

namespace names = schema::names;

// Pre-LayerNorm blocks: x += attn(ln_1(x)); x += mlp(ln_2(x)), with learned absolute positions added to the token
// embeddings, biases on every linear layer, GELU (tanh), and the classifier tied to the token embeddings.
class Gpt2GraphBuilder : GraphBuilder {
 public:
  Gpt2GraphBuilder(const Gpt2Checkpoint& ckpt, const GraphOptions& options, Graph& graph)
      : GraphBuilder(graph, options.weights), ckpt_(ckpt), c_(ckpt.config), options_(options) {}

  void build() {
    embedding_ = f32_weight("token_embedding", ckpt_.token_embedding, {c_.vocab_size, c_.dim});
    positions_ = f32_weight("position_embedding", ckpt_.position_embedding, {c_.positions, c_.dim});
    const int head_dim = c_.dim / c_.heads;
    for (int l = 0; l < c_.layers; ++l) {
      const Gpt2LayerWeights& w = ckpt_.layers[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      LayerIds ids;
      ids.ln1_weight = f32_weight(p + "ln_1.weight", w.ln1_weight, {c_.dim});
      ids.ln1_bias = f32_weight(p + "ln_1.bias", w.ln1_bias, {c_.dim});
      ids.wq = linear_weight(p + "wq", w.wq, c_.dim, c_.dim);
      ids.bq = f32_weight(p + "bq", w.bq, {c_.dim});
      ids.wk = linear_weight(p + "wk", w.wk, c_.dim, c_.dim);
      ids.bk = f32_weight(p + "bk", w.bk, {c_.dim});
      ids.wv = linear_weight(p + "wv", w.wv, c_.dim, c_.dim);
      ids.bv = f32_weight(p + "bv", w.bv, {c_.dim});
      ids.wo = linear_weight(p + "wo", w.wo, c_.dim, c_.dim);
      ids.bo = f32_weight(p + "bo", w.bo, {c_.dim});
      ids.ln2_weight = f32_weight(p + "ln_2.weight", w.ln2_weight, {c_.dim});
      ids.ln2_bias = f32_weight(p + "ln_2.bias", w.ln2_bias, {c_.dim});
      ids.w_fc = linear_weight(p + "w_fc", w.w_fc, c_.inner, c_.dim);
      ids.b_fc = f32_weight(p + "b_fc", w.b_fc, {c_.inner});
      ids.w_proj = linear_weight(p + "w_proj", w.w_proj, c_.dim, c_.inner);
      ids.b_proj = f32_weight(p + "b_proj", w.b_proj, {c_.dim});
      ids.cache = kv_cache(p, c_.heads, head_dim, options_.kv_cache);
      layers_.push_back(ids);
    }
    final_weight_ = f32_weight("ln_f.weight", ckpt_.final_norm_weight, {c_.dim});
    final_bias_ = f32_weight("ln_f.bias", ckpt_.final_norm_bias, {c_.dim});
    classifier_ = tied_classifier(embedding_, ckpt_.token_embedding, c_.vocab_size, c_.dim);
    const int prefill_rows = std::max(1, std::min(options_.prefill_rows, graph_.max_context));
    build_entry(names::kPrefill, prefill_rows);
    build_entry(names::kDecode, 1);
  }

 private:
  struct LayerIds {
    int ln1_weight, ln1_bias, wq, bq, wk, bk, wv, bv, wo, bo, ln2_weight, ln2_bias, w_fc, b_fc, w_proj, b_proj;
    KvCache cache;
  };

  void build_entry(const std::string& name, int rows) {
    begin_entry(name, rows);
    const int head_dim = c_.dim / c_.heads;
    const int tokens = activation(names::kTokens, DType::I32, {rows}, true);
    const int position = activation(names::kPosition, DType::I32, {1}, false);
    entry_->inputs = {tokens, position};
    const int embedded = rows_tensor("embedding", c_.dim, true);
    op({embedding_, tokens}, {embedded}, schema::EmbeddingOptionsT());
    int x = rows_tensor("embedding_positions", c_.dim, true);
    op({embedded, positions_, position}, {x}, schema::PositionEmbeddingOptionsT());
    for (int l = 0; l < c_.layers; ++l) {
      const LayerIds& w = layers_[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      const int h = layer_norm(p + "ln_1", x, w.ln1_weight, w.ln1_bias, c_.epsilon, true);
      const int q = fully_connected(p + "q", h, w.wq, true, w.bq);
      const int k = fully_connected(p + "k", h, w.wk, true, w.bk);
      const int v = fully_connected(p + "v", h, w.wv, true, w.bv);
      const int attended = rows_tensor(p + "attention", c_.dim, true);
      schema::AttentionOptionsT attention = attention_options(c_.heads, c_.heads, head_dim);
      set_cache(attention, w.cache);
      op({q, k, v, position}, {attended}, attention);
      x = add(p + "attention_residual", x, fully_connected(p + "o", attended, w.wo, true, w.bo), c_.dim);
      const int g = layer_norm(p + "ln_2", x, w.ln2_weight, w.ln2_bias, c_.epsilon, true);
      const int fc = fully_connected(p + "fc", g, w.w_fc, true, w.b_fc);
      const int gelu = rows_tensor(p + "gelu", c_.inner, true);
      op({fc}, {gelu}, schema::GeluOptionsT());
      x = add(p + "mlp_residual", x, fully_connected(p + "proj", gelu, w.w_proj, true, w.b_proj), c_.dim);
    }
    const int last = rows_tensor("last_row", c_.dim, false);
    op({x}, {last}, schema::LastRowOptionsT());
    const int normed = layer_norm("ln_f", last, final_weight_, final_bias_, c_.epsilon, false);
    const int logits = fully_connected(names::kLogits, normed, classifier_, false);
    entry_->outputs = {logits};
    plan_entry(graph_, *entry_);
  }

  const Gpt2Checkpoint& ckpt_;
  const Gpt2Config& c_;
  const GraphOptions& options_;
  int embedding_ = -1, positions_ = -1, final_weight_ = -1, final_bias_ = -1, classifier_ = -1;
  std::vector<LayerIds> layers_;
};

}  // namespace

Graph build_gpt2_graph(const Gpt2Checkpoint& checkpoint, const GraphOptions& options) {
  Graph graph;
  graph.architecture = "gpt2";
  graph.source = checkpoint.source;
  graph.quantization = weight_format_name(options.weights);
  graph.vocab_size = checkpoint.config.vocab_size;
  graph.hidden_size = checkpoint.config.dim;
  graph.layers = checkpoint.config.layers;
  // Positions past the learned table have no embedding: the context stops there.
  graph.max_context = options.max_context > 0 ? std::min(options.max_context, checkpoint.config.positions)
                                               : checkpoint.config.positions;
  graph.tokenizer = checkpoint.tokenizer;
  graph.entries.reserve(2);
  Gpt2GraphBuilder(checkpoint, options, graph).build();
  return graph;
}

}  // namespace edgeformer::converter
