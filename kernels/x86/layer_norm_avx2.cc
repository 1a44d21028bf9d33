// LayerNorm with AVX2: the reference's arithmetic (double sums, two passes; (x - mean) * inverse in double rounded
// to float, then * weight + bias in float) four doubles at a time. Only the order of the sums differs.
#include <immintrin.h>

#include <cmath>

#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

double horizontal_sum(__m256d v) {
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

}  // namespace

void layer_norm_f32_avx2(const float* x, const float* weight, const float* bias, size_t rows, size_t dim,
                         float epsilon, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    __m256d sums[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    size_t i = 0;
    for (; i + 8 <= dim; i += 8) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      sums[0] = _mm256_add_pd(sums[0], _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
      sums[1] = _mm256_add_pd(sums[1], _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double sum = horizontal_sum(_mm256_add_pd(sums[0], sums[1]));
    for (; i < dim; ++i) sum += xr[i];
    const double mean = sum / static_cast<double>(dim);
    const __m256d mean_v = _mm256_set1_pd(mean);
    sums[0] = sums[1] = _mm256_setzero_pd();
    for (i = 0; i + 8 <= dim; i += 8) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), mean_v);
      const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), mean_v);
      sums[0] = _mm256_add_pd(sums[0], _mm256_mul_pd(lo, lo));
      sums[1] = _mm256_add_pd(sums[1], _mm256_mul_pd(hi, hi));
    }
    double squares = horizontal_sum(_mm256_add_pd(sums[0], sums[1]));
    for (; i < dim; ++i) squares += (xr[i] - mean) * (xr[i] - mean);
    const double inverse = 1.0 / std::sqrt(squares / static_cast<double>(dim) + epsilon);
    const __m256d inverse_v = _mm256_set1_pd(inverse);
    for (i = 0; i + 8 <= dim; i += 8) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), mean_v);
      const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), mean_v);
      const __m256 normalized = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_mul_pd(hi, inverse_v)),
                                                _mm256_cvtpd_ps(_mm256_mul_pd(lo, inverse_v)));
      _mm256_storeu_ps(yr + i, _mm256_add_ps(_mm256_mul_ps(normalized, _mm256_loadu_ps(weight + i)),
                                             _mm256_loadu_ps(bias + i)));
    }
    for (; i < dim; ++i) yr[i] = static_cast<float>((xr[i] - mean) * inverse) * weight[i] + bias[i];
  }
}

}  // namespace edgeformer::kernels
