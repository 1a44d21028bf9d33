// AVX-512 fully connected kernels: f32 with FMA on zmm, int8 with VNNI's vpdpwssd. Compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma for this file alone.
//
// Same blocking as the AVX2 variants; the tail of k is one masked step, so there is no scalar remainder loop.
#include <immintrin.h>

#include "edgeformer/kernels/fully_connected.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kChannelsPerStep = 4;

template <size_t R>
void dot_f32(const float* x, const float* w, size_t k, float* out) {
  __m512 acc[R];
  for (size_t r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m512 xv = _mm512_loadu_ps(x + i);
    for (size_t r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(w + r * k + i), xv, acc[r]);
  }
  if (i < k) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - i)) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(mask, x + i);
    for (size_t r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, w + r * k + i), xv, acc[r]);
  }
  for (size_t r = 0; r < R; ++r) out[r] = _mm512_reduce_add_ps(acc[r]);
}

// int8 widened to int16, then vpdpwssd multiplies pairs and accumulates in int32: exact for every int8 value.
template <size_t R>
void dot_q8(const int8_t* x, const int8_t* w, size_t k, int32_t* out) {
  __m512i acc[R];
  for (size_t r = 0; r < R; ++r) acc[r] = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m512i xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)));
    for (size_t r = 0; r < R; ++r)
      acc[r] = _mm512_dpwssd_epi32(
          acc[r], xv, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * k + i))));
  }
  if (i < k) {
    const __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << (k - i)) - 1);
    const __m512i xv = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, x + i));
    for (size_t r = 0; r < R; ++r)
      acc[r] = _mm512_dpwssd_epi32(acc[r], xv, _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, w + r * k + i)));
  }
  for (size_t r = 0; r < R; ++r) out[r] = _mm512_reduce_add_epi32(acc[r]);
}

}  // namespace

void fully_connected_f32_avx512(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  const size_t k = args.k;
  size_t n = n_begin;
  for (; n + kChannelsPerStep <= n_end; n += kChannelsPerStep)
    for (size_t m = 0; m < args.m; ++m)
      dot_f32<kChannelsPerStep>(args.x + m * args.x_stride, args.w + n * k, k, args.y + m * args.y_stride + n);
  for (; n < n_end; ++n)
    for (size_t m = 0; m < args.m; ++m) dot_f32<1>(args.x + m * args.x_stride, args.w + n * k, k, args.y + m * args.y_stride + n);
}

void fully_connected_q8_avx512vnni(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
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
