// AVX-512 causal attention, the reference kernel's online softmax in two shapes:
// - tiles of up to 16 query rows (prefill): the rows sit in the lanes of a zmm, so a block of 16 keys' scores is
//   16 broadcast FMAs per head element (a small GEMM), the softmax needs no horizontal reduction, and the value
//   sums are again broadcast FMAs, four rows at a time sharing each value load;
// - single rows (decode): the head vectors (query, and the
//   softmax-weighted sum of V) in zmm registers, over blocks of 16 keys whose weights take one vector exp.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma for this file alone.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "attention_walk.h"
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

using x86::exp_non_positive;

constexpr size_t kLanes = 16;
// Heads up to 8 x 16 = 128 floats stay in registers; wider heads take the reference kernel.
constexpr size_t kMaxChunks = 8;
constexpr size_t kMaxHeadDim = kMaxChunks * kLanes;
static_assert(kAttentionRowTile == kLanes, "a row tile fills the lanes of one zmm");

// The 16 lane sums of v[0..15] as one vector (lane j = sum of v[j]): pairs are interleaved and added level by
// level, 45 instructions instead of 16 horizontal reductions.
inline __m512 sum_lanes_of_16(const __m512 (&v)[16]) {
  __m512 pairs[8];
  for (size_t i = 0; i < 8; ++i)
    pairs[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  __m512 quads[4];
  for (size_t i = 0; i < 4; ++i)
    quads[i] = _mm512_add_ps(_mm512_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // Each 128-bit lane of quads[i] now holds the partial sums of v[4i .. 4i + 3] over that lane.
  __m512 halves[2];
  for (size_t i = 0; i < 2; ++i)
    halves[i] = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// Loads 16 (masked) cache elements of type T as floats; int8 codes come without their scale.
template <KvCacheType T>
__m512 load_cache(const void* cache, size_t index, __mmask16 mask) {
  if constexpr (T == KvCacheType::kF32) return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(cache) + index);
  if constexpr (T == KvCacheType::kF16)
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(cache) + index));
  if constexpr (T == KvCacheType::kI8)
    return _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, static_cast<const int8_t*>(cache) + index)));
}

template <size_t C, KvCacheType T>
void attend_one(const AttentionArgs& args, size_t r, size_t h) {
  const size_t head_dim = args.head_dim;
  const __mmask16 tail = static_cast<__mmask16>(head_dim % kLanes == 0 ? 0xffff : (1u << (head_dim % kLanes)) - 1);
  auto mask_of = [&](size_t c) { return c + 1 == C ? tail : __mmask16(0xffff); };
  const size_t group = args.heads / args.kv_heads;
  const size_t kv_head = h / group, kv_offset = kv_head * head_dim;
  const auto row_scale = [&](const float* scales, size_t t) {
    return T == KvCacheType::kI8 ? scales[t * args.kv_heads + kv_head] : 1.0f;
  };
  const float* q_row = args.q + r * args.q_stride + h * head_dim;
  __m512 q[C], acc[C];
  for (size_t c = 0; c < C; ++c) q[c] = _mm512_maskz_loadu_ps(mask_of(c), q_row + c * kLanes);
  // q . k as 16 lane-wise partial sums, added up for 16 keys at once by sum_lanes_of_16.
  auto partial_score = [&](size_t t) {
    const size_t k = t * args.kv_stride + kv_offset;
    __m512 sum = _mm512_mul_ps(q[0], load_cache<T>(args.k_cache, k, mask_of(0)));
    for (size_t c = 1; c < C; ++c) sum = _mm512_fmadd_ps(q[c], load_cache<T>(args.k_cache, k + c * kLanes, mask_of(c)), sum);
    return sum;
  };
  // Values enter already multiplied by their row's scale (int8) or as they are.
  auto value = [&](size_t t, size_t c) {
    const __m512 v = load_cache<T>(args.v_cache, t * args.kv_stride + kv_offset + c * kLanes, mask_of(c));
    return T == KvCacheType::kI8 ? _mm512_mul_ps(v, _mm512_set1_ps(row_scale(args.v_scales, t))) : v;
  };

  // Keys in blocks of 16: their scores, one vector exp for the block, then the value sums. The running max moves
  // once per block, so the accumulator is rescaled at most once per 16 keys.
  float running_max = -INFINITY, running_sum = 0.0f;
  for (size_t c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  const size_t keys = visible_keys(args, r);
  alignas(64) float scores[kLanes];
  float* captured = captured_scores(args, r, h);
  for (size_t t0 = 0; t0 < keys; t0 += kLanes) {
    const size_t count = std::min(kLanes, keys - t0);
    const __mmask16 valid = static_cast<__mmask16>(count == kLanes ? 0xffff : (1u << count) - 1);
    __m512 partial[kLanes];
    for (size_t j = 0; j < kLanes; ++j) partial[j] = j < count ? partial_score(t0 + j) : _mm512_setzero_ps();
    __m512 key_scale = _mm512_set1_ps(args.scale);
    if (T == KvCacheType::kI8) {
      for (size_t j = 0; j < count; ++j) scores[j] = row_scale(args.k_scales, t0 + j) * args.scale;
      key_scale = _mm512_maskz_load_ps(valid, scores);
    }
    const __m512 block = _mm512_maskz_mul_ps(valid, sum_lanes_of_16(partial), key_scale);
    if (captured != nullptr) _mm512_mask_storeu_ps(captured + t0, valid, block);
    const float block_max = _mm512_mask_reduce_max_ps(valid, block);
    // Rescaled unconditionally (by 1 when the maximum stays): branches around the accumulators make GCC keep
    // them in memory.
    const float new_max = std::max(running_max, block_max);
    const float correction = new_max > running_max ? expf(running_max - new_max) : 1.0f;  // 0 for the first block
    running_sum *= correction;
    running_max = new_max;
    const __m512 factor = _mm512_set1_ps(correction);
    for (size_t c = 0; c < C; ++c) acc[c] = _mm512_mul_ps(acc[c], factor);
    const __m512 weights = _mm512_maskz_mov_ps(valid, exp_non_positive(_mm512_sub_ps(block, _mm512_set1_ps(running_max))));
    running_sum += _mm512_reduce_add_ps(weights);
    _mm512_store_ps(scores, weights);
    for (size_t j = 0; j < count; ++j) {
      const __m512 w = _mm512_set1_ps(scores[j]);
      for (size_t c = 0; c < C; ++c) acc[c] = _mm512_fmadd_ps(w, value(t0 + j, c), acc[c]);
    }
  }
  const __m512 inverse = _mm512_set1_ps(1.0f / running_sum);
  float* out = args.out + r * args.out_stride + h * head_dim;
  for (size_t c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * kLanes, mask_of(c), _mm512_mul_ps(acc[c], inverse));
}


// ---------------------------------------------------------------------------------------------------------------
// Tiles of query rows in lanes.

// The keys (or values) [t0, t0 + count) of one KV head as f32 rows: in place for an f32 cache, else converted into
// `scratch` (int8 codes times their scale).
template <KvCacheType T>
const float* block_rows(const AttentionArgs& args, const void* cache, const float* scales, size_t kv_head, size_t t0,
                        size_t count, float* scratch, size_t* stride) {
  const size_t head_dim = args.head_dim, offset = kv_head * head_dim;
  if constexpr (T == KvCacheType::kF32) {
    *stride = args.kv_stride;
    return static_cast<const float*>(cache) + t0 * args.kv_stride + offset;
  } else {
    const size_t chunks = (head_dim + kLanes - 1) / kLanes;
    for (size_t j = 0; j < count; ++j) {
      const size_t t = t0 + j;
      const __m512 scale = _mm512_set1_ps(T == KvCacheType::kI8 ? scales[t * args.kv_heads + kv_head] : 1.0f);
      for (size_t c = 0; c < chunks; ++c) {
        const size_t left = head_dim - c * kLanes;
        const __mmask16 mask = static_cast<__mmask16>(left >= kLanes ? 0xffff : (1u << left) - 1);
        const __m512 v = load_cache<T>(cache, t * args.kv_stride + offset + c * kLanes, mask);
        _mm512_storeu_ps(scratch + j * kMaxHeadDim + c * kLanes, _mm512_mul_ps(v, scale));
      }
    }
    *stride = kMaxHeadDim;
    return scratch;
  }
}

// out[i] = out[i] * correction[i] + sum over keys j of weights[j][i] * v[j], for the tile's rows, RG rows at a time
// so that each value load serves RG rows (RG x C accumulators stay within 16 registers).
template <size_t C>
void accumulate_values(float (*out)[kMaxHeadDim], const float (*weights)[kLanes], const float* correction,
                       const float* v, size_t v_stride, size_t keys, size_t rows, __mmask16 tail) {
  constexpr size_t RG = C <= 2 ? 8 : C <= 4 ? 4 : 2;
  for (size_t i0 = 0; i0 < rows; i0 += RG) {
    __m512 acc[RG][C];
    for (size_t r = 0; r < RG; ++r) {
      const __m512 factor = _mm512_set1_ps(correction[i0 + r]);
      for (size_t c = 0; c < C; ++c) acc[r][c] = _mm512_mul_ps(_mm512_load_ps(out[i0 + r] + c * kLanes), factor);
    }
    for (size_t j = 0; j < keys; ++j) {
      __m512 value[C];
      for (size_t c = 0; c < C; ++c)
        value[c] = _mm512_maskz_loadu_ps(c + 1 == C ? tail : __mmask16(0xffff), v + j * v_stride + c * kLanes);
      for (size_t r = 0; r < RG; ++r) {
        const __m512 w = _mm512_set1_ps(weights[j][i0 + r]);
        for (size_t c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(w, value[c], acc[r][c]);
      }
    }
    for (size_t r = 0; r < RG; ++r)
      for (size_t c = 0; c < C; ++c) _mm512_store_ps(out[i0 + r] + c * kLanes, acc[r][c]);
  }
}

// Rows [r0, r0 + rows) of head h, rows <= 16: lane i is row r0 + i.
template <size_t C, KvCacheType T>
void attend_tile(const AttentionArgs& args, size_t r0, size_t rows, size_t h) {
  const size_t head_dim = args.head_dim, kv_head = h / (args.heads / args.kv_heads);
  const __mmask16 tail = static_cast<__mmask16>(head_dim % kLanes == 0 ? 0xffff : (1u << (head_dim % kLanes)) - 1);
  alignas(64) float q_lanes[kMaxHeadDim][kLanes];  // q_lanes[d][i] = q[r0 + i][d] * scale
  alignas(64) float out[kLanes][kMaxHeadDim] = {};
  alignas(64) float weights[kLanes][kLanes];       // weights[j][i]: key t0 + j for row i
  alignas(64) float correction[kLanes];
  alignas(64) float key_scratch[T == KvCacheType::kF32 ? 1 : kLanes * kMaxHeadDim];
  alignas(64) float value_scratch[T == KvCacheType::kF32 ? 1 : kLanes * kMaxHeadDim];
  for (size_t d = 0; d < head_dim; ++d)
    for (size_t i = 0; i < kLanes; ++i)
      q_lanes[d][i] = i < rows ? args.q[(r0 + i) * args.q_stride + h * head_dim + d] * args.scale : 0.0f;

  // Causal: row i sees keys 0 .. first + i. Bidirectional: every row sees all `keys` (first = keys masks none).
  // Lanes past `rows` compute harmless values that are never stored.
  const size_t keys = args.causal ? args.pos0 + r0 + rows : args.keys;
  const size_t first = args.causal ? args.pos0 + r0 : keys;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512 running_max = _mm512_set1_ps(-INFINITY), running_sum = _mm512_setzero_ps();
  const bool capturing = captured_scores(args, r0, h) != nullptr;
  for (size_t t0 = 0; t0 < keys; t0 += kLanes) {
    const size_t count = std::min(kLanes, keys - t0);
    size_t k_stride, v_stride;
    const float* k = block_rows<T>(args, args.k_cache, args.k_scales, kv_head, t0, count, key_scratch, &k_stride);
    const float* v = block_rows<T>(args, args.v_cache, args.v_scales, kv_head, t0, count, value_scratch, &v_stride);
    // Scores of 16 keys for 16 rows: per head element, one q load and 16 FMAs by broadcast key elements.
    __m512 score[kLanes];
    for (size_t j = 0; j < kLanes; ++j) score[j] = _mm512_setzero_ps();
    if (count == kLanes) {
      for (size_t d = 0; d < head_dim; ++d) {
        const __m512 q = _mm512_load_ps(q_lanes[d]);
        for (size_t j = 0; j < kLanes; ++j) score[j] = _mm512_fmadd_ps(q, _mm512_set1_ps(k[j * k_stride + d]), score[j]);
      }
    } else {
      for (size_t d = 0; d < head_dim; ++d) {
        const __m512 q = _mm512_load_ps(q_lanes[d]);
        for (size_t j = 0; j < count; ++j) score[j] = _mm512_fmadd_ps(q, _mm512_set1_ps(k[j * k_stride + d]), score[j]);
      }
    }
    if (capturing) {
      alignas(64) float lanes[kLanes][kLanes];
      for (size_t j = 0; j < kLanes; ++j) _mm512_store_ps(lanes[j], score[j]);
      capture_tile_block(args, r0, rows, h, t0, count, lanes);
    }
    // Causal mask: key t0 + j is visible to lane i when t0 + j <= first + i.
    __mmask16 visible[kLanes];
    __m512 block_max = _mm512_set1_ps(-INFINITY);
    for (size_t j = 0; j < kLanes; ++j) {
      const size_t t = t0 + j;
      visible[j] = j >= count ? __mmask16(0)
                   : t <= first ? __mmask16(0xffff)
                                : _mm512_cmpge_epi32_mask(lane, _mm512_set1_epi32(static_cast<int>(t - first)));
      block_max = _mm512_mask_max_ps(block_max, visible[j], block_max, score[j]);
    }
    // Key 0 is visible to every lane, so the maximum is finite from the first block on, and the first correction
    // (from -infinity) is 0.
    const __m512 new_max = _mm512_max_ps(running_max, block_max);
    const __m512 factor = exp_non_positive(_mm512_sub_ps(running_max, new_max));
    running_max = new_max;
    running_sum = _mm512_mul_ps(running_sum, factor);
    _mm512_store_ps(correction, factor);
    for (size_t j = 0; j < count; ++j) {
      const __m512 w = _mm512_maskz_mov_ps(visible[j], exp_non_positive(_mm512_sub_ps(score[j], new_max)));
      running_sum = _mm512_add_ps(running_sum, w);
      _mm512_store_ps(weights[j], w);
    }
    accumulate_values<C>(out, weights, correction, v, v_stride, count, rows, tail);
  }
  alignas(64) float sums[kLanes];
  _mm512_store_ps(sums, running_sum);
  for (size_t i = 0; i < rows; ++i) {
    const __m512 inverse = _mm512_set1_ps(1.0f / sums[i]);
    float* dst = args.out + (r0 + i) * args.out_stride + h * head_dim;
    for (size_t c = 0; c < C; ++c)
      _mm512_mask_storeu_ps(dst + c * kLanes, c + 1 == C ? tail : __mmask16(0xffff),
                            _mm512_mul_ps(_mm512_load_ps(out[i] + c * kLanes), inverse));
  }
}

template <size_t C>
void attend(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  x86::with_cache_type(args.cache_type, [&](auto type) {
    constexpr KvCacheType T = decltype(type)::value;
    x86::for_each_attention_tile<kLanes>(
        args, row_begin, row_end, head_begin, head_end,
        [&](size_t r0, size_t rows, size_t h) { attend_tile<C, T>(args, r0, rows, h); },
        [&](size_t r, size_t h) { attend_one<C, T>(args, r, h); });
  });
}

}  // namespace

void attention_f32_avx512(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                                 size_t head_end) {
  using Attend = void (*)(const AttentionArgs&, size_t, size_t, size_t, size_t);
  static constexpr Attend kByChunks[kMaxChunks] = {attend<1>, attend<2>, attend<3>, attend<4>,
                                                   attend<5>, attend<6>, attend<7>, attend<8>};
  const size_t chunks = (args.head_dim + kLanes - 1) / kLanes;
  // Soft-capped scores (Gemma 2) take the reference (not yet in this kernel).
  if (args.logit_softcap != 0.0f || chunks == 0 || chunks > kMaxChunks) {
    attention_f32_ref(args, row_begin, row_end, head_begin, head_end);
    return;
  }
  kByChunks[chunks - 1](args, row_begin, row_end, head_begin, head_end);
}

}  // namespace edgeformer::kernels
