#include "graph/graph_builder.h"

#include <algorithm>
#include <cmath>

#include "edgeformer/schema/entry_names.h"
#include "edgeformer/kernels/half.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/quantize.h"
#include "graph/memory_planner.h"

namespace edgeformer::converter {

namespace {

std::vector<uint8_t> bytes_of(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  return std::vector<uint8_t>(p, p + size);
}

}  // namespace

int GraphBuilder::layer_norm(const std::string& name, int x, int weight, int bias, float epsilon, bool dynamic) {
  const int cols = static_cast<int>(graph_.tensors[x].shape[1]);
  const int y = rows_tensor(name, cols, dynamic);
  schema::LayerNormOptionsT o;
  o.epsilon = epsilon;
  op({x, weight, bias}, {y}, o);
  return y;
}

int GraphBuilder::f32_weight(const std::string& name, const std::vector<float>& values, std::vector<int64_t> shape) {
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

int GraphBuilder::int4_weight(const std::string& name, const std::vector<float>& values, int rows, int cols) {
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

int GraphBuilder::linear_weight(const std::string& name, const std::vector<float>& values, int rows, int cols) {
  if (weights_ == WeightFormat::kF32) return f32_weight(name, values, {rows, cols});
  if (weights_ == WeightFormat::kInt4) return int4_weight(name, values, rows, cols);
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

int GraphBuilder::state(const std::string& name, std::vector<int64_t> shape, DType dtype) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.storage = Storage::State;
  t.offset = graph_.state_bytes;
  graph_.state_bytes += (t.byte_size() + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  return graph_.add_tensor(std::move(t));
}

int GraphBuilder::activation(const std::string& name, DType dtype, std::vector<int64_t> shape, bool dynamic_rows) {
  Tensor t;
  t.name = schema::names::entry_tensor_name(entry_->name, name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.storage = Storage::Arena;
  t.dynamic_rows = dynamic_rows;
  return graph_.add_tensor(std::move(t));
}

schema::AttentionOptionsT GraphBuilder::attention_options(int heads, int kv_heads, int head_dim) {
  schema::AttentionOptionsT a;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = head_dim;
  a.rope_theta = 0.0f;
  a.rope_style = schema::RopeStyle::None;
  return a;
}

// Tensors of a row count: the entry's dynamic rows, or a single fixed row after LastRow.

int GraphBuilder::rows_tensor(const std::string& name, int cols, bool dynamic) {
  return activation(name, DType::F32, {dynamic ? rows_ : 1, cols}, dynamic);
}

// y = x W^T (+ bias, an f32 [n] weight id, or -1).

int GraphBuilder::fully_connected(const std::string& name, int x, int weight, bool dynamic, int bias) {
  // Copied out: adding tensors below may move graph_.tensors.
  const int out_features = static_cast<int>(graph_.tensors[weight].shape[0]);
  const int in_features = static_cast<int>(graph_.tensors[weight].shape[1]);
  const bool quantized = graph_.tensors[weight].dtype != DType::F32;
  const int y = rows_tensor(name, out_features, dynamic);
  schema::FullyConnectedOptionsT o;
  if (quantized) {
    // Per-row activation scales first (f32, aligned), then the quantized rows.
    const int rows = dynamic ? rows_ : 1;
    o.scratch = activation(name + ".scratch", DType::I8, {rows, in_features + 4}, false);
  }
  std::vector<int> inputs = {x, weight};
  if (bias >= 0) inputs.push_back(bias);
  op(inputs, {y}, o, o.scratch);
  return y;
}

int GraphBuilder::add(const std::string& name, int a, int b, int cols) {
  const int y = rows_tensor(name, cols, true);
  op({a, b}, {y}, schema::AddOptionsT());
  return y;
}

int GraphBuilder::tied_classifier(int embedding, const std::vector<float>& table, int vocab, int dim) {
  if (weights_ == WeightFormat::kF32) return embedding;
  const int classifier = linear_weight("classifier", table, vocab, dim);
  graph_.params -= table.size();
  return classifier;
}

GraphBuilder::KvCache GraphBuilder::kv_cache(const std::string& prefix, int kv_heads, int head_dim,
                                             KvCacheFormat format, int sliding_window) {
  const DType dtype = format == KvCacheFormat::kF16 ? DType::F16 : format == KvCacheFormat::kInt8 ? DType::I8 : DType::F32;
  KvCache cache;
  if (sliding_window > 0 && sliding_window < graph_.max_context) cache.sliding_window = sliding_window;
  const int64_t rows = cache.sliding_window > 0 ? cache.sliding_window : graph_.max_context;
  cache.k = state(prefix + "k_cache", {rows, int64_t{kv_heads} * head_dim}, dtype);
  cache.v = state(prefix + "v_cache", {rows, int64_t{kv_heads} * head_dim}, dtype);
  if (format == KvCacheFormat::kInt8) {
    cache.k_scales = state(prefix + "k_scales", {rows, kv_heads}, DType::F32);
    cache.v_scales = state(prefix + "v_scales", {rows, kv_heads}, DType::F32);
  }
  return cache;
}

}  // namespace edgeformer::converter
