// AVX2 activation quantization, bit-identical to quantize_rows_q8_ref (see quantize_avx512.cc for why each step
// matches). Compiled with -mavx2 -mfma; the tail of each row uses the reference's scalar arithmetic.
#include <immintrin.h>

#include <cmath>

#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

inline __m256i quantize8(__m256 x, __m256 scale) {
  const __m256 t = _mm256_div_ps(x, scale);
  const __m256 whole = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 sign = _mm256_and_ps(t, _mm256_set1_ps(-0.0f));
  const __m256 fraction = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(t, whole));
  const __m256 up = _mm256_cmp_ps(fraction, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 rounded = _mm256_add_ps(whole, _mm256_and_ps(up, _mm256_or_ps(_mm256_set1_ps(1.0f), sign)));
  // max_ps returns its second operand when the first is NaN: NaN -> -127, as fmax in the reference.
  const __m256 clamped = _mm256_min_ps(_mm256_max_ps(rounded, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  return _mm256_cvttps_epi32(clamped);
}

inline float horizontal_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

}  // namespace

void quantize_rows_q8_avx2(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    int8_t* qr = q + r * k;
    __m256 amax_v = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= k; i += 8) amax_v = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(xr + i), abs_mask), amax_v);
    float amax = horizontal_max(amax_v);
    for (; i < k; ++i) amax = std::fmax(amax, std::fabs(xr[i]));
    const float scale = amax / 127.0f;
    scales[r] = scale;
    if (scale == 0.0f) {
      for (size_t j = 0; j < k; ++j) qr[j] = 0;
      continue;
    }
    const __m256 scale_v = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= k; i += 8) {
      const __m256i q32 = quantize8(_mm256_loadu_ps(xr + i), scale_v);
      const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(qr + i), _mm_packs_epi16(q16, q16));
    }
    for (; i < k; ++i) qr[i] = static_cast<int8_t>(std::fmin(std::fmax(std::round(xr[i] / scale), -127.0f), 127.0f));
  }
}

}  // namespace edgeformer::kernels
