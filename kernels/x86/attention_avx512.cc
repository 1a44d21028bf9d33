// AVX-512 causal attention: the reference kernel's one-pass online softmax, with the head vectors held in zmm
// registers (query, and the softmax-weighted sum of V), over blocks of 16 keys whose weights take one vector exp.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma for this file alone.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "edgeformer/kernels/attention.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

using x86::exp_non_positive;

constexpr size_t kLanes = 16;
// Heads up to 8 x 16 = 128 floats stay in registers; wider heads take the reference kernel.
constexpr size_t kMaxChunks = 8;

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
  const size_t keys = args.pos0 + r + 1;
  alignas(64) float scores[kLanes];
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

template <size_t C>
void attend(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  // Head by head: one head's keys and values stay in cache while every row reads them.
  for (size_t h = head_begin; h < head_end; ++h)
    for (size_t r = row_begin; r < row_end; ++r) {
      switch (args.cache_type) {
        case KvCacheType::kF32: attend_one<C, KvCacheType::kF32>(args, r, h); break;
        case KvCacheType::kF16: attend_one<C, KvCacheType::kF16>(args, r, h); break;
        case KvCacheType::kI8: attend_one<C, KvCacheType::kI8>(args, r, h); break;
      }
    }
}

}  // namespace

void attention_causal_f32_avx512(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                                 size_t head_end) {
  using Attend = void (*)(const AttentionArgs&, size_t, size_t, size_t, size_t);
  static constexpr Attend kByChunks[kMaxChunks] = {attend<1>, attend<2>, attend<3>, attend<4>,
                                                   attend<5>, attend<6>, attend<7>, attend<8>};
  const size_t chunks = (args.head_dim + kLanes - 1) / kLanes;
  if (chunks == 0 || chunks > kMaxChunks) {
    attention_causal_f32_ref(args, row_begin, row_end, head_begin, head_end);
    return;
  }
  kByChunks[chunks - 1](args, row_begin, row_end, head_begin, head_end);
}

}  // namespace edgeformer::kernels
