// AVX2 attention, the reference kernel's online softmax in two shapes:
// - tiles of up to 8 query rows (prefill): the rows sit in the lanes of a ymm. A block of 8 keys' scores is 8
//   broadcast FMAs per head element (a small GEMM with q in lanes), the softmax needs no horizontal reduction and
//   no mask registers (lane compares), and the value sums are the same small GEMM again: per head element, the
//   8 rows' weights times one broadcast value element;
// - single rows (decode): the head vectors (query, and the softmax-weighted
//   sum of V) in ymm registers, keys in chunks of scores, then weights, then value sums.
// Compiled with -mavx2 -mfma -mf16c for this file alone.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "avx2_reduce.h"
#include "attention_walk.h"
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

using x86::exp_non_positive;
using x86::horizontal_sum;

constexpr size_t kLanes = 8;
// Heads up to 32 x 8 = 256 floats (Gemma's); wider ones take the reference kernel. The row kernel's accumulators
// spill to the stack past 16 chunks, which still beats the reference several times.
constexpr size_t kMaxChunks = 32;
constexpr size_t kMaxHeadDim = kMaxChunks * kLanes;

// Loads 8 cache elements of type T as floats (int8 codes without their scale). f16 and int8 rows are only read in
// whole chunks (head_dim a multiple of 8); f32 uses the tail mask.
template <KvCacheType T>
__m256 load_cache(const void* cache, size_t index, __m256i mask) {
  if constexpr (T == KvCacheType::kF32) return _mm256_maskload_ps(static_cast<const float*>(cache) + index, mask);
  if constexpr (T == KvCacheType::kF16)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(cache) + index)));
  if constexpr (T == KvCacheType::kI8)
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const int8_t*>(cache) + index))));
}

// Keys per chunk of the row kernel: scores and weights of a chunk stay on the stack. Rows are prefetched
// kPrefetchKeys keys ahead.
constexpr size_t kKeyChunk = 64;
constexpr size_t kPrefetchKeys = 8;

// All ones in the lanes below `count` (1..8), zeros above.
inline __m256 lanes_below(size_t count) {
  return _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

template <size_t C, KvCacheType T>
void attend_one(const AttentionArgs& args, size_t r, size_t h) {
  const size_t head_dim = args.head_dim;
  // Lanes past head_dim in the last chunk are masked off (vmaskmovps reads and writes nothing there).
  const size_t valid = head_dim - (C - 1) * kLanes;
  alignas(32) int32_t tail_bits[kLanes];
  for (size_t i = 0; i < kLanes; ++i) tail_bits[i] = i < valid ? -1 : 0;
  const __m256i tail = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail_bits));
  const __m256i all = _mm256_set1_epi32(-1);
  auto mask_of = [&](size_t c) { return c + 1 == C ? tail : all; };
  const size_t group = args.heads / args.kv_heads;
  const size_t kv_head = h / group, kv_offset = kv_head * head_dim;
  const auto row_scale = [&](const float* scales, size_t t) {
    return T == KvCacheType::kI8 ? scales[t * args.kv_heads + kv_head] : 1.0f;
  };
  const float* q = args.q + r * args.q_stride + h * head_dim;
  auto score_of = [&](size_t t) {
    const size_t k = t * args.kv_stride + kv_offset;
    __m256 sum = _mm256_mul_ps(_mm256_maskload_ps(q, mask_of(0)), load_cache<T>(args.k_cache, k, mask_of(0)));
    for (size_t c = 1; c < C; ++c)
      sum = _mm256_fmadd_ps(_mm256_maskload_ps(q + c * kLanes, mask_of(c)),
                            load_cache<T>(args.k_cache, k + c * kLanes, mask_of(c)), sum);
    return soft_capped(args, horizontal_sum(sum) * row_scale(args.k_scales, t) * args.scale);
  };
  // Values enter already multiplied by their row's scale (int8) or as they are.
  // The keys' and values' head rows are kv_stride apart: asked for a few keys ahead, the strided rows (a head's
  // 64 to 512 bytes of each) arrive in time, which the hardware prefetchers did not do for long contexts.
  constexpr size_t kElement = T == KvCacheType::kF32 ? 4 : T == KvCacheType::kF16 ? 2 : 1;
  auto prefetch_row = [&](const void* cache, size_t t) {
    const char* row = static_cast<const char*>(cache) + (t * args.kv_stride + kv_offset) * kElement;
    for (size_t byte = 0; byte < head_dim * kElement; byte += 64) _mm_prefetch(row + byte, _MM_HINT_T0);
  };
  auto value = [&](size_t t, size_t c) {
    const __m256 v = load_cache<T>(args.v_cache, t * args.kv_stride + kv_offset + c * kLanes, mask_of(c));
    return T == KvCacheType::kI8 ? _mm256_mul_ps(v, _mm256_set1_ps(row_scale(args.v_scales, t))) : v;
  };

  // Keys go in chunks: first every score of the chunk (independent dot products, which the core overlaps; key by
  // key, each waiting for its expf before the next, the loop was latency bound), then their weights at once with the
  // vector exp, then the value sums. The running max and sum carry the softmax from chunk to chunk.
  __m256 acc[C];
  for (size_t c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  float* captured = captured_scores(args, r, h);
  float running_max = 0.0f, running_sum = 0.0f;
  alignas(32) float weights[kKeyChunk];
  const size_t keys = visible_keys(args, r);
  for (size_t t0 = 0; t0 < keys; t0 += kKeyChunk) {
    const size_t count = std::min(kKeyChunk, keys - t0);
    float chunk_max = score_of(t0);
    weights[0] = chunk_max;
    for (size_t j = 1; j < count; ++j) {
      if (t0 + j + kPrefetchKeys < keys) prefetch_row(args.k_cache, t0 + j + kPrefetchKeys);
      weights[j] = score_of(t0 + j);
      chunk_max = std::max(chunk_max, weights[j]);
    }
    if (captured != nullptr) std::copy_n(weights, count, captured + t0);
    const size_t padded = (count + kLanes - 1) / kLanes * kLanes;
    std::fill(weights + count, weights + padded, 0.0f);
    if (t0 == 0 || chunk_max > running_max) {
      if (t0 > 0) {
        const float correction = expf(running_max - chunk_max);
        running_sum *= correction;
        const __m256 factor = _mm256_set1_ps(correction);
        for (size_t c = 0; c < C; ++c) acc[c] = _mm256_mul_ps(acc[c], factor);
      }
      running_max = chunk_max;
    }
    const __m256 max = _mm256_set1_ps(running_max);
    __m256 sum = _mm256_setzero_ps();
    for (size_t j = 0; j < padded; j += kLanes) {
      __m256 w = exp_non_positive(_mm256_sub_ps(_mm256_load_ps(weights + j), max));
      if (j + kLanes > count) w = _mm256_and_ps(w, lanes_below(count - j));
      _mm256_store_ps(weights + j, w);
      sum = _mm256_add_ps(sum, w);
    }
    running_sum += horizontal_sum(sum);
    for (size_t j = 0; j < count; ++j) {
      if (j + kPrefetchKeys < count) prefetch_row(args.v_cache, t0 + j + kPrefetchKeys);
      const __m256 w = _mm256_set1_ps(weights[j]);
      for (size_t c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(w, value(t0 + j, c), acc[c]);
    }
  }
  const __m256 inverse = _mm256_set1_ps(1.0f / running_sum);
  float* out = args.out + r * args.out_stride + h * head_dim;
  for (size_t c = 0; c < C; ++c) _mm256_maskstore_ps(out + c * kLanes, mask_of(c), _mm256_mul_ps(acc[c], inverse));
}

// ---------------------------------------------------------------------------------------------------------------
// Tiles of query rows in lanes.

// The keys (or values) [t0, t0 + count) of one KV head as f32 rows `*stride` apart: in place for a whole block of an
// f32 cache; otherwise converted into `scratch` (int8 codes times their scale), the rows past `count` zero, so that
// every block is read as 8 rows.
template <KvCacheType T>
const float* block_rows(const AttentionArgs& args, const void* cache, const float* scales, size_t kv_head, size_t t0,
                        size_t count, float (*scratch)[kMaxHeadDim], size_t* stride) {
  const size_t head_dim = args.head_dim, offset = kv_head * head_dim;
  if (T == KvCacheType::kF32 && count == kLanes) {
    *stride = args.kv_stride;
    return static_cast<const float*>(cache) + t0 * args.kv_stride + offset;
  }
  for (size_t j = 0; j < kLanes; ++j) {
    const size_t t = t0 + j;
    if (j >= count) {
      std::fill(scratch[j], scratch[j] + head_dim, 0.0f);
    } else if constexpr (T == KvCacheType::kF32) {
      std::copy_n(static_cast<const float*>(cache) + t * args.kv_stride + offset, head_dim, scratch[j]);
    } else {
      // f16 and int8 heads are whole chunks of 8 (attention_f32_avx2 sends others to the reference).
      const __m256 scale = _mm256_set1_ps(T == KvCacheType::kI8 ? scales[t * args.kv_heads + kv_head] : 1.0f);
      const __m256i all = _mm256_set1_epi32(-1);
      for (size_t d = 0; d < head_dim; d += kLanes)
        _mm256_storeu_ps(scratch[j] + d,
                         _mm256_mul_ps(load_cache<T>(cache, t * args.kv_stride + offset + d, all), scale));
    }
  }
  *stride = kMaxHeadDim;
  return scratch[0];
}

// out[d] = out[d] * factor + sum over the block's 8 keys j of weights[j] * v[j][d], for D head elements from d0:
// rows in lanes, so each FMA takes one broadcast value element.
template <size_t D>
void accumulate_values(float (*out)[kLanes], const float (*weights)[kLanes], __m256 factor, const float* v,
                       size_t v_stride, size_t d0) {
  __m256 acc[D];
  for (size_t e = 0; e < D; ++e) acc[e] = _mm256_mul_ps(_mm256_load_ps(out[d0 + e]), factor);
  // Unrolled: as a loop, GCC 12 writes the accumulators back to the stack at every step.
#pragma GCC unroll 8
  for (size_t j = 0; j < kLanes; ++j) {
    const __m256 w = _mm256_load_ps(weights[j]);
    for (size_t e = 0; e < D; ++e) acc[e] = _mm256_fmadd_ps(w, _mm256_broadcast_ss(v + j * v_stride + d0 + e), acc[e]);
  }
  for (size_t e = 0; e < D; ++e) _mm256_store_ps(out[d0 + e], acc[e]);
}

// The last head elements, head_dim % 8 of them.
inline void accumulate_tail(size_t count, float (*out)[kLanes], const float (*weights)[kLanes], __m256 factor,
                            const float* v, size_t v_stride, size_t d0) {
  switch (count) {
    case 1: return accumulate_values<1>(out, weights, factor, v, v_stride, d0);
    case 2: return accumulate_values<2>(out, weights, factor, v, v_stride, d0);
    case 3: return accumulate_values<3>(out, weights, factor, v, v_stride, d0);
    case 4: return accumulate_values<4>(out, weights, factor, v, v_stride, d0);
    case 5: return accumulate_values<5>(out, weights, factor, v, v_stride, d0);
    case 6: return accumulate_values<6>(out, weights, factor, v, v_stride, d0);
    case 7: return accumulate_values<7>(out, weights, factor, v, v_stride, d0);
  }
}

// Rows [r0, r0 + rows) of head h, rows <= 8: lane i is row r0 + i.
template <KvCacheType T>
void attend_tile(const AttentionArgs& args, size_t r0, size_t rows, size_t h) {
  const size_t head_dim = args.head_dim, kv_head = h / (args.heads / args.kv_heads);
  __m256 q_lanes[kMaxHeadDim];                // lane i of q_lanes[d] = q[r0 + i][d] * scale
  alignas(32) float out[kMaxHeadDim][kLanes];  // out[d][i]: row r0 + i's unnormalized output
  alignas(32) float weights[kLanes][kLanes];  // weights[j][i]: key t0 + j for row i
  alignas(32) float key_scratch[kLanes][kMaxHeadDim];
  alignas(32) float value_scratch[kLanes][kMaxHeadDim];
  for (size_t d = 0; d < head_dim; ++d) {
    alignas(32) float lanes[kLanes] = {};
    for (size_t i = 0; i < rows; ++i) lanes[i] = args.q[(r0 + i) * args.q_stride + h * head_dim + d] * args.scale;
    q_lanes[d] = _mm256_load_ps(lanes);
    _mm256_store_ps(out[d], _mm256_setzero_ps());
  }

  // Causal: row i sees keys 0 .. first + i. Bidirectional: every row sees all `keys` (first = keys masks none).
  // Lanes past `rows` compute harmless values that are never stored.
  const size_t keys = args.causal ? args.pos0 + r0 + rows : args.keys;
  const size_t first = args.causal ? args.pos0 + r0 : keys;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 minus_infinity = _mm256_set1_ps(-INFINITY);
  __m256 running_max = minus_infinity, running_sum = _mm256_setzero_ps();
  const bool capturing = captured_scores(args, r0, h) != nullptr;
  for (size_t t0 = 0; t0 < keys; t0 += kLanes) {
    const size_t count = std::min(kLanes, keys - t0);
    size_t k_stride, v_stride;
    const float* k = block_rows<T>(args, args.k_cache, args.k_scales, kv_head, t0, count, key_scratch, &k_stride);
    const float* v = block_rows<T>(args, args.v_cache, args.v_scales, kv_head, t0, count, value_scratch, &v_stride);
    __m256 score[kLanes];
    for (size_t j = 0; j < kLanes; ++j) score[j] = _mm256_setzero_ps();
    for (size_t d = 0; d < head_dim; ++d)
      for (size_t j = 0; j < kLanes; ++j)
        score[j] = _mm256_fmadd_ps(q_lanes[d], _mm256_broadcast_ss(k + j * k_stride + d), score[j]);
    if (args.logit_softcap > 0.0f) {
      // One tanh per score: a fraction of the score's own head_dim FMAs.
      alignas(32) float lanes[kLanes];
      for (size_t j = 0; j < kLanes; ++j) {
        _mm256_store_ps(lanes, score[j]);
        for (float& v : lanes) v = soft_capped(args, v);
        score[j] = _mm256_load_ps(lanes);
      }
    }
    if (capturing) {
      alignas(32) float lanes[kLanes][kLanes];
      for (size_t j = 0; j < kLanes; ++j) _mm256_store_ps(lanes[j], score[j]);
      capture_tile_block(args, r0, rows, h, t0, count, lanes);
    }
    // Key t0 + j is visible to lane i when t0 + j <= first + i, and exists when j < count.
    __m256 visible[kLanes];
    __m256 block_max = minus_infinity;
    for (size_t j = 0; j < kLanes; ++j) {
      const size_t t = t0 + j;
      visible[j] = j >= count  ? _mm256_setzero_ps()
                   : t <= first ? _mm256_castsi256_ps(_mm256_set1_epi32(-1))
                                : _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                                      lane, _mm256_set1_epi32(static_cast<int>(t - first - 1))));
      block_max = _mm256_max_ps(block_max, _mm256_blendv_ps(minus_infinity, score[j], visible[j]));
    }
    // Key 0 is visible to every lane, so the maximum is finite from the first block on, and the first correction
    // (from -infinity) multiplies zeros.
    const __m256 new_max = _mm256_max_ps(running_max, block_max);
    const __m256 factor = exp_non_positive(_mm256_sub_ps(running_max, new_max));
    running_max = new_max;
    running_sum = _mm256_mul_ps(running_sum, factor);
    for (size_t j = 0; j < kLanes; ++j) {
      const __m256 w = _mm256_and_ps(visible[j], exp_non_positive(_mm256_sub_ps(score[j], new_max)));
      running_sum = _mm256_add_ps(running_sum, w);
      _mm256_store_ps(weights[j], w);
    }
    size_t d0 = 0;
    for (; d0 + kLanes <= head_dim; d0 += kLanes) accumulate_values<kLanes>(out, weights, factor, v, v_stride, d0);
    if (d0 < head_dim) accumulate_tail(head_dim - d0, out, weights, factor, v, v_stride, d0);
  }
  alignas(32) float sums[kLanes];
  _mm256_store_ps(sums, running_sum);
  for (size_t i = 0; i < rows; ++i) {
    const float inverse = 1.0f / sums[i];
    float* dst = args.out + (r0 + i) * args.out_stride + h * head_dim;
    for (size_t d = 0; d < head_dim; ++d) dst[d] = out[d][i] * inverse;
  }
}

template <size_t C>
void attend(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  x86::with_cache_type(args.cache_type, [&](auto type) {
    constexpr KvCacheType T = decltype(type)::value;
    x86::for_each_attention_tile<kLanes>(
        args, row_begin, row_end, head_begin, head_end,
        [&](size_t r0, size_t rows, size_t h) { attend_tile<T>(args, r0, rows, h); },
        [&](size_t r, size_t h) { attend_one<C, T>(args, r, h); });
  });
}

template <size_t... C>
constexpr auto attend_table(std::index_sequence<C...>) {
  using Attend = void (*)(const AttentionArgs&, size_t, size_t, size_t, size_t);
  return std::array<Attend, sizeof...(C)>{attend<C + 1>...};
}

}  // namespace

void attention_f32_avx2(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                               size_t head_end) {
  static constexpr auto kByChunks = attend_table(std::make_index_sequence<kMaxChunks>{});
  const size_t chunks = (args.head_dim + kLanes - 1) / kLanes;
  const bool whole_chunks = args.head_dim % kLanes == 0;
  if (chunks == 0 || chunks > kMaxChunks || (args.cache_type != KvCacheType::kF32 && !whole_chunks)) {
    attention_f32_ref(args, row_begin, row_end, head_begin, head_end);
    return;
  }
  kByChunks[chunks - 1](args, row_begin, row_end, head_begin, head_end);
}

}  // namespace edgeformer::kernels
