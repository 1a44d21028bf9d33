// RoPE with aarch64 NEON: the reference's angles, sin and cos in double as the AVX2 kernel computes them (reduction
// by the nearest multiple of pi/2 in two parts, fdlibm's kernel polynomials, one rounding to float: correctly
// rounded values), and the reference's rotation rounding 4 pairs at a time; vld2q / vst2q split and rejoin the
// interleaved pairs.
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include "common/rope_walk.h"
#include "common/sin_cos_constants.h"
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kLanes = 4;

template <size_t N>
float64x2_t polynomial(float64x2_t z, const double (&coefficients)[N]) {
  float64x2_t p = vdupq_n_f64(coefficients[0]);
  for (size_t i = 1; i < N; ++i) p = vfmaq_f64(vdupq_n_f64(coefficients[i]), p, z);
  return p;
}

// sin and cos of 2 angles in double (sin_cos_constants.h).
void sin_cos(float64x2_t a, float64x2_t* sin_a, float64x2_t* cos_a) {
  const float64x2_t k = vrndnq_f64(vmulq_f64(a, vdupq_n_f64(kTwoOverPi)));
  const float64x2_t r = vsubq_f64(vsubq_f64(a, vmulq_f64(k, vdupq_n_f64(kPiOver2High))),
                                  vmulq_f64(k, vdupq_n_f64(kPiOver2Low)));
  const float64x2_t z = vmulq_f64(r, r);
  const float64x2_t sin_r = vfmaq_f64(r, vmulq_f64(r, z), polynomial(z, kSinCoefficients));
  const float64x2_t c = polynomial(z, kCosCoefficients);
  const float64x2_t cos_r = vfmaq_f64(vfmsq_f64(vdupq_n_f64(1.0), z, vdupq_n_f64(0.5)), vmulq_f64(z, z), c);
  // Quadrant q = k mod 4: sin a = (sin r, cos r, -sin r, -cos r)[q], cos a = (cos r, -sin r, -cos r, sin r)[q].
  const int64x2_t quadrant = vcvtq_s64_f64(k);
  const uint64x2_t swap = vtstq_s64(quadrant, vdupq_n_s64(1));
  const uint64x2_t sin_sign = vreinterpretq_u64_s64(vshlq_n_s64(vandq_s64(quadrant, vdupq_n_s64(2)), 62));
  const uint64x2_t cos_sign =
      vreinterpretq_u64_s64(vshlq_n_s64(vandq_s64(vaddq_s64(quadrant, vdupq_n_s64(1)), vdupq_n_s64(2)), 62));
  *sin_a = vreinterpretq_f64_u64(veorq_u64(vreinterpretq_u64_f64(vbslq_f64(swap, cos_r, sin_r)), sin_sign));
  *cos_a = vreinterpretq_f64_u64(veorq_u64(vreinterpretq_u64_f64(vbslq_f64(swap, sin_r, cos_r)), cos_sign));
}

// c[i], s[i] for the angles pos * freq[i], i < count (rounded up to 4: the buffers hold kRopePairChunk).
void angles_sin_cos(float pos, const float* freq, size_t count, float* c, float* s) {
  for (size_t i = 0; i < count; i += kLanes) {
    // The reference's angle: the float product, then widened.
    const float32x4_t angle = vmulq_n_f32(vld1q_f32(freq + i), pos);
    float64x2_t sin_lo, cos_lo, sin_hi, cos_hi;
    sin_cos(vcvt_f64_f32(vget_low_f32(angle)), &sin_lo, &cos_lo);
    sin_cos(vcvt_high_f64_f32(angle), &sin_hi, &cos_hi);
    vst1q_f32(c + i, vcvt_high_f32_f64(vcvt_f32_f64(cos_lo), cos_hi));
    vst1q_f32(s + i, vcvt_high_f32_f64(vcvt_f32_f64(sin_lo), sin_hi));
  }
}

// a' = a c - b s and b' = a s + b c, as the reference rounds them.
inline void rotate(float32x4_t* a, float32x4_t* b, float32x4_t c, float32x4_t s) {
  const float32x4_t a0 = *a, b0 = *b;
  *a = vsubq_f32(vmulq_f32(a0, c), vmulq_f32(b0, s));
  *b = vaddq_f32(vmulq_f32(a0, s), vmulq_f32(b0, c));
}

inline void rotate_scalar(float* a, float* b, float c, float s) {
  const float a0 = *a, b0 = *b;
  *a = a0 * c - b0 * s;
  *b = a0 * s + b0 * c;
}

// `dim` leading elements of each head of `head_dim` rotate.
void rotate_row(float* row, size_t heads, size_t head_dim, size_t dim, size_t i0, size_t count, RopeStyle style,
                const float* c, const float* s) {
  const size_t half = dim / 2;
  for (size_t h = 0; h < heads; ++h) {
    float* head = row + h * head_dim;
    size_t i = 0;
    if (style == RopeStyle::kInterleaved) {
      float* pairs = head + 2 * i0;
      for (; i + kLanes <= count; i += kLanes) {
        float32x4x2_t ab = vld2q_f32(pairs + 2 * i);
        rotate(&ab.val[0], &ab.val[1], vld1q_f32(c + i), vld1q_f32(s + i));
        vst2q_f32(pairs + 2 * i, ab);
      }
      for (; i < count; ++i) rotate_scalar(pairs + 2 * i, pairs + 2 * i + 1, c[i], s[i]);
    } else {
      float* a = head + i0;
      float* b = head + half + i0;
      for (; i + kLanes <= count; i += kLanes) {
        float32x4_t av = vld1q_f32(a + i), bv = vld1q_f32(b + i);
        rotate(&av, &bv, vld1q_f32(c + i), vld1q_f32(s + i));
        vst1q_f32(a + i, av);
        vst1q_f32(b + i, bv);
      }
      for (; i < count; ++i) rotate_scalar(a + i, b + i, c[i], s[i]);
    }
  }
}

}  // namespace

void rope_f32_neon(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                   size_t head_dim, size_t pos0, const RopeSpec& rope) {
  rope_walk(q, q_stride, q_heads, k, k_stride, k_heads, rows, pos0, rope, angles_sin_cos,
            [&](float* row, size_t heads, size_t i0, size_t count, const float* c, const float* s) {
              rotate_row(row, heads, head_dim, rope.dim, i0, count, rope.style, c, s);
            });
}

}  // namespace edgeformer::kernels

#endif  // defined(__aarch64__)
