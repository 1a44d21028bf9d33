// RMSNorm with aarch64 NEON: sums of squares in four vector accumulators (ordered differently from the reference's,
// and rounding less); the scale and y = weight * (scale * x) are the reference's float operations.
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cmath>

#include "edgeformer/kernels/rms_norm.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

void rms_norm_f32_neon(const float* x, const float* weight, size_t rows, size_t dim, float epsilon, float* y) {
  constexpr size_t kLanes = 4, kAccumulators = 4;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    float32x4_t sums[kAccumulators] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    size_t i = 0;
    for (; i + kAccumulators * kLanes <= dim; i += kAccumulators * kLanes)
      for (size_t a = 0; a < kAccumulators; ++a) {
        const float32x4_t v = vld1q_f32(xr + i + a * kLanes);
        sums[a] = vfmaq_f32(sums[a], v, v);
      }
    for (; i + kLanes <= dim; i += kLanes) {
      const float32x4_t v = vld1q_f32(xr + i);
      sums[0] = vfmaq_f32(sums[0], v, v);
    }
    float ss = vaddvq_f32(vaddq_f32(vaddq_f32(sums[0], sums[1]), vaddq_f32(sums[2], sums[3])));
    for (; i < dim; ++i) ss += xr[i] * xr[i];
    ss /= static_cast<float>(dim);
    ss += epsilon;
    ss = 1.0f / sqrtf(ss);
    // y may alias x: the row's sum is complete before the row is written.
    for (i = 0; i + kLanes <= dim; i += kLanes)
      vst1q_f32(yr + i, vmulq_f32(vld1q_f32(weight + i), vmulq_n_f32(vld1q_f32(xr + i), ss)));
    for (; i < dim; ++i) yr[i] = weight[i] * (ss * xr[i]);
  }
}

}  // namespace edgeformer::kernels

#endif  // defined(__aarch64__)
