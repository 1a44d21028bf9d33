// SwiGLU and GELU on 4-float NEON registers (aarch64). silu(g) = g * sigmoid(g) with sigmoid from e = exp(-|g|),
// which never overflows: 1 / (1 + e) for g >= 0, e / (1 + e) below. Within a few ulp of the reference's expf.
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cmath>
#include <initializer_list>

#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/variants.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

inline float32x4_t silu_times(float32x4_t g, float32x4_t up) {
  const float32x4_t e = arm::exp_non_positive(vnegq_f32(vabsq_f32(g)));
  const float32x4_t denominator = vaddq_f32(vdupq_n_f32(1.0f), e);
  // The sign bit of g picks e (so -0 takes e / (1 + e) = 1 / 2, as 1 / (1 + e) does).
  const uint32x4_t negative = vcltzq_s32(vreinterpretq_s32_f32(g));
  const float32x4_t numerator = vbslq_f32(negative, e, vdupq_n_f32(1.0f));
  return vmulq_f32(vmulq_f32(g, vdivq_f32(numerator, denominator)), up);
}

}  // namespace

void swiglu_f32_neon(const float* gate, const float* up, size_t count, float* y) {
  size_t i = 0;
  for (; i + 4 <= count; i += 4) vst1q_f32(y + i, silu_times(vld1q_f32(gate + i), vld1q_f32(up + i)));
  for (; i < count; ++i) {
    float g = gate[i];
    g *= 1.0f / (1.0f + expf(-g));
    y[i] = g * up[i];
  }
}

namespace {

// erfc(z) for z >= 0: t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), P Numerical Recipes' degree-9 fit.
inline float32x4_t erfc_non_negative(float32x4_t z) {
  const float32x4_t t = vdivq_f32(vdupq_n_f32(1.0f), vfmaq_n_f32(vdupq_n_f32(1.0f), z, 0.5f));
  float32x4_t p = vdupq_n_f32(0.17087277f);
  for (float c : {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f,
                  1.00002368f, -1.26551223f})
    p = vfmaq_f32(vdupq_n_f32(c), p, t);
  // P(1) is 3e-8, not 0: the exponent is clamped to the exp's domain.
  const float32x4_t exponent = vminq_f32(vfmsq_f32(p, z, z), vdupq_n_f32(0.0f));
  return vmulq_f32(t, arm::exp_non_positive(exponent));
}

// 0.5 x erfc(-x / sqrt 2): for x < 0 erfc of a positive argument (no cancellation); for x >= 0 2 - erfc(x / sqrt 2).
inline float32x4_t gelu_erf(float32x4_t x) {
  const float32x4_t e = erfc_non_negative(vmulq_n_f32(vabsq_f32(x), 0.7071067811865476f));
  const uint32x4_t negative = vcltzq_f32(x);
  const float32x4_t erfc_of_minus = vbslq_f32(negative, e, vsubq_f32(vdupq_n_f32(2.0f), e));
  return vmulq_f32(vmulq_n_f32(x, 0.5f), erfc_of_minus);
}

// x sigmoid(2 sqrt(2 / pi) (x + 0.044715 x^3)), the sigmoid from exp(-|u|) as in silu.
inline float32x4_t gelu_tanh(float32x4_t x) {
  const float32x4_t inner = vfmaq_n_f32(x, vmulq_f32(vmulq_f32(x, x), x), 0.044715f);
  const float32x4_t u = vmulq_n_f32(inner, 2.0f * 0.7978845608028654f);
  const float32x4_t e = arm::exp_non_positive(vnegq_f32(vabsq_f32(u)));
  const float32x4_t numerator = vbslq_f32(vcltzq_f32(u), e, vdupq_n_f32(1.0f));
  return vmulq_f32(x, vdivq_f32(numerator, vaddq_f32(vdupq_n_f32(1.0f), e)));
}

}  // namespace

void gelu_f32_neon(const float* x, size_t count, bool tanh_approximation, float* y) {
  size_t i = 0;
  if (tanh_approximation)
    for (; i + 4 <= count; i += 4) vst1q_f32(y + i, gelu_tanh(vld1q_f32(x + i)));
  else
    for (; i + 4 <= count; i += 4) vst1q_f32(y + i, gelu_erf(vld1q_f32(x + i)));
  gelu_f32_ref(x + i, count - i, tanh_approximation, y + i);
}

}  // namespace edgeformer::kernels

#endif  // defined(__aarch64__)
