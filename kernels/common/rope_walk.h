#pragma once
// The walk every RoPE kernel shares: pairs in chunks, and per row the chunk's (cos, sin) (times the spec's scale),
// then the rotation of every head of q and of k. The kernels differ only in how they compute (cos, sin) and rotate.
#include <algorithm>
#include <cstddef>

#include "edgeformer/kernels/attention.h"

namespace edgeformer::kernels {

// Pairs computed together: a multiple of every SIMD width, and all of a 128-wide head.
constexpr size_t kRopePairChunk = 64;

// sin_cos(pos, freq, count, c, s) writes c[i] = cos(pos * freq[i]) and s[i] likewise for i < count (and may write
// up to kRopePairChunk; freq is 0 past count). rotate(row, heads, i0, count, c, s) rotates pairs [i0, i0 + count)
// of each of a row's heads.
template <typename SinCos, typename Rotate>
void rope_walk(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
               size_t pos0, const RopeSpec& rope, SinCos&& sin_cos, Rotate&& rotate) {
  const size_t half = rope.dim / 2;
  alignas(32) float freq[kRopePairChunk], c[kRopePairChunk], s[kRopePairChunk];
  for (size_t i0 = 0; i0 < half; i0 += kRopePairChunk) {
    const size_t count = std::min(kRopePairChunk, half - i0);
    for (size_t i = 0; i < kRopePairChunk; ++i) freq[i] = i < count ? rope.inv_freq[i0 + i] : 0.0f;
    for (size_t r = 0; r < rows; ++r) {
      sin_cos(static_cast<float>(pos0 + r), freq, count, c, s);
      if (rope.scale != 1.0f)
        for (size_t i = 0; i < count; ++i) {
          c[i] *= rope.scale;
          s[i] *= rope.scale;
        }
      rotate(q + r * q_stride, q_heads, i0, count, c, s);
      if (k != nullptr) rotate(k + r * k_stride, k_heads, i0, count, c, s);
    }
  }
}

}  // namespace edgeformer::kernels
