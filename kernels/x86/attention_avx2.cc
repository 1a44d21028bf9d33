// AVX2 causal attention: the reference kernel's one-pass online softmax, with the softmax-weighted sum of V held
// in ymm registers. Compiled with -mavx2 -mfma for this file alone.
#include <immintrin.h>

#include <array>
#include <cmath>
#include <utility>

#include "avx2_reduce.h"
#include "edgeformer/kernels/attention.h"

namespace edgeformer::kernels {

namespace {

using x86::horizontal_sum;

constexpr size_t kLanes = 8;
// Heads up to 16 x 8 = 128 floats; wider ones take the reference kernel.
constexpr size_t kMaxChunks = 16;

template <size_t C>
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
  const size_t kv_offset = (h / group) * head_dim;
  const float* q = args.q + r * args.q_stride + h * head_dim;
  auto score_of = [&](size_t t) {
    const float* k = args.k_cache + t * args.kv_stride + kv_offset;
    __m256 sum = _mm256_mul_ps(_mm256_maskload_ps(q, mask_of(0)), _mm256_maskload_ps(k, mask_of(0)));
    for (size_t c = 1; c < C; ++c)
      sum = _mm256_fmadd_ps(_mm256_maskload_ps(q + c * kLanes, mask_of(c)), _mm256_maskload_ps(k + c * kLanes, mask_of(c)),
                            sum);
    return horizontal_sum(sum) * args.scale;
  };
  auto value = [&](size_t t, size_t c) {
    return _mm256_maskload_ps(args.v_cache + t * args.kv_stride + kv_offset + c * kLanes, mask_of(c));
  };

  __m256 acc[C];
  float running_max = score_of(0);  // key 0 always exists and seeds the running max
  float running_sum = 1.0f;
  for (size_t c = 0; c < C; ++c) acc[c] = value(0, c);
  const size_t last_key = args.pos0 + r;
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
    for (size_t h = head_begin; h < head_end; ++h) attend_one<C>(args, r, h);
}

template <size_t... C>
constexpr auto attend_table(std::index_sequence<C...>) {
  using Attend = void (*)(const AttentionArgs&, size_t, size_t, size_t, size_t);
  return std::array<Attend, sizeof...(C)>{attend<C + 1>...};
}

}  // namespace

void attention_causal_f32_avx2(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                               size_t head_end) {
  static constexpr auto kByChunks = attend_table(std::make_index_sequence<kMaxChunks>{});
  const size_t chunks = (args.head_dim + kLanes - 1) / kLanes;
  if (chunks == 0 || chunks > kMaxChunks) {
    attention_causal_f32_ref(args, row_begin, row_end, head_begin, head_end);
    return;
  }
  kByChunks[chunks - 1](args, row_begin, row_end, head_begin, head_end);
}

}  // namespace edgeformer::kernels
