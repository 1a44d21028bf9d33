#include "edgeformer/kernels/attention.h"

#include <cmath>

#include "common/rope_walk.h"

namespace edgeformer::kernels {

namespace {

// Rotates pairs [0, count) of a chunk in each head of one row: pair i is (first[i * first_step],
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

void rope_inverse_frequencies(float theta, size_t dim, float* inv_freq) {
  for (size_t i = 0; i < dim / 2; ++i)
    inv_freq[i] = 1.0f / powf(theta, static_cast<float>(2 * i) / static_cast<float>(dim));
}

// Angles and rotations use the float operations of llama2.c's forward() so that end-to-end goldens match.
void rope_f32_ref(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                  size_t head_dim, size_t pos0, const RopeSpec& rope) {
  // Interleaved pairs are (2i, 2i+1); half pairs are (i, i + dim/2).
  const size_t first_step = rope.style == RopeStyle::kInterleaved ? 2 : 1;
  const size_t second_offset = rope.style == RopeStyle::kInterleaved ? 1 : rope.dim / 2;
  rope_walk(
      q, q_stride, q_heads, k, k_stride, k_heads, rows, pos0, rope,
      [](float pos, const float* freq, size_t count, float* c, float* s) {
        for (size_t i = 0; i < count; ++i) {
          const float angle = pos * freq[i];
          c[i] = cosf(angle);
          s[i] = sinf(angle);
        }
      },
      [&](float* row, size_t heads, size_t i0, size_t count, const float* c, const float* s) {
        rotate_heads(row, heads, head_dim, i0 * first_step, first_step, second_offset, c, s, count);
      });
}

}  // namespace edgeformer::kernels
