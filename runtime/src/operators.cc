// Runs each operator type: binds the tensors of a call to a kernel and splits the work over the thread pool.
// Shapes were validated at load; only data-dependent hazards (token ids, positions) are checked here.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/embedding.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/half.h"
#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/pooling.h"
#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/rms_norm.h"
#include "session_impl.h"

namespace edgeformer {

namespace {

using schema::OperatorOptions;

// Below this many multiply-adds an operator runs on the calling thread: waking the pool costs more.
constexpr size_t kMinParallelMacs = size_t{1} << 15;
constexpr size_t kColumnTileAlignment = 16;

template <typename T>
T* tensor_data(SessionImpl& s, int id) {
  return reinterpret_cast<T*>(s.address(s.impl_->tensors[id]));
}

size_t column_tile(size_t n, size_t macs, int threads) {
  if (threads <= 1 || macs < kMinParallelMacs) return n;
  const size_t tiles = static_cast<size_t>(threads) * 4;
  const size_t tile = (n + tiles - 1) / tiles;
  return std::max(kColumnTileAlignment, (tile + kColumnTileAlignment - 1) / kColumnTileAlignment * kColumnTileAlignment);
}

Status run_embedding(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& table = s.impl_->tensors[op.inputs[0]];
  const int32_t* ids = tensor_data<const int32_t>(s, op.inputs[1]);
  const size_t vocab = table.shape[0], dim = table.shape[1];
  if (!kernels::embedding_f32_ref(static_cast<const float*>(table.weight_data), vocab, dim, ids, rows,
                                  tensor_data<float>(s, op.outputs[0]))) {
    for (size_t i = 0; i < rows; ++i)
      if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= vocab)
        return Status(StatusCode::kOutOfRange, "id " + std::to_string(ids[i]) + " is outside the table " +
                                                   (table.def->name() ? table.def->name()->str() : std::string()) +
                                                   " [0, " + std::to_string(vocab) + ")");
  }
  const float scale = op.def->options_as_EmbeddingOptions()->scale();
  if (scale != 1.0f) {
    float* y = tensor_data<float>(s, op.outputs[0]);
    for (size_t i = 0; i < rows * dim; ++i) y[i] *= scale;
  }
  return Status();
}

Status run_rms_norm(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  s.impl_->kernels->rms_norm_f32(tensor_data<const float>(s, op.inputs[0]),
                                 static_cast<const float*>(s.impl_->tensors[op.inputs[1]].weight_data),
                                 s.rows_of(x, rows), x.shape[1], op.def->options_as_RmsNormOptions()->epsilon(),
                                 tensor_data<float>(s, op.outputs[0]));
  return Status();
}

struct FullyConnectedTask {
  enum class Kind { kF32, kInt8, kInt4 } kind;
  kernels::FullyConnectedF32Args f32;
  kernels::FullyConnectedQ8Args q8;
  kernels::FullyConnectedQ4Args q4;
  const kernels::KernelSet* kernels;
  static void run(void* context, size_t begin, size_t count) {
    auto* task = static_cast<FullyConnectedTask*>(context);
    switch (task->kind) {
      case Kind::kF32: return task->kernels->fully_connected_f32(task->f32, begin, begin + count);
      case Kind::kInt8: return task->kernels->fully_connected_q8(task->q8, begin, begin + count);
      case Kind::kInt4: return task->kernels->fully_connected_q4(task->q4, begin, begin + count);
    }
  }
};

Status run_fully_connected(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const BoundTensor& w = s.impl_->tensors[op.inputs[1]];
  const size_t m = s.rows_of(x, rows), n = w.shape[0], k = w.shape[1];
  const float* x_data = tensor_data<const float>(s, op.inputs[0]);
  float* y = tensor_data<float>(s, op.outputs[0]);
  FullyConnectedTask task{};
  task.kernels = s.impl_->kernels;
  if (w.dtype == schema::DType::F32) {
    task.kind = FullyConnectedTask::Kind::kF32;
    task.f32 = {x_data, k, static_cast<const float*>(w.weight_data), y, n, m, k, n};
  } else {
    // Quantized weights take int8 activations. Scratch: the rows' scales (f32, at the aligned start), then the
    // int8 rows.
    uint8_t* scratch = s.address(s.impl_->tensors[op.scratch]);
    float* x_scale = reinterpret_cast<float*>(scratch);
    int8_t* xq = reinterpret_cast<int8_t*>(scratch + sizeof(float) * x.shape[0]);
    s.impl_->kernels->quantize_rows_q8(x_data, k, m, k, xq, x_scale);
    if (w.dtype == schema::DType::I8) {
      task.kind = FullyConnectedTask::Kind::kInt8;
      task.q8 = {xq, x_scale, static_cast<const int8_t*>(w.weight_data), w.scales, y, n, m, k, n, w.row_sums};
    } else {
      task.kind = FullyConnectedTask::Kind::kInt4;
      task.q4 = {xq, x_scale, static_cast<const uint8_t*>(w.weight_data), w.half_scales, y, n, m, k, n};
    }
  }
  s.pool_.parallel_tiles(n, column_tile(n, m * n * k, s.pool_.threads()), &FullyConnectedTask::run, &task);
  if (op.inputs.size() == 3) {
    const float* bias = static_cast<const float*>(s.impl_->tensors[op.inputs[2]].weight_data);
    for (size_t r = 0; r < m; ++r) kernels::add_f32_ref(y + r * n, bias, n, y + r * n);
  }
  return Status();
}

Status run_layer_norm(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  s.impl_->kernels->layer_norm_f32(tensor_data<const float>(s, op.inputs[0]),
                                   static_cast<const float*>(s.impl_->tensors[op.inputs[1]].weight_data),
                                   static_cast<const float*>(s.impl_->tensors[op.inputs[2]].weight_data),
                                   s.rows_of(x, rows), x.shape[1], op.def->options_as_LayerNormOptions()->epsilon(),
                                   tensor_data<float>(s, op.outputs[0]));
  return Status();
}

Status run_gelu(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  s.impl_->kernels->gelu_f32(tensor_data<const float>(s, op.inputs[0]), s.rows_of(x, rows) * x.shape[1],
                             op.def->options_as_GeluOptions()->tanh_approximation(), tensor_data<float>(s, op.outputs[0]));
  return Status();
}

Status run_position_embedding(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const BoundTensor& table = s.impl_->tensors[op.inputs[1]];
  const size_t n = s.rows_of(x, rows), dim = x.shape[1], positions = table.shape[0];
  const int32_t position = op.inputs.size() == 3 ? *tensor_data<const int32_t>(s, op.inputs[2]) : 0;
  if (position < 0 || static_cast<size_t>(position) > positions || n > positions - static_cast<size_t>(position))
    return Status(StatusCode::kOutOfRange, "positions " + std::to_string(position) + ".." +
                                               std::to_string(int64_t(position) + int64_t(n) - 1) +
                                               " are past the model's " + std::to_string(positions) + " positions");
  const float* rows_of_table = static_cast<const float*>(table.weight_data) + static_cast<size_t>(position) * dim;
  kernels::add_f32_ref(tensor_data<const float>(s, op.inputs[0]), rows_of_table, n * dim,
                       tensor_data<float>(s, op.outputs[0]));
  return Status();
}

struct AttentionTask {
  kernels::AttentionArgs args;
  kernels::AttentionF32Fn attention;
  // Heads outer, rows inner: consecutive work items read the same head's keys and values. Rows go in tiles of
  // kAttentionRowTile, which the SIMD kernels hold in the lanes of a register.
  static void run(void* context, size_t head, size_t row, size_t rows) {
    const auto* task = static_cast<const AttentionTask*>(context);
    task->attention(task->args, row, row + rows, head, head + 1);
  }
};

// Writes n rows of k or v (f32, [n][kv_heads * head_dim]) at `position` of a cache of `dtype`: copied, rounded to
// f16, or quantized per position and KV head (each head's values as one int8 row with its scale).
void append_to_cache(SessionImpl& s, schema::DType dtype, const float* rows, size_t n, size_t kv_heads,
                     size_t head_dim, size_t position, uint8_t* cache, float* scales) {
  const size_t kv_dim = kv_heads * head_dim;
  switch (dtype) {
    case schema::DType::F16: {
      uint16_t* out = reinterpret_cast<uint16_t*>(cache) + position * kv_dim;
      for (size_t i = 0; i < n * kv_dim; ++i) out[i] = kernels::float_to_half(rows[i]);
      return;
    }
    case schema::DType::I8:
      s.impl_->kernels->quantize_rows_q8(rows, head_dim, n * kv_heads, head_dim,
                                         reinterpret_cast<int8_t*>(cache) + position * kv_dim,
                                         scales + position * kv_heads);
      return;
    default:
      std::memcpy(reinterpret_cast<float*>(cache) + position * kv_dim, rows, n * kv_dim * sizeof(float));
  }
}

// Heads x row tiles over the pool, or on the calling thread when the work is too small to pay for waking it.
void run_attention_task(SessionImpl& s, AttentionTask& task, size_t keys) {
  const kernels::AttentionArgs& a = task.args;
  // Scores and value sums touch about rows * heads * keys * head_dim * 2 elements.
  const size_t work = a.rows * a.heads * keys * a.head_dim * 2;
  task.attention = s.impl_->kernels->attention_f32;
  if (s.pool_.threads() <= 1 || work < kMinParallelMacs)
    task.attention(a, 0, a.rows, 0, a.heads);
  else
    s.pool_.parallel_2d(a.heads, a.rows, kernels::kAttentionRowTile, &AttentionTask::run, &task);
}

// Every row attends to the sequence's tokens, i.e. the keys before the padding: the rows' own (encoder
// self-attention) or a stored source's (cross-attention).
Status run_bidirectional_attention(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const schema::AttentionOptions& a = *op.def->options_as_AttentionOptions();
  const size_t n = s.rows_of(s.impl_->tensors[op.inputs[0]], rows);
  const size_t key_rows = s.rows_of(s.impl_->tensors[op.inputs[1]], rows);
  const int32_t* mask = tensor_data<const int32_t>(s, op.inputs[3]);
  size_t tokens = 0;
  while (tokens < key_rows && mask[tokens] == 1) ++tokens;
  for (size_t r = tokens; r < key_rows; ++r)
    if (mask[r] != 0)
      return Status(StatusCode::kInvalidArgument, "mask: expected 1 for each token then 0 for the padding after "
                                                  "them, found " + std::to_string(mask[r]) + " at row " + std::to_string(r));
  if (tokens == 0)
    return Status(StatusCode::kInvalidArgument, s.impl_->tensors[op.inputs[3]].storage == schema::Storage::State
                                                    ? "no source: encode one before decoding"
                                                    : "mask: the sequence has no token (mask[0] is 0)");
  const size_t heads = a.heads(), kv_heads = a.kv_heads(), head_dim = a.head_dim();
  const size_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  float* q = tensor_data<float>(s, op.inputs[0]);
  float* k = tensor_data<float>(s, op.inputs[1]);
  const bool self_attention = s.impl_->tensors[op.inputs[1]].storage == schema::Storage::Arena;
  if (a.rope_style() != schema::RopeStyle::None && self_attention)
    s.impl_->kernels->rope_f32(q, q_dim, heads, k, kv_dim, kv_heads, n, head_dim, 0, a.rope_theta(),
                               static_cast<kernels::RopeStyle>(a.rope_style()));
  AttentionTask task{};
  task.args = {q, q_dim, k, tensor_data<const float>(s, op.inputs[2]), kv_dim,
               tensor_data<float>(s, op.outputs[0]), q_dim, n, heads, kv_heads, head_dim,
               0, 1.0f / std::sqrt(static_cast<float>(head_dim))};
  task.args.causal = false;
  task.args.keys = tokens;
  run_attention_task(s, task, tokens);
  return Status();
}

Status run_attention(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const schema::AttentionOptions& a = *op.def->options_as_AttentionOptions();
  if (!a.causal()) return run_bidirectional_attention(s, op, rows);
  const BoundTensor& q_tensor = s.impl_->tensors[op.inputs[0]];
  const BoundTensor& k_cache = s.impl_->tensors[a.k_cache()];
  const size_t n = s.rows_of(q_tensor, rows);
  const int32_t position = *tensor_data<const int32_t>(s, op.inputs[3]);
  const size_t context = k_cache.shape[0];
  if (position < 0 || static_cast<size_t>(position) > context || n > context - static_cast<size_t>(position))
    return Status(StatusCode::kOutOfRange, "positions " + std::to_string(position) + ".." +
                                               std::to_string(int64_t(position) + int64_t(n) - 1) +
                                               " do not fit the KV cache of " + std::to_string(context));
  const size_t heads = a.heads(), kv_heads = a.kv_heads(), head_dim = a.head_dim();
  const size_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  const auto style = static_cast<kernels::RopeStyle>(a.rope_style());
  float* q = tensor_data<float>(s, op.inputs[0]);
  float* k = tensor_data<float>(s, op.inputs[1]);
  const float* v = tensor_data<const float>(s, op.inputs[2]);
  if (a.rope_style() != schema::RopeStyle::None)
    s.impl_->kernels->rope_f32(q, q_dim, heads, k, kv_dim, kv_heads, n, head_dim, position, a.rope_theta(),
                               style);
  uint8_t* k_cache_data = s.address(k_cache);
  uint8_t* v_cache_data = s.address(s.impl_->tensors[a.v_cache()]);
  AttentionTask task{};
  task.args = {q, q_dim, k_cache_data, v_cache_data, kv_dim,
               tensor_data<float>(s, op.outputs[0]), q_dim, n, heads, kv_heads, head_dim,
               static_cast<size_t>(position), 1.0f / std::sqrt(static_cast<float>(head_dim))};
  append_to_cache(s, k_cache.dtype, k, n, kv_heads, head_dim, position, k_cache_data,
                  a.k_scales() >= 0 ? tensor_data<float>(s, a.k_scales()) : nullptr);
  append_to_cache(s, k_cache.dtype, v, n, kv_heads, head_dim, position, v_cache_data,
                  a.v_scales() >= 0 ? tensor_data<float>(s, a.v_scales()) : nullptr);
  if (k_cache.dtype == schema::DType::F16) task.args.cache_type = kernels::KvCacheType::kF16;
  if (k_cache.dtype == schema::DType::I8) {
    task.args.cache_type = kernels::KvCacheType::kI8;
    task.args.k_scales = tensor_data<const float>(s, a.k_scales());
    task.args.v_scales = tensor_data<const float>(s, a.v_scales());
  }
  run_attention_task(s, task, static_cast<size_t>(position) + n);
  return Status();
}

Status run_elementwise(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& a = s.impl_->tensors[op.inputs[0]];
  const size_t count = s.rows_of(a, rows) * a.shape[1];
  const float* x = tensor_data<const float>(s, op.inputs[0]);
  const float* y = tensor_data<const float>(s, op.inputs[1]);
  float* out = tensor_data<float>(s, op.outputs[0]);
  if (op.type == OperatorOptions::AddOptions)
    kernels::add_f32_ref(x, y, count, out);
  else
    s.impl_->kernels->swiglu_f32(x, y, count, out);
  return Status();
}

Status run_last_row(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const size_t x_rows = s.rows_of(x, rows);
  std::memcpy(tensor_data<uint8_t>(s, op.outputs[0]), tensor_data<const uint8_t>(s, op.inputs[0]) +
              (x_rows - 1) * x.row_bytes, x.row_bytes);
  return Status();
}

Status run_activation(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const size_t count = s.rows_of(x, rows) * x.shape[1];
  const float* in = tensor_data<const float>(s, op.inputs[0]);
  float* out = tensor_data<float>(s, op.outputs[0]);
  switch (op.def->options_as_ActivationOptions()->function()) {
    case schema::ActivationFunction::Silu: kernels::silu_f32_ref(in, count, out); break;
    case schema::ActivationFunction::Relu: kernels::relu_f32_ref(in, count, out); break;
    default: kernels::tanh_f32_ref(in, count, out); break;
  }
  return Status();
}

Status run_store(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const BoundTensor& state = s.impl_->tensors[op.outputs[0]];
  const size_t bytes = s.rows_of(x, rows) * x.row_bytes;
  uint8_t* out = s.address(state);
  std::memcpy(out, tensor_data<const uint8_t>(s, op.inputs[0]), bytes);
  std::memset(out + bytes, 0, state.bytes - bytes);
  return Status();
}

Status run_pool(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  const size_t n = s.rows_of(x, rows), dim = x.shape[1];
  const float* x_data = tensor_data<const float>(s, op.inputs[0]);
  float* y = tensor_data<float>(s, op.outputs[0]);
  if (op.def->options_as_PoolOptions()->mode() == schema::PoolMode::First) {
    std::memcpy(y, x_data, dim * sizeof(float));
  } else if (!kernels::mean_pool_f32_ref(x_data, n, dim, tensor_data<const int32_t>(s, op.inputs[1]), y)) {
    return Status(StatusCode::kInvalidArgument, "mask: the sequence has no token to pool");
  }
  return Status();
}

Status run_l2_normalize(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = s.impl_->tensors[op.inputs[0]];
  kernels::l2_normalize_f32_ref(tensor_data<const float>(s, op.inputs[0]), s.rows_of(x, rows), x.shape[1],
                                op.def->options_as_L2NormalizeOptions()->epsilon(), tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

Status execute_operator(SessionImpl& s, const BoundOperator& op, size_t rows) {
  switch (op.type) {
    case OperatorOptions::EmbeddingOptions: return run_embedding(s, op, rows);
    case OperatorOptions::RmsNormOptions: return run_rms_norm(s, op, rows);
    case OperatorOptions::FullyConnectedOptions: return run_fully_connected(s, op, rows);
    case OperatorOptions::AttentionOptions: return run_attention(s, op, rows);
    case OperatorOptions::SwiGluOptions:
    case OperatorOptions::AddOptions: return run_elementwise(s, op, rows);
    case OperatorOptions::LastRowOptions: return run_last_row(s, op, rows);
    case OperatorOptions::LayerNormOptions: return run_layer_norm(s, op, rows);
    case OperatorOptions::GeluOptions: return run_gelu(s, op, rows);
    case OperatorOptions::PositionEmbeddingOptions: return run_position_embedding(s, op, rows);
    case OperatorOptions::ActivationOptions: return run_activation(s, op, rows);
    case OperatorOptions::StoreOptions: return run_store(s, op, rows);
    case OperatorOptions::PoolOptions: return run_pool(s, op, rows);
    case OperatorOptions::L2NormalizeOptions: return run_l2_normalize(s, op, rows);
    default: return Status(StatusCode::kInternal, "unknown operator");
  }
}

}  // namespace edgeformer
