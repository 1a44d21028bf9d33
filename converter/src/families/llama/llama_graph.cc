#include "families/llama/llama_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "convert_error.h"
#include "edgeformer/schema/entry_names.h"
#include "graph/graph_builder.h"
#include "graph/memory_planner.h"

namespace edgeformer::converter {

namespace {

namespace names = schema::names;

class LlamaGraphBuilder : GraphBuilder {
 public:
  LlamaGraphBuilder(const LlamaCheckpoint& ckpt, const GraphOptions& options, Graph& graph)
      : GraphBuilder(graph, options.weights), ckpt_(ckpt), c_(ckpt.config), options_(options) {}

  void build() {
    const int head_dim = c_.head_size();
    const int q_dim = head_dim * c_.heads, kv_dim = head_dim * c_.kv_heads;
    embedding_ = f32_weight("token_embedding", ckpt_.token_embedding, {c_.vocab_size, c_.dim});
    for (int l = 0; l < c_.layers; ++l) {
      const LlamaLayerWeights& w = ckpt_.layers[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      LayerIds ids;
      ids.attention_norm = f32_weight(p + "attention_norm", w.attention_norm, {c_.dim});
      ids.wq = linear_weight(p + "wq", w.wq, q_dim, c_.dim);
      ids.wk = linear_weight(p + "wk", w.wk, kv_dim, c_.dim);
      ids.wv = linear_weight(p + "wv", w.wv, kv_dim, c_.dim);
      ids.wo = linear_weight(p + "wo", w.wo, c_.dim, q_dim);
      ids.bq = bias(p + "bq", w.bq);
      ids.bk = bias(p + "bk", w.bk);
      ids.bv = bias(p + "bv", w.bv);
      ids.bo = bias(p + "bo", w.bo);
      ids.b_gate = bias(p + "b_gate", w.b_gate);
      ids.b_up = bias(p + "b_up", w.b_up);
      ids.b_down = bias(p + "b_down", w.b_down);
      ids.q_norm = bias(p + "q_norm", w.q_norm);
      ids.k_norm = bias(p + "k_norm", w.k_norm);
      ids.ffn_norm = f32_weight(p + "ffn_norm", w.ffn_norm, {c_.dim});
      ids.post_attention_norm = bias(p + "post_attention_norm", w.post_attention_norm);
      ids.post_ffn_norm = bias(p + "post_ffn_norm", w.post_ffn_norm);
      ids.w_gate = linear_weight(p + "w_gate", w.w_gate, c_.hidden_dim, c_.dim);
      ids.w_up = linear_weight(p + "w_up", w.w_up, c_.hidden_dim, c_.dim);
      ids.w_down = linear_weight(p + "w_down", w.w_down, c_.dim, c_.hidden_dim);
      ids.cache = kv_cache(p, c_.kv_heads, head_dim, options_.kv_cache, c_.sliding_window(l));
      layers_.push_back(ids);
    }
    final_norm_ = f32_weight("final_norm", ckpt_.final_norm, {c_.dim});
    rope_inverse_frequencies_ = bias("rope.inverse_frequencies", c_.rope_scaling.inverse_frequencies);
    rope_long_inverse_frequencies_ =
        bias("rope.long_inverse_frequencies", c_.rope_scaling.long_inverse_frequencies);
    classifier_ = ckpt_.classifier.empty()
                      ? tied_classifier(embedding_, ckpt_.token_embedding, c_.vocab_size, c_.dim)
                      : linear_weight("classifier", ckpt_.classifier, c_.vocab_size, c_.dim);

    const int prefill_rows = std::max(1, std::min(options_.prefill_rows, graph_.max_context));
    build_entry(names::kPrefill, prefill_rows);
    build_entry(names::kDecode, 1);
  }

 private:
  struct LayerIds {
    int attention_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
    int bq, bk, bv, bo, b_gate, b_up, b_down;  // -1: no bias
    int q_norm, k_norm;                        // -1: no per-head norm
    int post_attention_norm, post_ffn_norm;    // -1: no output norms
    KvCache cache;
  };

  // An f32 vector weight (a bias, a per-head norm), or -1 for none.
  int bias(const std::string& name, const std::vector<float>& values) {
    if (values.empty()) return -1;
    return f32_weight(name, values, {static_cast<int64_t>(values.size())});
  }

  // A layer's rotary embedding: theta, the style, and what rope_scaling made of them; Gemma 3's sliding layers
  // have their own base and no scaling.
  void set_rope(schema::AttentionOptionsT& attention, int layer) const {
    attention.rope_theta = c_.rope_theta;
    attention.rope_style = c_.rope_style;
    attention.rope_dim = c_.rope_dim;
    if (c_.local_rope_theta > 0.0f && c_.sliding_window(layer) > 0) {
      attention.rope_theta = c_.local_rope_theta;
      return;
    }
    attention.rope_inverse_frequencies = rope_inverse_frequencies_;
    attention.rope_long_inverse_frequencies = rope_long_inverse_frequencies_;
    attention.rope_original_context = c_.rope_scaling.original_context;
    attention.rope_dynamic_factor = c_.rope_scaling.dynamic_factor;
    attention.rope_attention_factor = c_.rope_scaling.attention_factor;
  }

  int rms_norm(const std::string& name, int x, int weight, bool dynamic, int cols = 0) {
    const int y = rows_tensor(name, cols > 0 ? cols : c_.dim, dynamic);
    schema::RmsNormOptionsT o;
    o.epsilon = c_.norm_epsilon;
    op({x, weight}, {y}, o);
    return y;
  }

  void build_entry(const std::string& name, int rows) {
    begin_entry(name, rows);
    const int head_dim = c_.head_size();

    const int tokens = activation(names::kTokens, DType::I32, {rows}, true);
    const int position = activation(names::kPosition, DType::I32, {1}, false);
    entry_->inputs = {tokens, position};
    int x = rows_tensor("embedding", c_.dim, true);
    schema::EmbeddingOptionsT embedding;
    embedding.scale = c_.embedding_scale;
    op({embedding_, tokens}, {x}, embedding);
    for (int l = 0; l < c_.layers; ++l) {
      const LayerIds& w = layers_[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      const int h = rms_norm(p + "attention_norm", x, w.attention_norm, true);
      int q = fully_connected(p + "q", h, w.wq, true, w.bq);
      int k = fully_connected(p + "k", h, w.wk, true, w.bk);
      if (w.q_norm >= 0) q = rms_norm(p + "q_norm", q, w.q_norm, true, c_.heads * head_dim);
      if (w.k_norm >= 0) k = rms_norm(p + "k_norm", k, w.k_norm, true, c_.kv_heads * head_dim);
      const int v = fully_connected(p + "v", h, w.wv, true, w.bv);
      const int attended = rows_tensor(p + "attention", c_.heads * head_dim, true);
      schema::AttentionOptionsT attention = attention_options(c_.heads, c_.kv_heads, head_dim);
      set_rope(attention, l);
      set_cache(attention, w.cache);
      attention.scale = c_.attention_scale;
      attention.logit_softcap = c_.attention_softcap;
      op({q, k, v, position}, {attended}, attention);
      int o = fully_connected(p + "o", attended, w.wo, true, w.bo);
      if (w.post_attention_norm >= 0) o = rms_norm(p + "post_attention_norm", o, w.post_attention_norm, true);
      x = add(p + "attention_residual", x, o, c_.dim);
      const int g = rms_norm(p + "ffn_norm", x, w.ffn_norm, true);
      const int gate = fully_connected(p + "gate", g, w.w_gate, true, w.b_gate);
      const int up = fully_connected(p + "up", g, w.w_up, true, w.b_up);
      const bool silu = c_.ffn_activation == schema::GateActivation::Silu;
      const int gated = rows_tensor(p + (silu ? "swiglu" : "geglu"), c_.hidden_dim, true);
      schema::SwiGluOptionsT glu;
      glu.activation = c_.ffn_activation;
      op({gate, up}, {gated}, glu);
      int ffn = fully_connected(p + "down", gated, w.w_down, true, w.b_down);
      if (w.post_ffn_norm >= 0) ffn = rms_norm(p + "post_ffn_norm", ffn, w.post_ffn_norm, true);
      x = add(p + "ffn_residual", x, ffn, c_.dim);
    }
    const int last = rows_tensor("last_row", c_.dim, false);
    op({x}, {last}, schema::LastRowOptionsT());
    const int normed = rms_norm("final_norm", last, final_norm_, false);
    int logits = fully_connected(c_.final_softcap > 0.0f ? "uncapped_logits" : names::kLogits, normed, classifier_,
                                 false);
    if (c_.final_softcap > 0.0f) {
      const int capped = rows_tensor(names::kLogits, c_.vocab_size, false);
      schema::SoftCapOptionsT cap;
      cap.cap = c_.final_softcap;
      op({logits}, {capped}, cap);
      logits = capped;
    }
    entry_->outputs = {logits};
    plan_entry(graph_, *entry_);
  }

  const LlamaCheckpoint& ckpt_;
  const LlamaConfig& c_;
  const GraphOptions& options_;
  int embedding_ = -1, final_norm_ = -1, classifier_ = -1;
  int rope_inverse_frequencies_ = -1, rope_long_inverse_frequencies_ = -1;
  std::vector<LayerIds> layers_;
};

}  // namespace

Graph build_llama_graph(const LlamaCheckpoint& checkpoint, const GraphOptions& options) {
  Graph graph;
  graph.architecture = checkpoint.config.architecture;
  graph.source = checkpoint.source;
  graph.quantization = weight_format_name(options.weights);
  graph.vocab_size = checkpoint.config.vocab_size;
  graph.hidden_size = checkpoint.config.dim;
  graph.layers = checkpoint.config.layers;
  graph.max_context = options.max_context > 0 ? options.max_context : checkpoint.config.max_context;
  graph.tokenizer = checkpoint.tokenizer;
  graph.entries.reserve(2);
  LlamaGraphBuilder(checkpoint, options, graph).build();
  return graph;
}

std::string describe_llama_layout(const LlamaCheckpoint& checkpoint, const Graph&) {
  const LlamaConfig& c = checkpoint.config;
  std::string line = c.architecture + ": dim " + std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) +
                     ", layers " + std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", kv heads " +
                     std::to_string(c.kv_heads) + ", vocab " + std::to_string(c.vocab_size);
  if (c.head_size() * c.heads != c.dim) line += ", head dim " + std::to_string(c.head_size());
  if (c.rotary_dim() != c.head_size()) line += ", rotary dim " + std::to_string(c.rotary_dim());
  const int windowed = int(std::count_if(c.sliding_windows.begin(), c.sliding_windows.end(), [](int w) { return w > 0; }));
  if (windowed > 0)
    line += ", sliding window " + std::to_string(*std::max_element(c.sliding_windows.begin(), c.sliding_windows.end())) +
            " on " + std::to_string(windowed) + " layers";
  const RopeScaling& r = c.rope_scaling;
  if (r.dynamic_factor > 0.0f) line += ", rope dynamic NTK";
  if (!r.long_inverse_frequencies.empty()) line += ", rope LongRoPE";
  else if (!r.inverse_frequencies.empty()) line += ", rope scaled";
  return line;
}

}  // namespace edgeformer::converter
