// LayerNorm with AVX-512: the reference's arithmetic (double sums, two passes; (x - mean) * inverse in double
// rounded to float, then * weight + bias in float) eight doubles at a time. Only the order of the sums differs.
#include <immintrin.h>

#include <cmath>

#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

__m256 upper_half(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

}  // namespace

void layer_norm_f32_avx512(const float* x, const float* weight, const float* bias, size_t rows, size_t dim,
                           float epsilon, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    __m512d sums[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
    size_t i = 0;
    for (; i + 16 <= dim; i += 16) {
      const __m512 v = _mm512_loadu_ps(xr + i);
      sums[0] = _mm512_add_pd(sums[0], _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
      sums[1] = _mm512_add_pd(sums[1], _mm512_cvtps_pd(upper_half(v)));
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(sums[0], sums[1]));
    for (; i < dim; ++i) sum += xr[i];
    const double mean = sum / static_cast<double>(dim);
    const __m512d mean_v = _mm512_set1_pd(mean);
    sums[0] = sums[1] = _mm512_setzero_pd();
    const auto halves = [&](const __m512 v, __m512d* lo, __m512d* hi) {
      *lo = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), mean_v);
      *hi = _mm512_sub_pd(_mm512_cvtps_pd(upper_half(v)), mean_v);
    };
    for (i = 0; i + 16 <= dim; i += 16) {
      __m512d lo, hi;
      halves(_mm512_loadu_ps(xr + i), &lo, &hi);
      sums[0] = _mm512_add_pd(sums[0], _mm512_mul_pd(lo, lo));
      sums[1] = _mm512_add_pd(sums[1], _mm512_mul_pd(hi, hi));
    }
    double squares = _mm512_reduce_add_pd(_mm512_add_pd(sums[0], sums[1]));
    for (; i < dim; ++i) squares += (xr[i] - mean) * (xr[i] - mean);
    const double inverse = 1.0 / std::sqrt(squares / static_cast<double>(dim) + epsilon);
    const __m512d inverse_v = _mm512_set1_pd(inverse);
    for (i = 0; i + 16 <= dim; i += 16) {
      __m512d lo, hi;
      halves(_mm512_loadu_ps(xr + i), &lo, &hi);
      const __m256 low = _mm512_cvtpd_ps(_mm512_mul_pd(lo, inverse_v));
      const __m256 high = _mm512_cvtpd_ps(_mm512_mul_pd(hi, inverse_v));
      const __m512 normalized = _mm512_castpd_ps(
          _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(low)), _mm256_castps_pd(high), 1));
      _mm512_storeu_ps(yr + i, _mm512_add_ps(_mm512_mul_ps(normalized, _mm512_loadu_ps(weight + i)),
                                             _mm512_loadu_ps(bias + i)));
    }
    for (; i < dim; ++i) yr[i] = static_cast<float>((xr[i] - mean) * inverse) * weight[i] + bias[i];
  }
}

}  // namespace edgeformer::kernels
