#include "edgeformer/kernels/attention.h"

#include <algorithm>
#include <cmath>

namespace edgeformer::kernels {

namespace {

// Pairs whose angles are computed together: a stack buffer, no allocation, and all of a 128-wide head.
constexpr size_t kPairChunk = 64;

// Rotates pairs [0, count) of the chunk in each head of one row: pair i is (first[i * first_step],
// first[i * first_step + second_offset]).
void rotate_heads(float* row, size_t heads, size_t head_dim, size_t first, size_t first_step, size_t second_offset,
                  const float* c, const float* s, size_t count) {
  for (size_t h = 0; h < heads; ++h) {
    float* a = row + h * head_dim + first;
    for (size_t i = 0; i < count; ++i) {
      const float a0 = a[i * first_step];
      const float b0 = a[i * first_step + second_offset];
      a[i * first_step] = a0 * c[i] - b0 * s[i];
      a[i * first_step + second_offset] = a0 * s[i] + b0 * c[i];
    }
  }
}

}  // namespace

// Frequencies, angles and rotations use the float operations of llama2.c's forward() so that end-to-end goldens
// match. Each pair's frequency is computed once per call, each (cos, sin) once per row and pair for every head of q
// and k, and each head is rotated along its elements.
void rope_f32_ref(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                  size_t head_dim, size_t pos0, float theta, RopeStyle style) {
  const size_t half = head_dim / 2;
  // Interleaved pairs are (2i, 2i+1); half pairs are (i, i + head_dim/2).
  const size_t first_step = style == RopeStyle::kInterleaved ? 2 : 1;
  const size_t second_offset = style == RopeStyle::kInterleaved ? 1 : half;
  float freq[kPairChunk], c[kPairChunk], s[kPairChunk];
  for (size_t i0 = 0; i0 < half; i0 += kPairChunk) {
    const size_t count = std::min(kPairChunk, half - i0);
    for (size_t i = 0; i < count; ++i)
      freq[i] = 1.0f / powf(theta, static_cast<float>(2 * (i0 + i)) / static_cast<float>(head_dim));
    for (size_t r = 0; r < rows; ++r) {
      const float pos = static_cast<float>(pos0 + r);
      for (size_t i = 0; i < count; ++i) {
        const float angle = pos * freq[i];
        c[i] = cosf(angle);
        s[i] = sinf(angle);
      }
      const size_t first = i0 * first_step;
      rotate_heads(q + r * q_stride, q_heads, head_dim, first, first_step, second_offset, c, s, count);
      if (k != nullptr)
        rotate_heads(k + r * k_stride, k_heads, head_dim, first, first_step, second_offset, c, s, count);
    }
  }
}

}  // namespace edgeformer::kernels
