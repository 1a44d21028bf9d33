// SwiGLU on 8-float registers (AVX2 + FMA): silu(g) = g * sigmoid(g) with sigmoid from e = exp(-|g|) (never overflows):
// 1 / (1 + e) for g >= 0, e / (1 + e) below. Within a few ulp of the reference's expf.
#include <immintrin.h>

#include <cmath>

#include "edgeformer/kernels/elementwise.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

inline __m256 silu_times(__m256 g, __m256 up) {
  const __m256 abs_g = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
  const __m256 e = x86::exp_non_positive(_mm256_sub_ps(_mm256_setzero_ps(), abs_g));
  const __m256 denominator = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
  const __m256 numerator = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, g);  // the sign bit of g picks e
  return _mm256_mul_ps(_mm256_mul_ps(g, _mm256_div_ps(numerator, denominator)), up);
}

}  // namespace

void swiglu_f32_avx2(const float* gate, const float* up, size_t count, float* y) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(y + i, silu_times(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  for (; i < count; ++i) {
    float g = gate[i];
    g *= 1.0f / (1.0f + expf(-g));
    y[i] = g * up[i];
  }
}

}  // namespace edgeformer::kernels
