#include "llama_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "convert_error.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/quantize.h"
#include "memory_planner.h"

namespace edgeformer::converter {

namespace {

using schema::OperatorOptions;

std::vector<uint8_t> bytes_of(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  return std::vector<uint8_t>(p, p + size);
}

class LlamaGraphBuilder {
 public:
  LlamaGraphBuilder(const LlamaCheckpoint& ckpt, const LlamaGraphOptions& options, Graph& graph)
      : ckpt_(ckpt), c_(ckpt.config), options_(options), graph_(graph) {}

  void build() {
    const int head_dim = c_.dim / c_.heads;
    const int kv_dim = head_dim * c_.kv_heads;
    embedding_ = f32_weight("token_embedding", ckpt_.token_embedding, {c_.vocab_size, c_.dim});
    for (int l = 0; l < c_.layers; ++l) {
      const LlamaLayerWeights& w = ckpt_.layers[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      LayerIds ids;
      ids.attention_norm = f32_weight(p + "attention_norm", w.attention_norm, {c_.dim});
      ids.wq = linear_weight(p + "wq", w.wq, c_.dim, c_.dim);
      ids.wk = linear_weight(p + "wk", w.wk, kv_dim, c_.dim);
      ids.wv = linear_weight(p + "wv", w.wv, kv_dim, c_.dim);
      ids.wo = linear_weight(p + "wo", w.wo, c_.dim, c_.dim);
      ids.ffn_norm = f32_weight(p + "ffn_norm", w.ffn_norm, {c_.dim});
      ids.w_gate = linear_weight(p + "w_gate", w.w_gate, c_.hidden_dim, c_.dim);
      ids.w_up = linear_weight(p + "w_up", w.w_up, c_.hidden_dim, c_.dim);
      ids.w_down = linear_weight(p + "w_down", w.w_down, c_.dim, c_.hidden_dim);
      const DType cache_dtype = options_.kv_cache == KvCacheFormat::kF16    ? DType::F16
                                : options_.kv_cache == KvCacheFormat::kInt8 ? DType::I8
                                                                            : DType::F32;
      ids.k_cache = state(p + "k_cache", {graph_.max_context, kv_dim}, cache_dtype);
      ids.v_cache = state(p + "v_cache", {graph_.max_context, kv_dim}, cache_dtype);
      if (options_.kv_cache == KvCacheFormat::kInt8) {
        ids.k_scales = state(p + "k_scales", {graph_.max_context, c_.kv_heads}, DType::F32);
        ids.v_scales = state(p + "v_scales", {graph_.max_context, c_.kv_heads}, DType::F32);
      }
      layers_.push_back(ids);
    }
    final_norm_ = f32_weight("final_norm", ckpt_.final_norm, {c_.dim});
    const std::vector<float>& classifier = ckpt_.classifier.empty() ? ckpt_.token_embedding : ckpt_.classifier;
    if (ckpt_.classifier.empty() && options_.weights == WeightFormat::kF32)
      classifier_ = embedding_;  // tied: the embedding table is the classifier, stored once
    else
      classifier_ = linear_weight("classifier", classifier, c_.vocab_size, c_.dim);
    if (ckpt_.classifier.empty() && classifier_ != embedding_) graph_.params -= classifier.size();  // a copy

    const int prefill_rows = std::max(1, std::min(options_.prefill_rows, graph_.max_context));
    build_entry("prefill", prefill_rows);
    build_entry("decode", 1);
  }

 private:
  struct LayerIds {
    int attention_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down, k_cache, v_cache;
    int k_scales = -1, v_scales = -1;
  };

  int f32_weight(const std::string& name, const std::vector<float>& values, std::vector<int64_t> shape) {
    Tensor t;
    t.name = name;
    t.dtype = DType::F32;
    t.shape = std::move(shape);
    t.storage = Storage::Weight;
    t.data = bytes_of(values.data(), values.size() * sizeof(float));
    graph_.params += values.size();
    return graph_.add_tensor(std::move(t));
  }

  // int4, group-wise: per output channel and 32 inputs, scale = max|w| / 7 rounded to f16, and the codes divide by
  // that rounded scale (so that the kernels' scale is the one the codes were made with), clamped to [-8, 7].
  int int4_weight(const std::string& name, const std::vector<float>& values, int rows, int cols) {
    const size_t n = size_t(rows), k = size_t(cols), groups = kernels::int4_packed_groups(k);
    std::vector<int8_t> codes(n * k);
    std::vector<uint16_t> scales(n * groups);
    for (size_t c = 0; c < n; ++c)
      for (size_t g = 0; g < groups; ++g) {
        const size_t begin = g * kernels::kInt4GroupDepth, end = std::min(k, begin + kernels::kInt4GroupDepth);
        float amax = 0.0f;
        for (size_t d = begin; d < end; ++d) amax = std::fmax(amax, std::fabs(values[c * k + d]));
        scales[c * groups + g] = kernels::float_to_half(amax / 7.0f);
        const float scale = kernels::half_to_float(scales[c * groups + g]);
        for (size_t d = begin; d < end; ++d)
          codes[c * k + d] = scale == 0.0f ? 0 : static_cast<int8_t>(std::fmin(std::fmax(std::round(values[c * k + d] / scale), -8.0f), 7.0f));
      }
    std::vector<uint8_t> packed(kernels::int4_packed_bytes(n, k));
    std::vector<uint16_t> packed_scales(kernels::int4_packed_scale_count(n, k));
    kernels::pack_int4_weights(codes.data(), scales.data(), n, k, packed.data(), packed_scales.data());
    Tensor s;
    s.name = name + ".scales";
    s.dtype = DType::F16;
    s.shape = {int64_t(kernels::int4_packed_blocks(n)), int64_t(groups), int64_t(kernels::kInt4BlockChannels)};
    s.storage = Storage::Weight;
    s.data = bytes_of(packed_scales.data(), packed_scales.size() * sizeof(uint16_t));
    const int scales_id = graph_.add_tensor(std::move(s));
    Tensor t;
    t.name = name;
    t.dtype = DType::I4;
    t.shape = {rows, cols};
    t.storage = Storage::Weight;
    t.quantization = schema::Quantization::GroupSymmetricI4;
    t.scales = scales_id;
    t.data = bytes_of(packed.data(), packed.size());
    graph_.params += values.size();
    return graph_.add_tensor(std::move(t));
  }

  // A [rows][cols] linear weight in the requested format; int8 gets per-row (output channel) scales and row sums,
  // and is packed in the layout the int8 kernels read in place (int8_packing.h).
  int linear_weight(const std::string& name, const std::vector<float>& values, int rows, int cols) {
    if (options_.weights == WeightFormat::kF32) return f32_weight(name, values, {rows, cols});
    if (options_.weights == WeightFormat::kInt4) return int4_weight(name, values, rows, cols);
    std::vector<int8_t> quantized(values.size());
    std::vector<float> scales(rows);
    kernels::quantize_rows_q8_ref(values.data(), cols, rows, cols, quantized.data(), scales.data());
    const int scales_id = f32_weight(name + ".scales", scales, {rows});
    graph_.params -= scales.size();
    std::vector<int32_t> row_sums(rows, 0);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) row_sums[r] += quantized[size_t(r) * cols + c];
    Tensor sums;
    sums.name = name + ".row_sums";
    sums.dtype = DType::I32;
    sums.shape = {rows};
    sums.storage = Storage::Weight;
    sums.data = bytes_of(row_sums.data(), row_sums.size() * sizeof(int32_t));
    const int row_sums_id = graph_.add_tensor(std::move(sums));
    Tensor t;
    t.name = name;
    t.dtype = DType::I8;
    t.shape = {rows, cols};
    t.storage = Storage::Weight;
    t.quantization = schema::Quantization::PerRowSymmetricI8;
    t.scales = scales_id;
    t.row_sums = row_sums_id;
    std::vector<int8_t> packed(kernels::int8_packed_bytes(size_t(rows), size_t(cols)));
    kernels::pack_int8_weights(quantized.data(), size_t(rows), size_t(cols), packed.data());
    t.data = bytes_of(packed.data(), packed.size());
    graph_.params += values.size();
    return graph_.add_tensor(std::move(t));
  }

  int state(const std::string& name, std::vector<int64_t> shape, DType dtype) {
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.storage = Storage::State;
    t.offset = graph_.state_bytes;
    graph_.state_bytes += (t.byte_size() + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
    return graph_.add_tensor(std::move(t));
  }

  int activation(const std::string& name, DType dtype, std::vector<int64_t> shape, bool dynamic_rows) {
    Tensor t;
    t.name = entry_->name + "/" + name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.storage = Storage::Arena;
    t.dynamic_rows = dynamic_rows;
    return graph_.add_tensor(std::move(t));
  }

  void op(OperatorOptions type, std::vector<int> inputs, std::vector<int> outputs, Operator o = {}) {
    o.type = type;
    o.inputs = std::move(inputs);
    o.outputs = std::move(outputs);
    entry_->operators.push_back(std::move(o));
  }

  // Tensors of a row count: the entry's dynamic rows, or a single fixed row after LastRow.
  int rows_tensor(const std::string& name, int cols, bool dynamic) {
    return activation(name, DType::F32, {dynamic ? rows_ : 1, cols}, dynamic);
  }

  int fully_connected(const std::string& name, int x, int weight, bool dynamic) {
    // Copied out: adding tensors below may move graph_.tensors.
    const int out_features = static_cast<int>(graph_.tensors[weight].shape[0]);
    const int in_features = static_cast<int>(graph_.tensors[weight].shape[1]);
    const bool quantized = graph_.tensors[weight].dtype != DType::F32;
    const int y = rows_tensor(name, out_features, dynamic);
    Operator o;
    if (quantized) {
      // Per-row activation scales first (f32, aligned), then the quantized rows.
      const int rows = dynamic ? rows_ : 1;
      o.scratch = activation(name + ".scratch", DType::I8, {rows, in_features + 4}, false);
    }
    op(OperatorOptions::FullyConnectedOptions, {x, weight}, {y}, o);
    return y;
  }

  int rms_norm(const std::string& name, int x, int weight, bool dynamic) {
    const int y = rows_tensor(name, c_.dim, dynamic);
    Operator o;
    o.epsilon = c_.norm_epsilon;
    op(OperatorOptions::RmsNormOptions, {x, weight}, {y}, o);
    return y;
  }

  int add(const std::string& name, int a, int b) {
    const int y = rows_tensor(name, c_.dim, true);
    op(OperatorOptions::AddOptions, {a, b}, {y});
    return y;
  }

  void build_entry(const std::string& name, int rows) {
    graph_.entries.emplace_back();
    entry_ = &graph_.entries.back();
    entry_->name = name;
    entry_->max_rows = rows;
    rows_ = rows;
    const int head_dim = c_.dim / c_.heads;

    const int tokens = activation("tokens", DType::I32, {rows}, true);
    const int position = activation("position", DType::I32, {1}, false);
    entry_->inputs = {tokens, position};
    int x = rows_tensor("embedding", c_.dim, true);
    op(OperatorOptions::EmbeddingOptions, {embedding_, tokens}, {x});
    for (int l = 0; l < c_.layers; ++l) {
      const LayerIds& w = layers_[l];
      const std::string p = "layers." + std::to_string(l) + ".";
      const int h = rms_norm(p + "attention_norm", x, w.attention_norm, true);
      const int q = fully_connected(p + "q", h, w.wq, true);
      const int k = fully_connected(p + "k", h, w.wk, true);
      const int v = fully_connected(p + "v", h, w.wv, true);
      const int attended = rows_tensor(p + "attention", c_.dim, true);
      Operator attention;
      attention.attention = {c_.heads,    c_.kv_heads, head_dim,   c_.rope_theta, c_.rope_style,
                             w.k_cache,   w.v_cache,   w.k_scales, w.v_scales};
      op(OperatorOptions::AttentionOptions, {q, k, v, position}, {attended}, attention);
      x = add(p + "attention_residual", x, fully_connected(p + "o", attended, w.wo, true));
      const int g = rms_norm(p + "ffn_norm", x, w.ffn_norm, true);
      const int gate = fully_connected(p + "gate", g, w.w_gate, true);
      const int up = fully_connected(p + "up", g, w.w_up, true);
      const int swiglu = rows_tensor(p + "swiglu", c_.hidden_dim, true);
      op(OperatorOptions::SwiGluOptions, {gate, up}, {swiglu});
      x = add(p + "ffn_residual", x, fully_connected(p + "down", swiglu, w.w_down, true));
    }
    const int last = rows_tensor("last_row", c_.dim, false);
    op(OperatorOptions::LastRowOptions, {x}, {last});
    const int normed = rms_norm("final_norm", last, final_norm_, false);
    const int logits = fully_connected("logits", normed, classifier_, false);
    entry_->outputs = {logits};
    plan_entry(graph_, *entry_);
  }

  const LlamaCheckpoint& ckpt_;
  const LlamaConfig& c_;
  const LlamaGraphOptions& options_;
  Graph& graph_;
  int embedding_ = -1, final_norm_ = -1, classifier_ = -1;
  std::vector<LayerIds> layers_;
  Entry* entry_ = nullptr;
  int rows_ = 0;
};

}  // namespace

Graph build_llama_graph(const LlamaCheckpoint& checkpoint, const LlamaGraphOptions& options) {
  Graph graph;
  graph.architecture = "llama";
  graph.source = checkpoint.source;
  graph.quantization = options.weights == WeightFormat::kF32 ? "f32" : options.weights == WeightFormat::kInt8 ? "int8" : "int4";
  graph.vocab_size = checkpoint.config.vocab_size;
  graph.hidden_size = checkpoint.config.dim;
  graph.layers = checkpoint.config.layers;
  graph.max_context = options.max_context > 0 ? options.max_context : checkpoint.config.max_context;
  graph.tokenizer = checkpoint.tokenizer;
  graph.entries.reserve(2);
  LlamaGraphBuilder(checkpoint, options, graph).build();
  return graph;
}

}  // namespace edgeformer::converter
