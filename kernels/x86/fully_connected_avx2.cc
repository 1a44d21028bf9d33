// AVX2 + FMA fully connected kernels. Compiled with -mavx2 -mfma for this file alone.
//
// Each call computes R output channels for one row at a time: the R weight rows are read once per input row and
// stay in L1 across the rows of a batch, and R independent accumulators hide the FMA latency.
#include <immintrin.h>

#include "edgeformer/kernels/fully_connected.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kChannelsPerStep = 4;

float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

int32_t horizontal_sum(__m256i v) {
  __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(sum);
}

template <size_t R>
void dot_f32(const float* x, const float* w, size_t k, float* out) {
  __m256 acc[R];
  for (size_t r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    for (size_t r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(w + r * k + i), xv, acc[r]);
  }
  for (size_t r = 0; r < R; ++r) {
    float sum = horizontal_sum(acc[r]);
    for (size_t j = i; j < k; ++j) sum += x[j] * w[r * k + j];
    out[r] = sum;
  }
}

// int8 x int8 widened to int16 and multiplied pairwise into int32 (vpmaddwd): exact for every int8 value, unlike
// vpmaddubsw whose int16 pair sums saturate.
template <size_t R>
void dot_q8(const int8_t* x, const int8_t* w, size_t k, int32_t* out) {
  __m256i acc[R];
  for (size_t r = 0; r < R; ++r) acc[r] = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256i xv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    for (size_t r = 0; r < R; ++r) {
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + r * k + i)));
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(xv, wv));
    }
  }
  for (size_t r = 0; r < R; ++r) {
    int32_t sum = horizontal_sum(acc[r]);
    for (size_t j = i; j < k; ++j) sum += static_cast<int32_t>(x[j]) * static_cast<int32_t>(w[r * k + j]);
    out[r] = sum;
  }
}

}  // namespace

void fully_connected_f32_avx2(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  const size_t k = args.k;
  size_t n = n_begin;
  for (; n + kChannelsPerStep <= n_end; n += kChannelsPerStep)
    for (size_t m = 0; m < args.m; ++m)
      dot_f32<kChannelsPerStep>(args.x + m * args.x_stride, args.w + n * k, k, args.y + m * args.y_stride + n);
  for (; n < n_end; ++n)
    for (size_t m = 0; m < args.m; ++m) dot_f32<1>(args.x + m * args.x_stride, args.w + n * k, k, args.y + m * args.y_stride + n);
}

void fully_connected_q8_avx2(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  const size_t k = args.k;
  int32_t acc[kChannelsPerStep];
  size_t n = n_begin;
  for (; n < n_end;) {
    const size_t step = n + kChannelsPerStep <= n_end ? kChannelsPerStep : 1;
    for (size_t m = 0; m < args.m; ++m) {
      if (step == kChannelsPerStep)
        dot_q8<kChannelsPerStep>(args.xq + m * k, args.w + n * k, k, acc);
      else
        dot_q8<1>(args.xq + m * k, args.w + n * k, k, acc);
      float* y = args.y + m * args.y_stride + n;
      for (size_t r = 0; r < step; ++r) y[r] = static_cast<float>(acc[r]) * args.x_scale[m] * args.w_scale[n + r];
    }
    n += step;
  }
}

}  // namespace edgeformer::kernels
