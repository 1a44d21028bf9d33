#include "edgeformer/kernels/attention.h"

#include <cmath>

namespace edgeformer::kernels {

namespace {

void rotate_heads(float* row, size_t heads, size_t head_dim, size_t first, size_t second_offset, float c, float s) {
  for (size_t h = 0; h < heads; ++h) {
    float* a = row + h * head_dim + first;
    float* b = a + second_offset;
    const float a0 = *a;
    const float b0 = *b;
    *a = a0 * c - b0 * s;
    *b = a0 * s + b0 * c;
  }
}

}  // namespace

// Frequencies and angles use the float operations of llama2.c's forward() so that end-to-end goldens match;
// each (cos, sin) pair is computed once per row and reused by every head of q and k.
void rope_f32_ref(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                  size_t head_dim, size_t pos0, float theta, RopeStyle style) {
  const size_t half = head_dim / 2;
  // Interleaved pairs are (2i, 2i+1); half pairs are (i, i + head_dim/2).
  const size_t first_step = style == RopeStyle::kInterleaved ? 2 : 1;
  const size_t second_offset = style == RopeStyle::kInterleaved ? 1 : half;
  for (size_t r = 0; r < rows; ++r) {
    const float pos = static_cast<float>(pos0 + r);
    for (size_t i = 0; i < half; ++i) {
      const float freq = 1.0f / powf(theta, static_cast<float>(2 * i) / static_cast<float>(head_dim));
      const float angle = pos * freq;
      const float c = cosf(angle);
      const float s = sinf(angle);
      rotate_heads(q + r * q_stride, q_heads, head_dim, i * first_step, second_offset, c, s);
      if (k != nullptr) rotate_heads(k + r * k_stride, k_heads, head_dim, i * first_step, second_offset, c, s);
    }
  }
}

}  // namespace edgeformer::kernels
