#include "families/bert/bert_graph.h"

#include <algorithm>

#include "edgeformer/schema/entry_names.h"
#include "graph/graph_builder.h"
#include "graph/memory_planner.h"

namespace edgeformer::converter {

namespace {

namespace names = schema::names;

// Post-LayerNorm blocks: x = LN(x + attn(x)); x = LN(x + ffn(x)), self-attention over the whole sequence (the
// padding masked), embeddings of tokens, positions and token types summed and normalized.
class BertGraphBuilder : GraphBuilder {
 public:
  BertGraphBuilder(const BertCheckpoint& ckpt, const GraphOptions& options, Graph& graph)
      : GraphBuilder(graph, options.weights), ckpt_(ckpt), c_(ckpt.config) {}

  void build(int rows) {
    words_ = f32_weight("word_embedding", ckpt_.word_embedding, {c_.vocab_size, c_.dim});
    positions_ = f32_weight("position_embedding", ckpt_.position_embedding, {c_.positions, c_.dim});
    token_types_ = f32_weight("token_type_embedding", ckpt_.token_type_embedding, {c_.token_types, c_.dim});
    embedding_norm_ = {f32_weight("embedding_norm.weight", ckpt_.embedding_norm_weight, {c_.dim}),
                       f32_weight("embedding_norm.bias", ckpt_.embedding_norm_bias, {c_.dim})};
    for (int l = 0; l < c_.layers; ++l) {
      const BertLayerWeights& w = ckpt_.layers[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      LayerIds ids;
      ids.q = linear(p + "q", w.wq, w.bq, c_.dim, c_.dim);
      ids.k = linear(p + "k", w.wk, w.bk, c_.dim, c_.dim);
      ids.v = linear(p + "v", w.wv, w.bv, c_.dim, c_.dim);
      ids.o = linear(p + "o", w.wo, w.bo, c_.dim, c_.dim);
      ids.attention_norm = {f32_weight(p + "attention_norm.weight", w.attention_norm_weight, {c_.dim}),
                            f32_weight(p + "attention_norm.bias", w.attention_norm_bias, {c_.dim})};
      ids.in = linear(p + "ffn_in", w.w_in, w.b_in, c_.inner, c_.dim);
      ids.out = linear(p + "ffn_out", w.w_out, w.b_out, c_.dim, c_.inner);
      ids.output_norm = {f32_weight(p + "output_norm.weight", w.output_norm_weight, {c_.dim}),
                         f32_weight(p + "output_norm.bias", w.output_norm_bias, {c_.dim})};
      layers_.push_back(ids);
    }
    if (!ckpt_.pooler_weight.empty())
      pooler_ = linear("pooler", ckpt_.pooler_weight, ckpt_.pooler_bias, c_.dim, c_.dim);
    const int labels = static_cast<int>(ckpt_.labels.size());
    if (labels > 0) classifier_ = linear("classifier", ckpt_.classifier_weight, ckpt_.classifier_bias, labels, c_.dim);
    build_entry(rows);
  }

 private:
  struct Linear {
    int weight = -1, bias = -1;
  };
  struct Norm {
    int weight = -1, bias = -1;
  };
  struct LayerIds {
    Linear q, k, v, o, in, out;
    Norm attention_norm, output_norm;
  };

  Linear linear(const std::string& name, const std::vector<float>& w, const std::vector<float>& b, int n, int k) {
    return {linear_weight(name, w, n, k), f32_weight(name + ".bias", b, {n})};
  }
  int dense(const std::string& name, int x, const Linear& l, bool dynamic) {
    return fully_connected(name, x, l.weight, dynamic, l.bias);
  }
  int norm(const std::string& name, int x, const Norm& n, bool dynamic = true) {
    return layer_norm(name, x, n.weight, n.bias, c_.epsilon, dynamic);
  }

  void build_entry(int rows) {
    begin_entry(names::kEncode, rows);
    const int head_dim = c_.dim / c_.heads;
    const int tokens = activation(names::kTokens, DType::I32, {rows}, true);
    const int token_types = activation(names::kTokenTypes, DType::I32, {rows}, true);
    const int mask = activation(names::kMask, DType::I32, {rows}, true);
    entry_->inputs = {tokens, token_types, mask};
    const int words = rows_tensor("word_embedding", c_.dim, true);
    op({words_, tokens}, {words}, schema::EmbeddingOptionsT());
    const int types = rows_tensor("token_type_embedding", c_.dim, true);
    op({token_types_, token_types}, {types}, schema::EmbeddingOptionsT());
    const int summed = add("embedding_sum", words, types, c_.dim);
    // Positions restart at 0 for every sequence, padding or not (Hugging Face's default position_ids).
    const int positioned = rows_tensor("embedding_positions", c_.dim, true);
    op({summed, positions_}, {positioned}, schema::PositionEmbeddingOptionsT());
    int x = norm("embedding_norm", positioned, embedding_norm_);
    for (int l = 0; l < c_.layers; ++l) {
      const LayerIds& w = layers_[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      const int q = dense(p + "q", x, w.q, true), k = dense(p + "k", x, w.k, true), v = dense(p + "v", x, w.v, true);
      const int attended = rows_tensor(p + "attention", c_.dim, true);
      schema::AttentionOptionsT attention = attention_options(c_.heads, c_.heads, head_dim);
      attention.causal = false;
      op({q, k, v, mask}, {attended}, attention);
      x = norm(p + "attention_norm", add(p + "attention_residual", x, dense(p + "o", attended, w.o, true), c_.dim),
               w.attention_norm);
      const int inner = dense(p + "ffn_in", x, w.in, true);
      const int gelu = rows_tensor(p + "gelu", c_.inner, true);
      schema::GeluOptionsT activation;
      activation.tanh_approximation = c_.gelu_tanh;
      op({inner}, {gelu}, activation);
      const int residual = add(p + "ffn_residual", x, dense(p + "ffn_out", gelu, w.out, true), c_.dim);
      x = norm(l + 1 == c_.layers ? names::kHidden : p + "output_norm", residual, w.output_norm);
    }
    entry_->outputs = {x};
    if (ckpt_.pooling != SentencePooling::kNone) {
      int sentence = pool(ckpt_.normalize ? "sentence" : names::kEmbedding, x, mask,
                          ckpt_.pooling == SentencePooling::kCls ? schema::PoolMode::First : schema::PoolMode::Mean);
      if (ckpt_.normalize) {
        const int normalized = rows_tensor(names::kEmbedding, c_.dim, false);
        schema::L2NormalizeOptionsT o;
        o.epsilon = 1e-12f;  // torch.nn.functional.normalize's default
        op({sentence}, {normalized}, o);
        sentence = normalized;
      }
      entry_->outputs.push_back(sentence);
    } else if (pooler_.weight >= 0) {
      const int cls = pool("cls", x, mask, schema::PoolMode::First);
      const int pooled = rows_tensor(names::kPooled, c_.dim, false);
      schema::ActivationOptionsT tanh;
      tanh.function = schema::ActivationFunction::Tanh;
      op({dense("pooler", cls, pooler_, false)}, {pooled}, tanh);
      entry_->outputs.push_back(pooled);
      if (classifier_.weight >= 0) entry_->outputs.push_back(dense(names::kLogits, pooled, classifier_, false));
    }
    plan_entry(graph_, *entry_);
  }

  int pool(const std::string& name, int x, int mask, schema::PoolMode mode) {
    const int y = rows_tensor(name, c_.dim, false);
    schema::PoolOptionsT o;
    o.mode = mode;
    op({x, mask}, {y}, o);
    return y;
  }

  const BertCheckpoint& ckpt_;
  const BertConfig& c_;
  int words_ = -1, positions_ = -1, token_types_ = -1;
  Norm embedding_norm_;
  std::vector<LayerIds> layers_;
  Linear pooler_, classifier_;
};

}  // namespace

Graph build_bert_graph(const BertCheckpoint& checkpoint, const GraphOptions& options) {
  Graph graph;
  graph.architecture = "bert";
  graph.source = checkpoint.source;
  graph.quantization = weight_format_name(options.weights);
  graph.vocab_size = checkpoint.config.vocab_size;
  graph.hidden_size = checkpoint.config.dim;
  graph.layers = checkpoint.config.layers;
  // The longest sequence: what the user asked, else sentence-transformers' max_seq_length, never past the
  // learned positions.
  int rows = checkpoint.config.positions;
  if (checkpoint.max_sequence > 0) rows = std::min(rows, checkpoint.max_sequence);
  if (options.max_context > 0) rows = std::min(options.max_context, checkpoint.config.positions);
  graph.max_context = rows;
  graph.tokenizer = checkpoint.tokenizer;
  graph.labels = checkpoint.labels;
  graph.multi_label = checkpoint.multi_label;
  graph.entries.reserve(1);
  BertGraphBuilder(checkpoint, options, graph).build(rows);
  return graph;
}

}  // namespace edgeformer::converter
