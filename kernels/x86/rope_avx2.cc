// RoPE with AVX2 + FMA: the reference's frequencies and angles (the same float operations), a vector sin and cos,
// and the rotation 8 pairs at a time with the reference's rounding (two products, then their sum or difference).
//
// sin and cos are computed in double (common/sin_cos_constants.h): the angle is reduced by the nearest multiple of
// pi/2 (exact to about 1e-16 for any angle a context reaches), polynomials on [-pi/4, pi/4] (error below 2^-58),
// then the quadrant's swap and signs, and one rounding to float. So each value
// is the correctly rounded sin or cos (none missed over 8 million angles); glibc's sinf / cosf, which the
// reference calls, round about 1.5% of them the other way (their error reaches about 0.56 ulp).
#include <immintrin.h>

#include "common/rope_walk.h"
#include "common/sin_cos_constants.h"
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kLanes = 8;

template <size_t N>
__m256d polynomial(__m256d z, const double (&coefficients)[N]) {
  __m256d p = _mm256_set1_pd(coefficients[0]);
  for (size_t i = 1; i < N; ++i) p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(coefficients[i]));
  return p;
}

// sin and cos of 4 angles in double (sin_cos_constants.h).
void sin_cos(__m256d a, __m256d* sin_a, __m256d* cos_a) {
  const __m256d k = _mm256_round_pd(_mm256_mul_pd(a, _mm256_set1_pd(kTwoOverPi)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256d r = _mm256_sub_pd(_mm256_sub_pd(a, _mm256_mul_pd(k, _mm256_set1_pd(kPiOver2High))),
                                  _mm256_mul_pd(k, _mm256_set1_pd(kPiOver2Low)));
  const __m256d z = _mm256_mul_pd(r, r);
  const __m256d sin_r = _mm256_fmadd_pd(_mm256_mul_pd(r, z), polynomial(z, kSinCoefficients), r);
  const __m256d c = polynomial(z, kCosCoefficients);
  const __m256d cos_r =
      _mm256_fmadd_pd(_mm256_mul_pd(z, z), c, _mm256_fnmadd_pd(z, _mm256_set1_pd(0.5), _mm256_set1_pd(1.0)));
  // Quadrant q = k mod 4: sin a = (sin r, cos r, -sin r, -cos r)[q], cos a = (cos r, -sin r, -cos r, sin r)[q].
  const __m256i quadrant = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k));
  const __m256d swap = _mm256_castsi256_pd(
      _mm256_cmpeq_epi64(_mm256_and_si256(quadrant, _mm256_set1_epi64x(1)), _mm256_set1_epi64x(1)));
  const __m256d sin_sign =
      _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_and_si256(quadrant, _mm256_set1_epi64x(2)), 62));
  const __m256d cos_sign = _mm256_castsi256_pd(_mm256_slli_epi64(
      _mm256_and_si256(_mm256_add_epi64(quadrant, _mm256_set1_epi64x(1)), _mm256_set1_epi64x(2)), 62));
  *sin_a = _mm256_xor_pd(_mm256_blendv_pd(sin_r, cos_r, swap), sin_sign);
  *cos_a = _mm256_xor_pd(_mm256_blendv_pd(cos_r, sin_r, swap), cos_sign);
}

// c[i], s[i] for the angles pos * freq[i], i < count (rounded up to 8: the buffers hold kRopePairChunk).
void angles_sin_cos(float pos, const float* freq, size_t count, float* c, float* s) {
  for (size_t i = 0; i < count; i += kLanes) {
    // The reference's angle: the float product, then widened.
    const __m256 angle = _mm256_mul_ps(_mm256_set1_ps(pos), _mm256_loadu_ps(freq + i));
    __m256d sin_lo, cos_lo, sin_hi, cos_hi;
    sin_cos(_mm256_cvtps_pd(_mm256_castps256_ps128(angle)), &sin_lo, &cos_lo);
    sin_cos(_mm256_cvtps_pd(_mm256_extractf128_ps(angle, 1)), &sin_hi, &cos_hi);
    _mm256_storeu_ps(c + i, _mm256_set_m128(_mm256_cvtpd_ps(cos_hi), _mm256_cvtpd_ps(cos_lo)));
    _mm256_storeu_ps(s + i, _mm256_set_m128(_mm256_cvtpd_ps(sin_hi), _mm256_cvtpd_ps(sin_lo)));
  }
}

// a' = a c - b s and b' = a s + b c, as the reference rounds them.
inline void rotate_scalar(float* a, float* b, float c, float s) {
  const float a0 = *a, b0 = *b;
  *a = a0 * c - b0 * s;
  *b = a0 * s + b0 * c;
}

// Pairs [0, count) of a chunk in one head; `head` points at the chunk's first element.
void rotate_interleaved(float* head, const float* c, const float* s, size_t count) {
  const __m256 negate_even = _mm256_setr_ps(-0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f);  // sign bits
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    // Each of the 8 (cos, sin) twice, for the pair's two lanes: halves [c0 c0 c1 c1 c2 c2 c3 c3] and [c4 .. c7].
    const __m256 cv = _mm256_loadu_ps(c + i), sv = _mm256_loadu_ps(s + i);
    const __m256 c_lo = _mm256_unpacklo_ps(cv, cv), c_hi = _mm256_unpackhi_ps(cv, cv);
    const __m256 s_lo = _mm256_unpacklo_ps(sv, sv), s_hi = _mm256_unpackhi_ps(sv, sv);
    const __m256 cos_pairs[2] = {_mm256_permute2f128_ps(c_lo, c_hi, 0x20), _mm256_permute2f128_ps(c_lo, c_hi, 0x31)};
    const __m256 sin_pairs[2] = {_mm256_xor_ps(_mm256_permute2f128_ps(s_lo, s_hi, 0x20), negate_even),
                                 _mm256_xor_ps(_mm256_permute2f128_ps(s_lo, s_hi, 0x31), negate_even)};
    for (size_t half = 0; half < 2; ++half) {
      float* x = head + 2 * i + half * kLanes;
      // Lanes (a, b): a c + b (-s), and b c + a s.
      const __m256 v = _mm256_loadu_ps(x);
      const __m256 swapped = _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1));
      _mm256_storeu_ps(x, _mm256_add_ps(_mm256_mul_ps(v, cos_pairs[half]), _mm256_mul_ps(swapped, sin_pairs[half])));
    }
  }
  for (; i < count; ++i) rotate_scalar(head + 2 * i, head + 2 * i + 1, c[i], s[i]);
}

void rotate_halves(float* a, float* b, const float* c, const float* s, size_t count) {
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const __m256 av = _mm256_loadu_ps(a + i), bv = _mm256_loadu_ps(b + i);
    const __m256 cv = _mm256_loadu_ps(c + i), sv = _mm256_loadu_ps(s + i);
    _mm256_storeu_ps(a + i, _mm256_sub_ps(_mm256_mul_ps(av, cv), _mm256_mul_ps(bv, sv)));
    _mm256_storeu_ps(b + i, _mm256_add_ps(_mm256_mul_ps(av, sv), _mm256_mul_ps(bv, cv)));
  }
  for (; i < count; ++i) rotate_scalar(a + i, b + i, c[i], s[i]);
}

// `dim` leading elements of each head of `head_dim` rotate.
void rotate_row(float* row, size_t heads, size_t head_dim, size_t dim, size_t i0, size_t count, RopeStyle style,
                const float* c, const float* s) {
  const size_t half = dim / 2;
  for (size_t h = 0; h < heads; ++h) {
    float* head = row + h * head_dim;
    if (style == RopeStyle::kInterleaved) {
      rotate_interleaved(head + 2 * i0, c, s, count);
    } else {
      rotate_halves(head + i0, head + half + i0, c, s, count);
    }
  }
}

}  // namespace

void rope_f32_avx2(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                   size_t head_dim, size_t pos0, const RopeSpec& rope) {
  rope_walk(q, q_stride, q_heads, k, k_stride, k_heads, rows, pos0, rope, angles_sin_cos,
            [&](float* row, size_t heads, size_t i0, size_t count, const float* c, const float* s) {
              rotate_row(row, heads, head_dim, rope.dim, i0, count, rope.style, c, s);
            });
}

}  // namespace edgeformer::kernels
