// SwiGLU and GELU on 8-float registers (AVX2 + FMA). silu(g) = g * sigmoid(g) with sigmoid from e = exp(-|g|) (never
// overflows): 1 / (1 + e) for g >= 0, e / (1 + e) below. Within a few ulp of the reference's expf.
#include <immintrin.h>

#include <cmath>
#include <initializer_list>

#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/variants.h"
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

namespace {

// erfc(z) for z >= 0: t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), P Numerical Recipes' degree-9 fit.
inline __m256 erfc_non_negative(__m256 z) {
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  for (float c : {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f,
                  1.00002368f, -1.26551223f})
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(c));
  // P(1) is 3e-8, not 0: the exponent is clamped to the exp's domain.
  const __m256 exponent = _mm256_min_ps(_mm256_fnmadd_ps(z, z, p), _mm256_setzero_ps());
  return _mm256_mul_ps(t, x86::exp_non_positive(exponent));
}

// 0.5 x erfc(-x / sqrt 2): for x < 0 erfc of a positive argument (no cancellation); for x >= 0 2 - erfc(x / sqrt 2).
inline __m256 gelu_erf(__m256 x) {
  const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.7071067811865476f));
  const __m256 e = erfc_non_negative(z);
  const __m256 erfc_of_minus = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), e), e, x);  // sign of x picks e
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), erfc_of_minus);
}

// x sigmoid(2 sqrt(2 / pi) (x + 0.044715 x^3)), the sigmoid from exp(-|u|) as in silu.
inline __m256 gelu_tanh(__m256 x) {
  const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(x, x), x), _mm256_set1_ps(0.044715f), x);
  const __m256 u = _mm256_mul_ps(inner, _mm256_set1_ps(2.0f * 0.7978845608028654f));
  const __m256 abs_u = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), u);
  const __m256 e = x86::exp_non_positive(_mm256_sub_ps(_mm256_setzero_ps(), abs_u));
  const __m256 numerator = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, u);
  return _mm256_mul_ps(x, _mm256_div_ps(numerator, _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

}  // namespace

void gelu_f32_avx2(const float* x, size_t count, bool tanh_approximation, float* y) {
  size_t i = 0;
  if (tanh_approximation)
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, gelu_tanh(_mm256_loadu_ps(x + i)));
  else
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, gelu_erf(_mm256_loadu_ps(x + i)));
  gelu_f32_ref(x + i, count - i, tanh_approximation, y + i);
}

}  // namespace edgeformer::kernels
