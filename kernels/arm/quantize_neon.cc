// NEON (aarch64) activation quantization, bit-identical to quantize_rows_q8_ref: the division is IEEE-exact in every
// lane (fdiv), frinta rounds half away from zero as std::round, and fmaxnm / fminnm return the number when the
// other operand is NaN, as fmax / fmin do (so the absolute maximum skips NaN, and NaN quantizes to -127).
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cmath>

#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

inline int32x4_t quantize4(float32x4_t x, float32x4_t scale) {
  const float32x4_t rounded = vrndaq_f32(vdivq_f32(x, scale));
  return vcvtq_s32_f32(vminnmq_f32(vmaxnmq_f32(rounded, vdupq_n_f32(-127.0f)), vdupq_n_f32(127.0f)));
}

}  // namespace

void quantize_rows_q8_neon(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    int8_t* qr = q + r * k;
    float32x4_t amax_v = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 4 <= k; i += 4) amax_v = vmaxnmq_f32(amax_v, vabsq_f32(vld1q_f32(xr + i)));
    float amax = vmaxnmvq_f32(amax_v);
    for (; i < k; ++i) amax = std::fmax(amax, std::fabs(xr[i]));
    const float scale = amax / 127.0f;
    scales[r] = scale;
    if (scale == 0.0f) {
      for (size_t j = 0; j < k; ++j) qr[j] = 0;
      continue;
    }
    const float32x4_t scale_v = vdupq_n_f32(scale);
    for (i = 0; i + 8 <= k; i += 8) {
      const int16x8_t q16 = vcombine_s16(vmovn_s32(quantize4(vld1q_f32(xr + i), scale_v)),
                                         vmovn_s32(quantize4(vld1q_f32(xr + i + 4), scale_v)));
      vst1_s8(qr + i, vmovn_s16(q16));
    }
    for (; i < k; ++i) qr[i] = static_cast<int8_t>(std::fmin(std::fmax(std::round(xr[i] / scale), -127.0f), 127.0f));
  }
}

}  // namespace edgeformer::kernels

#endif  // defined(__aarch64__)
