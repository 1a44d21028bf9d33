#include "families/marian/marian_graph.h"

#include <algorithm>
#include <cmath>

#include "edgeformer/schema/entry_names.h"
#include "graph/graph_builder.h"
#include "graph/memory_planner.h"

namespace edgeformer::converter {

namespace {

namespace names = schema::names;

// Post-LayerNorm layers: x = LN(x + attention(x)) [decoder: x = LN(x + cross_attention(x, source))];
// x = LN(x + fc2(act(fc1(x)))). Token embeddings (shared by encoder, decoder and the classifier) are scaled by
// sqrt(d_model) and added to sinusoidal positions.
class MarianGraphBuilder : GraphBuilder {
 public:
  MarianGraphBuilder(const MarianCheckpoint& ckpt, const GraphOptions& options, Graph& graph)
      : GraphBuilder(graph, options.weights), ckpt_(ckpt), c_(ckpt.config), options_(options) {}

  void build() {
    const int dim = c_.dim, context = graph_.max_context;
    embedding_ = f32_weight("shared_embedding", ckpt_.shared_embedding, {c_.vocab_size, dim});
    positions_ = f32_weight("sinusoidal_positions", sinusoidal_positions(context, dim), {context, dim});
    graph_.params -= size_t(context) * dim;  // computed, not learned
    for (int l = 0; l < c_.encoder_layers; ++l)
      encoder_.push_back(layer("encoder." + std::to_string(l) + ".", ckpt_.encoder[l], c_.encoder_ffn, false));
    for (int l = 0; l < c_.decoder_layers; ++l) {
      const std::string p = "decoder." + std::to_string(l) + ".";
      LayerIds ids = layer(p, ckpt_.decoder[l], c_.decoder_ffn, true);
      ids.cache = kv_cache(p, c_.decoder_heads, dim / c_.decoder_heads, options_.kv_cache);
      ids.cross_k = state(p + "cross_k", {context, dim}, DType::F32);
      ids.cross_v = state(p + "cross_v", {context, dim}, DType::F32);
      decoder_.push_back(ids);
    }
    source_mask_ = state("source_mask", {context}, DType::I32);
    logits_bias_ = f32_weight("final_logits_bias", ckpt_.final_logits_bias, {c_.vocab_size});
    classifier_ = tied_classifier(embedding_, ckpt_.shared_embedding, c_.vocab_size, dim);
    build_encode(context);
    build_decoder(names::kPrefill, std::max(1, std::min(options_.prefill_rows, context)));
    build_decoder(names::kDecode, 1);
  }

 private:
  struct Linear {
    int weight = -1, bias = -1;
  };
  struct Norm {
    int weight = -1, bias = -1;
  };
  struct Attention {
    Linear q, k, v, o;
    Norm norm;
  };
  struct LayerIds {
    Attention self, cross;
    Linear fc1, fc2;
    Norm final_norm;
    KvCache cache;
    int cross_k = -1, cross_v = -1;
  };

  Linear linear(const std::string& name, const std::vector<float>& w, const std::vector<float>& b, int n, int k) {
    return {linear_weight(name, w, n, k), f32_weight(name + ".bias", b, {n})};
  }
  Norm norm_weights(const std::string& name, const std::vector<float>& w, const std::vector<float>& b) {
    return {f32_weight(name + ".weight", w, {c_.dim}), f32_weight(name + ".bias", b, {c_.dim})};
  }
  Attention attention_weights(const std::string& p, const MarianAttentionWeights& w) {
    const int d = c_.dim;
    return {linear(p + "q", w.wq, w.bq, d, d), linear(p + "k", w.wk, w.bk, d, d), linear(p + "v", w.wv, w.bv, d, d),
            linear(p + "o", w.wo, w.bo, d, d), norm_weights(p + "norm", w.norm_weight, w.norm_bias)};
  }
  LayerIds layer(const std::string& p, const MarianLayerWeights& w, int ffn, bool decoder) {
    LayerIds ids;
    ids.self = attention_weights(p + "self_attention.", w.self_attention);
    if (decoder) ids.cross = attention_weights(p + "cross_attention.", w.cross_attention);
    ids.fc1 = linear(p + "fc1", w.w1, w.b1, ffn, c_.dim);
    ids.fc2 = linear(p + "fc2", w.w2, w.b2, c_.dim, ffn);
    ids.final_norm = norm_weights(p + "final_norm", w.final_norm_weight, w.final_norm_bias);
    return ids;
  }

  int dense(const std::string& name, int x, const Linear& l) {
    return fully_connected(name, x, l.weight, true, l.bias);
  }
  int norm(const std::string& name, int x, const Norm& n) { return layer_norm(name, x, n.weight, n.bias, 1e-5f, true); }

  // Token embeddings scaled as the model was trained, plus sinusoidal positions (from `position` when given).
  int embed(int tokens, int position) {
    const int embedded = rows_tensor("embedding", c_.dim, true);
    schema::EmbeddingOptionsT lookup;
    lookup.scale = c_.scale_embedding ? std::sqrt(static_cast<float>(c_.dim)) : 1.0f;
    op({embedding_, tokens}, {embedded}, lookup);
    const int positioned = rows_tensor("embedding_positions", c_.dim, true);
    std::vector<int> inputs = {embedded, positions_};
    if (position >= 0) inputs.push_back(position);
    op(inputs, {positioned}, schema::PositionEmbeddingOptionsT());
    return positioned;
  }

  int attention(const std::string& p, int q, int k, int v, int last_input, int heads, bool causal,
                const KvCache& cache = {}) {
    const int y = rows_tensor(p + "attention", c_.dim, true);
    schema::AttentionOptionsT o = attention_options(heads, heads, c_.dim / heads);
    o.causal = causal;
    set_cache(o, cache);
    op({q, k, v, last_input}, {y}, o);
    return y;
  }

  int feed_forward(const std::string& p, int x, const LayerIds& w, int ffn, const std::string& output_name) {
    const int hidden = dense(p + "fc1", x, w.fc1);
    const int activated = rows_tensor(p + "activation", ffn, true);
    if (c_.gelu) {
      schema::GeluOptionsT o;
      o.tanh_approximation = false;
      op({hidden}, {activated}, o);
    } else {
      schema::ActivationOptionsT o;
      o.function = c_.activation;
      op({hidden}, {activated}, o);
    }
    return norm(output_name, add(p + "ffn_residual", x, dense(p + "fc2", activated, w.fc2), c_.dim), w.final_norm);
  }

  void store(int x, int state_id) { op({x}, {state_id}, schema::StoreOptionsT()); }

  void build_encode(int rows) {
    begin_entry(names::kEncode, rows);
    const int tokens = activation(names::kTokens, DType::I32, {rows}, true);
    const int mask = activation(names::kMask, DType::I32, {rows}, true);
    entry_->inputs = {tokens, mask};
    int x = embed(tokens, -1);
    for (int l = 0; l < c_.encoder_layers; ++l) {
      const LayerIds& w = encoder_[l];
      const std::string p = "encoder." + std::to_string(l) + ".";
      const int q = dense(p + "q", x, w.self.q), k = dense(p + "k", x, w.self.k), v = dense(p + "v", x, w.self.v);
      const int attended = attention(p, q, k, v, mask, c_.encoder_heads, false);
      x = norm(p + "attention_norm", add(p + "attention_residual", x, dense(p + "o", attended, w.self.o), c_.dim),
               w.self.norm);
      x = feed_forward(p, x, w, c_.encoder_ffn, l + 1 == c_.encoder_layers ? names::kHidden : p + "final_norm");
    }
    entry_->outputs = {x};
    // What every decoder step reads: each layer's cross-attention keys and values, and the source's mask.
    for (int l = 0; l < c_.decoder_layers; ++l) {
      const LayerIds& w = decoder_[l];
      const std::string p = "decoder." + std::to_string(l) + ".";
      store(dense(p + "cross_k", x, w.cross.k), w.cross_k);
      store(dense(p + "cross_v", x, w.cross.v), w.cross_v);
    }
    store(mask, source_mask_);
    plan_entry(graph_, *entry_);
  }

  void build_decoder(const std::string& name, int rows) {
    begin_entry(name, rows);
    const int tokens = activation(names::kTokens, DType::I32, {rows}, true);
    const int position = activation(names::kPosition, DType::I32, {1}, false);
    entry_->inputs = {tokens, position};
    int x = embed(tokens, position);
    for (int l = 0; l < c_.decoder_layers; ++l) {
      const LayerIds& w = decoder_[l];
      const std::string p = "decoder." + std::to_string(l) + ".";
      const int q = dense(p + "q", x, w.self.q), k = dense(p + "k", x, w.self.k), v = dense(p + "v", x, w.self.v);
      const int attended = attention(p + "self_", q, k, v, position, c_.decoder_heads, true, w.cache);
      x = norm(p + "attention_norm", add(p + "attention_residual", x, dense(p + "o", attended, w.self.o), c_.dim),
               w.self.norm);
      const int cross_q = dense(p + "cross_q", x, w.cross.q);
      const int crossed = attention(p + "cross_", cross_q, w.cross_k, w.cross_v, source_mask_, c_.decoder_heads, false);
      x = norm(p + "cross_norm", add(p + "cross_residual", x, dense(p + "cross_o", crossed, w.cross.o), c_.dim),
               w.cross.norm);
      x = feed_forward(p, x, w, c_.decoder_ffn, p + "final_norm");
    }
    const int last = rows_tensor("last_row", c_.dim, false);
    op({x}, {last}, schema::LastRowOptionsT());
    entry_->outputs = {fully_connected(names::kLogits, last, classifier_, false, logits_bias_)};
    plan_entry(graph_, *entry_);
  }

  const MarianCheckpoint& ckpt_;
  const MarianConfig& c_;
  const GraphOptions& options_;
  int embedding_ = -1, positions_ = -1, source_mask_ = -1, logits_bias_ = -1, classifier_ = -1;
  std::vector<LayerIds> encoder_, decoder_;
};

}  // namespace

Graph build_marian_graph(const MarianCheckpoint& checkpoint, const GraphOptions& options) {
  Graph graph;
  graph.architecture = "marian";
  graph.source = checkpoint.source;
  graph.quantization = weight_format_name(options.weights);
  graph.vocab_size = checkpoint.config.vocab_size;
  graph.hidden_size = checkpoint.config.dim;
  graph.layers = checkpoint.config.encoder_layers + checkpoint.config.decoder_layers;
  // Source and target share the learned-free sinusoidal positions; both stop at max_position_embeddings.
  graph.max_context = options.max_context > 0 ? std::min(options.max_context, checkpoint.config.positions)
                                               : checkpoint.config.positions;
  graph.tokenizer = checkpoint.tokenizer;
  graph.entries.reserve(3);
  MarianGraphBuilder(checkpoint, options, graph).build();
  return graph;
}

}  // namespace edgeformer::converter
