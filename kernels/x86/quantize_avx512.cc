// AVX-512 activation quantization, bit-identical to quantize_rows_q8_ref. Compiled with -mavx512f -mavx512bw.
//
// max|x| is exact in any order. The division is IEEE-exact per lane, as the scalar one. Rounding half away from
// zero: t - trunc(t) is exact in float, so comparing it with 0.5 decides the rounding without the error of
// trunc(t + 0.5). max(t, -127) returns -127 for a NaN t, as fmax does in the reference.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

inline __m512i quantize16(__m512 x, __m512 scale) {
  const __m512 t = _mm512_div_ps(x, scale);
  const __m512 whole = _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 fraction = _mm512_abs_ps(_mm512_sub_ps(t, whole));
  const __mmask16 up = _mm512_cmp_ps_mask(fraction, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(t), _mm512_set1_epi32(INT32_MIN));
  const __m512 sign_one = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(1.0f)), sign));
  const __m512 rounded = _mm512_mask_add_ps(whole, up, whole, sign_one);
  const __m512 clamped = _mm512_min_ps(_mm512_max_ps(rounded, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
  return _mm512_cvttps_epi32(clamped);
}

}  // namespace

void quantize_rows_q8_avx512(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    int8_t* qr = q + r * k;
    __m512 amax = _mm512_setzero_ps();
    size_t i = 0;
    // The NaN of |x| is the first operand, so max keeps amax (fmax ignores NaN the same way).
    for (; i + 16 <= k; i += 16) amax = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + i)), amax);
    if (i < k) {
      const __mmask16 tail = static_cast<__mmask16>((1u << (k - i)) - 1);
      amax = _mm512_max_ps(_mm512_abs_ps(_mm512_maskz_loadu_ps(tail, xr + i)), amax);
    }
    const float scale = _mm512_reduce_max_ps(amax) / 127.0f;
    scales[r] = scale;
    if (scale == 0.0f) {
      for (size_t j = 0; j < k; ++j) qr[j] = 0;
      continue;
    }
    const __m512 scale_v = _mm512_set1_ps(scale);
    for (i = 0; i + 16 <= k; i += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qr + i), _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(xr + i), scale_v)));
    if (i < k) {
      const __mmask16 tail = static_cast<__mmask16>((1u << (k - i)) - 1);
      _mm_mask_storeu_epi8(qr + i, tail, _mm512_cvtepi32_epi8(quantize16(_mm512_maskz_loadu_ps(tail, xr + i), scale_v)));
    }
  }
}

}  // namespace edgeformer::kernels
