// RMSNorm with AVX2 + FMA (AVX-512 sets use it too: the op is a read and a write of each row). The sum of squares
// runs in four vector accumulators, so it is ordered differently from the reference's (and rounds less); the
// scale and y = weight * (scale * x) are the reference's float operations.
#include <immintrin.h>

#include <cmath>

#include "avx2_reduce.h"
#include "edgeformer/kernels/rms_norm.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

void rms_norm_f32_avx2(const float* x, const float* weight, size_t rows, size_t dim, float epsilon, float* y) {
  constexpr size_t kLanes = 8, kAccumulators = 4;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    __m256 sums[kAccumulators] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    size_t i = 0;
    for (; i + kAccumulators * kLanes <= dim; i += kAccumulators * kLanes)
      for (size_t a = 0; a < kAccumulators; ++a) {
        const __m256 v = _mm256_loadu_ps(xr + i + a * kLanes);
        sums[a] = _mm256_fmadd_ps(v, v, sums[a]);
      }
    for (; i + kLanes <= dim; i += kLanes) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      sums[0] = _mm256_fmadd_ps(v, v, sums[0]);
    }
    float ss = x86::horizontal_sum(_mm256_add_ps(_mm256_add_ps(sums[0], sums[1]), _mm256_add_ps(sums[2], sums[3])));
    for (; i < dim; ++i) ss += xr[i] * xr[i];
    ss /= static_cast<float>(dim);
    ss += epsilon;
    ss = 1.0f / sqrtf(ss);
    // y may alias x: the row's sum is complete before the row is written.
    const __m256 scale = _mm256_set1_ps(ss);
    for (i = 0; i + kLanes <= dim; i += kLanes)
      _mm256_storeu_ps(yr + i,
                       _mm256_mul_ps(_mm256_loadu_ps(weight + i), _mm256_mul_ps(scale, _mm256_loadu_ps(xr + i))));
    for (; i < dim; ++i) yr[i] = weight[i] * (ss * xr[i]);
  }
}

}  // namespace edgeformer::kernels
