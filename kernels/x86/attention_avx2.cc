// AVX2 causal attention: the reference kernel's one-pass online softmax, with the softmax-weighted sum of V held
// in ymm registers. Compiled with -mavx2 -mfma for this file alone.
#include <immintrin.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "avx2_reduce.h"
#include "edgeformer/kernels/attention.h"

namespace edgeformer::kernels {

namespace {

using x86::horizontal_sum;

constexpr size_t kLanes = 8;
// Heads up to 16 x 8 = 128 floats; wider ones take the reference kernel.
constexpr size_t kMaxChunks = 16;

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
    return horizontal_sum(sum) * row_scale(args.k_scales, t) * args.scale;
  };
  // Values enter already multiplied by their row's scale (int8) or as they are.
  auto value = [&](size_t t, size_t c) {
    const __m256 v = load_cache<T>(args.v_cache, t * args.kv_stride + kv_offset + c * kLanes, mask_of(c));
    return T == KvCacheType::kI8 ? _mm256_mul_ps(v, _mm256_set1_ps(row_scale(args.v_scales, t))) : v;
  };

  __m256 acc[C];
  float running_max = score_of(0);  // key 0 always exists and seeds the running max
  float running_sum = 1.0f;
  for (size_t c = 0; c < C; ++c) acc[c] = value(0, c);
  const size_t last_key = visible_keys(args, r) - 1;
  for (size_t t = 1; t <= last_key; ++t) {
    const float score = score_of(t);
    if (score > running_max) {
      const float correction = expf(running_max - score);
      running_sum = running_sum * correction + 1.0f;
      running_max = score;
      const __m256 factor = _mm256_set1_ps(correction);
      for (size_t c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(acc[c], factor, value(t, c));
    } else {
      const float weight = expf(score - running_max);
      running_sum += weight;
      const __m256 w = _mm256_set1_ps(weight);
      for (size_t c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(w, value(t, c), acc[c]);
    }
  }
  const __m256 inverse = _mm256_set1_ps(1.0f / running_sum);
  float* out = args.out + r * args.out_stride + h * head_dim;
  for (size_t c = 0; c < C; ++c) _mm256_maskstore_ps(out + c * kLanes, mask_of(c), _mm256_mul_ps(acc[c], inverse));
}

template <size_t C>
void attend(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  for (size_t r = row_begin; r < row_end; ++r)
    for (size_t h = head_begin; h < head_end; ++h) {
      switch (args.cache_type) {
        case KvCacheType::kF32: attend_one<C, KvCacheType::kF32>(args, r, h); break;
        case KvCacheType::kF16: attend_one<C, KvCacheType::kF16>(args, r, h); break;
        case KvCacheType::kI8: attend_one<C, KvCacheType::kI8>(args, r, h); break;
      }
    }
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
