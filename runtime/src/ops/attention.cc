// Attention, one fused operator. Causal (decoders): applies RoPE to q and k in place, appends k and v to the KV
// caches, then every row attends to the cache up to its own position. Bidirectional: every row attends to the
// tokens of a masked sequence, the rows' own (encoder self-attention) or a stored source's (cross-attention).
// Heads and row tiles are split over the thread pool.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/operator_run.h"
#include "session/attention_capture.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::Storage;

// Cross-attention over a stored source: k and v f32 state [keys, kv_dim], the mask i32 state [keys].
Status check_cross_attention(const OperatorCheck& c, int64_t kv_dim) {
  const schema::AttentionOptions* a = c.op.def->options_as_AttentionOptions();
  const BoundTensor &k = c.tensor(c.op.inputs[1]), &v = c.tensor(c.op.inputs[2]), &mask = c.tensor(c.op.inputs[3]);
  for (const BoundTensor* t : {&k, &v})
    if (t->storage != Storage::State || t->dtype != DType::F32 || t->rank != 2 || t->shape[1] != kv_dim ||
        t->shape[0] != k.shape[0])
      return c.fail("cross-attention keys and values must be f32 state [keys, " + std::to_string(kv_dim) + "]");
  if (mask.storage != Storage::State || mask.dtype != DType::I32 || mask.rank != 1 || mask.shape[0] != k.shape[0])
    return c.fail("cross-attention's mask must be an i32 state [" + std::to_string(k.shape[0]) + "]");
  if (a->rope_style() != schema::RopeStyle::None) return c.fail("cross-attention takes no rotary embedding");
  return Status();
}

// The caches of causal attention: f32, f16 or int8 (with scales) state [context, kv_dim], both of one type.
Status check_kv_caches(const OperatorCheck& c, int64_t kv_dim) {
  const schema::AttentionOptions* a = c.op.def->options_as_AttentionOptions();
  const int n = static_cast<int>(c.tensors.size());
  if (a->k_cache() < 0 || a->k_cache() >= n || a->v_cache() < 0 || a->v_cache() >= n || a->k_cache() == a->v_cache())
    return c.fail("KV-cache ids out of range");
  const DType cache_dtype = c.tensor(a->k_cache()).dtype;
  for (int cache : {a->k_cache(), a->v_cache()}) {
    const BoundTensor& t = c.tensor(cache);
    if (t.storage != Storage::State || t.dtype != cache_dtype || t.rank != 2 || t.shape[1] != kv_dim ||
        (cache_dtype != DType::F32 && cache_dtype != DType::F16 && cache_dtype != DType::I8))
      return c.fail("KV caches must be f32, f16 or int8 state [context, " + std::to_string(kv_dim) +
                    "], both of one type");
  }
  const int64_t context = c.tensor(a->k_cache()).shape[0];
  if (c.tensor(a->v_cache()).shape[0] != context) return c.fail("K and V caches differ in length");
  if (a->sliding_window() < 0 || (a->sliding_window() > 0 && a->sliding_window() != context))
    return c.fail("a sliding window's caches are rings of exactly the window (" +
                  std::to_string(a->sliding_window()) + " rows), found " + std::to_string(context));
  const bool int8 = cache_dtype == DType::I8;
  for (int scales : {a->k_scales(), a->v_scales()}) {
    if (!int8) {
      if (scales != -1) return c.fail("only int8 KV caches have scales");
      continue;
    }
    if (scales < 0 || scales >= n) return c.fail("int8 KV caches need scale ids in range");
    const BoundTensor& s = c.tensor(scales);
    if (s.storage != Storage::State || s.dtype != DType::F32 || s.rank != 2 || s.shape[0] != context ||
        s.shape[1] != a->kv_heads())
      return c.fail("KV-cache scales must be f32 state [" + std::to_string(context) + ", " +
                    std::to_string(a->kv_heads()) + "]");
  }
  if (int8 && a->k_scales() == a->v_scales()) return c.fail("K and V caches share their scales");
  return Status();
}

// Pairs of RoPE a head can have (head_dim is at most 4096).
constexpr size_t kMaxRopePairs = 2048;

// rope_dim within the head; frequency tables f32 weights of rope_dim / 2; the switches past the original context
// have that context; and no rotary options without a rotary embedding.
Status check_rope(const OperatorCheck& c) {
  const schema::AttentionOptions* a = c.op.def->options_as_AttentionOptions();
  const bool scaled = a->rope_inverse_frequencies() != -1 || a->rope_long_inverse_frequencies() != -1 ||
                      a->rope_dynamic_factor() != 0.0f || a->rope_attention_factor() != 1.0f || a->rope_dim() != 0 ||
                      a->rope_original_context() != 0;
  if (a->rope_style() == schema::RopeStyle::None)
    return scaled ? c.fail("rotary options without a rotary embedding") : Status();
  if (!(a->rope_theta() > 0.0f) || !std::isfinite(a->rope_theta())) return c.fail("rope_theta must be positive");
  const int dim = a->rope_dim() == 0 ? a->head_dim() : a->rope_dim();
  if (dim < 2 || dim % 2 != 0 || dim > a->head_dim())
    return c.fail("rope_dim " + std::to_string(dim) + " must be even and at most head dim " +
                  std::to_string(a->head_dim()));
  const int n = static_cast<int>(c.tensors.size());
  for (int table : {a->rope_inverse_frequencies(), a->rope_long_inverse_frequencies()})
    if (table != -1 && (table < 0 || table >= n || !c.is_weight(table, DType::F32, {dim / 2})))
      return c.fail("RoPE frequencies must be an f32 weight [" + std::to_string(dim / 2) + "]");
  const bool past_original = a->rope_long_inverse_frequencies() != -1 || a->rope_dynamic_factor() != 0.0f;
  if (past_original && a->rope_original_context() < 1)
    return c.fail("long RoPE frequencies and dynamic NTK need the original context");
  if (a->rope_long_inverse_frequencies() != -1 && a->rope_inverse_frequencies() == -1)
    return c.fail("long RoPE frequencies need the short ones");
  if (a->rope_dynamic_factor() != 0.0f &&
      (!(a->rope_dynamic_factor() >= 1.0f) || !std::isfinite(a->rope_dynamic_factor()) ||
       a->rope_inverse_frequencies() != -1 || dim < 4))
    return c.fail("dynamic NTK needs a factor >= 1, theta's frequencies and rope_dim >= 4");
  if (!(a->rope_attention_factor() > 0.0f) || !std::isfinite(a->rope_attention_factor()))
    return c.fail("rope_attention_factor must be positive");
  return Status();
}

Status check_attention(const OperatorCheck& c) {
  if (Status s = c.arity(4, 1); !s.ok()) return s;
  const schema::AttentionOptions* a = c.op.def->options_as_AttentionOptions();
  const int heads = a->heads(), kv_heads = a->kv_heads(), head_dim = a->head_dim();
  if (heads < 1 || kv_heads < 1 || heads % kv_heads != 0 || head_dim < 2 || head_dim % 2 != 0 || heads > 4096 ||
      head_dim > 4096)
    return c.fail("heads " + std::to_string(heads) + ", kv heads " + std::to_string(kv_heads) + ", head dim " +
                  std::to_string(head_dim) + ": heads must be a multiple of kv heads and head dim even");
  if (a->rope_style() != schema::RopeStyle::Interleaved && a->rope_style() != schema::RopeStyle::Half &&
      a->rope_style() != schema::RopeStyle::None)
    return c.fail("unknown rope style");
  if (Status s = check_rope(c); !s.ok()) return s;
  for (float f : {a->scale(), a->logit_softcap()})
    if (!(f >= 0.0f) || !std::isfinite(f)) return c.fail("scale and logit_softcap must be finite, >= 0");
  const int64_t q_dim = int64_t{heads} * head_dim, kv_dim = int64_t{kv_heads} * head_dim;
  const int q = c.op.inputs[0], k = c.op.inputs[1], v = c.op.inputs[2], out = c.op.outputs[0];
  if (!c.is_matrix(q, q_dim) || !c.is_matrix(out, q_dim) || !c.same_rows(q, out))
    return c.fail("expects q and out [rows, " + std::to_string(q_dim) + "]");
  const bool cross = !a->causal() && c.tensor(k).storage == Storage::State;
  if (!cross && (!c.is_matrix(k, kv_dim) || !c.is_matrix(v, kv_dim) || !c.same_rows(q, k) || !c.same_rows(q, v)))
    return c.fail("expects q/out [rows, " + std::to_string(q_dim) + "] and k/v [rows, " + std::to_string(kv_dim) +
                  "]");
  if (!a->causal()) {
    if (a->k_cache() != -1 || a->v_cache() != -1 || a->k_scales() != -1 || a->v_scales() != -1 ||
        a->sliding_window() != 0)
      return c.fail("bidirectional attention has no KV cache and no sliding window");
    if (cross) return check_cross_attention(c, kv_dim);
    if (!c.is_row_mask(c.op.inputs[3], q)) return c.fail("bidirectional attention's mask must be an i32 [rows] activation");
    return Status();
  }
  const BoundTensor& position = c.tensor(c.op.inputs[3]);
  if (position.storage != Storage::Arena || position.dtype != DType::I32 || position.rank != 1 ||
      position.shape[0] != 1 || position.dynamic_rows)
    return c.fail("position must be an i32 [1] activation");
  return check_kv_caches(c, kv_dim);
}

// The rotary embedding of a call whose last position is length - 1: the model's frequency table (LongRoPE's long
// one once the length passes the original context) or theta's (with dynamic NTK, theta scaled for the length once
// it passes the original context, as Hugging Face recomputes it per forward). inv_freq holds kMaxRopePairs.
kernels::RopeSpec rope_spec(SessionImpl& s, const schema::AttentionOptions& a, size_t length, float* inv_freq) {
  const size_t dim = a.rope_dim() == 0 ? a.head_dim() : a.rope_dim();
  const bool past_original = a.rope_original_context() > 0 && length > size_t(a.rope_original_context());
  const kernels::RopeStyle style = static_cast<kernels::RopeStyle>(a.rope_style());
  const float scale = a.rope_attention_factor();
  if (a.rope_inverse_frequencies() >= 0) {
    const int table = past_original && a.rope_long_inverse_frequencies() >= 0 ? a.rope_long_inverse_frequencies()
                                                                              : a.rope_inverse_frequencies();
    return {tensor_data<const float>(s, table), dim, scale, style};
  }
  double theta = a.rope_theta();
  if (a.rope_dynamic_factor() != 0.0f && past_original) {
    const double factor = a.rope_dynamic_factor(), d = double(dim);
    theta *= std::pow(factor * double(length) / a.rope_original_context() - (factor - 1.0), d / (d - 2.0));
  }
  kernels::rope_inverse_frequencies(static_cast<float>(theta), dim, inv_freq);
  return {inv_freq, dim, scale, style};
}

// The factor of q . k: the options', else 1 / sqrt(head_dim).
float score_scale(const schema::AttentionOptions& a) {
  return a.scale() > 0.0f ? a.scale() : 1.0f / std::sqrt(static_cast<float>(a.head_dim()));
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
void append_to_cache(const kernels::KernelSet& kernels, DType dtype, const float* rows, size_t n, size_t kv_heads,
                     size_t head_dim, size_t position, uint8_t* cache, float* scales) {
  const size_t kv_dim = kv_heads * head_dim;
  switch (dtype) {
    case DType::F16:
      kernels.f32_to_f16(rows, n * kv_dim, reinterpret_cast<uint16_t*>(cache) + position * kv_dim);
      return;
    case DType::I8:
      kernels.quantize_rows_q8(rows, head_dim, n * kv_heads, head_dim,
                               reinterpret_cast<int8_t*>(cache) + position * kv_dim, scales + position * kv_heads);
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
  task.attention = s.loaded_->kernels->attention_f32;
  if (s.pool_.threads() <= 1 || work < kMinParallelMacs)
    task.attention(a, 0, a.rows, 0, a.heads);
  else
    s.pool_.parallel_2d(a.heads, a.rows, kernels::kAttentionRowTile, &AttentionTask::run, &task);
}

// Points the kernels' capture at rows [query0, query0 + rows) of the captured heads' matrices, if this operator is
// captured; the scores become probabilities in finish_capture().
void aim_capture(const SessionImpl& s, const BoundOperator& op, size_t query0, kernels::AttentionArgs* args) {
  const AttentionCapture& c = s.capture_;
  float* first = captured_matrix(s, op, c.head_begin);
  if (first == nullptr) return;
  args->capture = first + query0 * c.max_keys;
  args->capture_row_stride = c.max_keys;
  args->capture_head_stride = c.max_queries * c.max_keys;
  args->capture_head_begin = size_t(c.head_begin);
  args->capture_head_end = size_t(c.head_end);
}

// Each captured row's scores, at the keys it saw, become their softmax; its other keys 0.
void finish_capture(const SessionImpl& s, const kernels::AttentionArgs& args) {
  if (args.capture == nullptr) return;
  for (size_t h = args.capture_head_begin; h < args.capture_head_end; ++h)
    for (size_t r = 0; r < args.rows; ++r)
      softmax_captured_row(kernels::captured_scores(args, r, h), 0, kernels::visible_keys(args, r),
                           s.capture_.max_keys);
}

// A ring row's scores are in slot order (slot j holds the position p = j mod window of the last `window` ones): put
// them at their positions t - window + 1 .. t, then make them probabilities.
void unwrap_captured_ring_row(const SessionImpl& s, const kernels::AttentionArgs& args, size_t t, size_t window) {
  for (size_t h = args.capture_head_begin; h < args.capture_head_end; ++h) {
    float* row = kernels::captured_scores(args, 0, h);
    if (t < window) {  // not wrapped yet: slots are positions
      softmax_captured_row(row, 0, t + 1, s.capture_.max_keys);
      continue;
    }
    std::rotate(row, row + (t + 1) % window, row + window);
    std::copy_backward(row, row + window, row + t + 1);
    softmax_captured_row(row, t + 1 - window, t + 1, s.capture_.max_keys);
  }
}

// Every row attends to the sequence's tokens, i.e. the keys before the padding: the rows' own (encoder
// self-attention) or a stored source's (cross-attention).
Status run_bidirectional_attention(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const schema::AttentionOptions& a = *op.def->options_as_AttentionOptions();
  const size_t n = s.rows_of(bound_tensor(s, op.inputs[0]), rows);
  const size_t key_rows = s.rows_of(bound_tensor(s, op.inputs[1]), rows);
  const int32_t* mask = tensor_data<const int32_t>(s, op.inputs[3]);
  size_t tokens = 0;
  while (tokens < key_rows && mask[tokens] == 1) ++tokens;
  for (size_t r = tokens; r < key_rows; ++r)
    if (mask[r] != 0)
      return Status(StatusCode::kInvalidArgument, "mask: expected 1 for each token then 0 for the padding after "
                                                  "them, found " + std::to_string(mask[r]) + " at row " + std::to_string(r));
  if (tokens == 0)
    return Status(StatusCode::kInvalidArgument, bound_tensor(s, op.inputs[3]).storage == Storage::State
                                                    ? "no source: encode one before decoding"
                                                    : "mask: the sequence has no token (mask[0] is 0)");
  // A cross-attention's rows are the target positions from the session's; an encoder's are the sequence's.
  const size_t query0 = op.attention_kind == AttentionKind::kCross ? s.position_ : 0;
  if (Status fits = check_capture_fits(s, op.attention_kind, query0 + n, tokens); !fits.ok()) return fits;
  const size_t heads = a.heads(), kv_heads = a.kv_heads(), head_dim = a.head_dim();
  const size_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  float* q = tensor_data<float>(s, op.inputs[0]);
  float* k = tensor_data<float>(s, op.inputs[1]);
  const bool self_attention = bound_tensor(s, op.inputs[1]).storage == Storage::Arena;
  if (a.rope_style() != schema::RopeStyle::None && self_attention) {
    float inv_freq[kMaxRopePairs];
    s.loaded_->kernels->rope_f32(q, q_dim, heads, k, kv_dim, kv_heads, n, head_dim, 0,
                                 rope_spec(s, a, n, inv_freq));
  }
  AttentionTask task{};
  task.args = {q, q_dim, k, tensor_data<const float>(s, op.inputs[2]), kv_dim,
               tensor_data<float>(s, op.outputs[0]), q_dim, n, heads, kv_heads, head_dim,
               0, score_scale(a)};
  task.args.causal = false;
  task.args.keys = tokens;
  task.args.logit_softcap = a.logit_softcap();
  aim_capture(s, op, query0, &task.args);
  run_attention_task(s, task, tokens);
  finish_capture(s, task.args);
  return Status();
}

Status run_attention(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const schema::AttentionOptions& a = *op.def->options_as_AttentionOptions();
  if (!a.causal()) return run_bidirectional_attention(s, op, rows);
  const BoundTensor& k_cache = bound_tensor(s, a.k_cache());
  const size_t n = s.rows_of(bound_tensor(s, op.inputs[0]), rows);
  const int32_t position = *tensor_data<const int32_t>(s, op.inputs[3]);
  const size_t context = k_cache.shape[0];
  // A ring's positions are bounded by the session's context, not by its rows.
  const size_t window = a.sliding_window() > 0 ? size_t(a.sliding_window()) : 0;
  const size_t limit = window > 0 ? size_t(INT32_MAX) : context;
  if (position < 0 || static_cast<size_t>(position) > limit || n > limit - static_cast<size_t>(position))
    return Status(StatusCode::kOutOfRange, "positions " + std::to_string(position) + ".." +
                                               std::to_string(int64_t(position) + int64_t(n) - 1) +
                                               " do not fit the KV cache of " + std::to_string(context));
  if (Status fits = check_capture_fits(s, AttentionKind::kDecoder, size_t(position) + n, size_t(position) + n);
      !fits.ok())
    return fits;
  const size_t heads = a.heads(), kv_heads = a.kv_heads(), head_dim = a.head_dim();
  const size_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  const kernels::KernelSet& kernels = *s.loaded_->kernels;
  float* q = tensor_data<float>(s, op.inputs[0]);
  float* k = tensor_data<float>(s, op.inputs[1]);
  const float* v = tensor_data<const float>(s, op.inputs[2]);
  float* out = tensor_data<float>(s, op.outputs[0]);
  if (a.rope_style() != schema::RopeStyle::None) {
    float inv_freq[kMaxRopePairs];
    kernels.rope_f32(q, q_dim, heads, k, kv_dim, kv_heads, n, head_dim, position,
                     rope_spec(s, a, size_t(position) + n, inv_freq));
  }
  uint8_t* k_cache_data = s.address(k_cache);
  uint8_t* v_cache_data = s.address(bound_tensor(s, a.v_cache()));
  float* k_scales = a.k_scales() >= 0 ? tensor_data<float>(s, a.k_scales()) : nullptr;
  float* v_scales = a.v_scales() >= 0 ? tensor_data<float>(s, a.v_scales()) : nullptr;
  AttentionTask task{};
  task.args = {q, q_dim, k_cache_data, v_cache_data, kv_dim, out, q_dim, n, heads, kv_heads, head_dim,
               static_cast<size_t>(position), score_scale(a)};
  task.args.logit_softcap = a.logit_softcap();
  if (k_cache.dtype == DType::F16) task.args.cache_type = kernels::KvCacheType::kF16;
  if (k_cache.dtype == DType::I8) {
    task.args.cache_type = kernels::KvCacheType::kI8;
    task.args.k_scales = k_scales;
    task.args.v_scales = v_scales;
  }
  aim_capture(s, op, size_t(position), &task.args);
  if (window == 0 || size_t(position) + n <= window) {
    // Every key the rows see is in the cache in position order (a window that has not wrapped yet is one too).
    append_to_cache(kernels, k_cache.dtype, k, n, kv_heads, head_dim, position, k_cache_data, k_scales);
    append_to_cache(kernels, k_cache.dtype, v, n, kv_heads, head_dim, position, v_cache_data, v_scales);
    run_attention_task(s, task, static_cast<size_t>(position) + n);
    finish_capture(s, task.args);
    return Status();
  }
  // The window has wrapped: row by row, each row's key and value go to ring row t % window, then the row attends
  // to every filled row of the ring, which then holds exactly its window (softmax does not care for key order).
  for (size_t r = 0; r < n; ++r) {
    const size_t t = size_t(position) + r, slot = t % window;
    append_to_cache(kernels, k_cache.dtype, k + r * kv_dim, 1, kv_heads, head_dim, slot, k_cache_data, k_scales);
    append_to_cache(kernels, k_cache.dtype, v + r * kv_dim, 1, kv_heads, head_dim, slot, v_cache_data, v_scales);
    AttentionTask row = task;
    row.args.q = q + r * q_dim;
    row.args.out = out + r * q_dim;
    row.args.rows = 1;
    row.args.causal = false;
    row.args.keys = std::min(t + 1, window);
    if (row.args.capture != nullptr) row.args.capture += r * row.args.capture_row_stride;
    run_attention_task(s, row, row.args.keys);
    if (row.args.capture != nullptr) unwrap_captured_ring_row(s, row.args, t, window);
  }
  return Status();
}

}  // namespace

extern const OperatorType kAttentionOperator = {check_attention, run_attention};

}  // namespace edgeformer
