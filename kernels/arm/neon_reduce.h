#pragma once
// Horizontal NEON operations that aarch64 has as one instruction and 32-bit ARMv7 builds from pairwise adds, so
// that the baseline NEON kernels compile for both.
#include <arm_neon.h>

namespace edgeformer::kernels::arm {

inline float sum_lanes(float32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  const float32x2_t pair = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(pair, pair), 0);
#endif
}

// [a0 + a1, a2 + a3, b0 + b1, b2 + b3]
inline int32x4_t pairwise_add(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)), vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

}  // namespace edgeformer::kernels::arm
