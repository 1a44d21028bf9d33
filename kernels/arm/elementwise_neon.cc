// SwiGLU on 4-float NEON registers (aarch64): silu(g) = g * sigmoid(g) with sigmoid from e = exp(-|g|), which never
// overflows: 1 / (1 + e) for g >= 0, e / (1 + e) below. Within a few ulp of the reference's expf.
#include <arm_neon.h>

#include <cmath>

#include "edgeformer/kernels/elementwise.h"
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

}  // namespace edgeformer::kernels
