// AVX2 + FMA fully connected kernels (f32, int8, int4: int4_tile_ymm.h). Compiled with -mavx2 -mfma -mf16c for this
// file alone.
//
// f32: register tiles of kRows rows x kChannels output channels (12 accumulators of the 16 ymm registers, enough to
// cover the FMA latency at two per cycle): each step of k loads kRows activation vectors and kChannels weight vectors
// for kRows * kChannels multiply-adds. 4 x 3 measured 1.3x faster than 2 x 4 on Zen 3 for prompts (2 x 6 and 6 x 2
// were slower). Every output is summed in the same lane order whatever tile computes it, so prefill and decode give
// identical results, and the tile shape does not change them.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "avx2_reduce.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"
#include "int4_tile_ymm.h"
#include "tile_loop.h"

namespace edgeformer::kernels {

namespace {

using x86::horizontal_sum;

constexpr size_t kRows = 4;
constexpr size_t kChannels = 3;

template <size_t MR, size_t NR>
void tile_f32(const FullyConnectedF32Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const float* x = a.x + m0 * a.x_stride;
  const float* w = a.w + n0 * k;
  __m256 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_setzero_ps();
  size_t l = 0;
  for (; l + 8 <= k; l += 8) {
    __m256 wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm256_loadu_ps(w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * a.x_stride + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      float sum = horizontal_sum(acc[i][r]);
      for (size_t j = l; j < k; ++j) sum += x[i * a.x_stride + j] * w[r * k + j];
      a.y[(m0 + i) * a.y_stride + n0 + r] = sum;
    }
}

// int8: tiles of kInt8Rows rows x one block of 16 channels, two ymm of packed weights per group of 4 inputs (channels
// 0-7 and 8-15, 4 bytes each). vpmaddubsw multiplies unsigned by signed bytes into int16 pair sums, so the sign of
// each weight moves onto the activation: |w| x (x * sign(w)) = w x. The products stay exact because activations are
// the quantizer's codes in [-127, 127]: a pair sum is at most 2 x 128 x 127 = 32512 < 32767, even for a weight of
// -128 (|w| = 128 as an unsigned byte). vpmaddwd by ones then adds the pairs into int32 lanes, one per channel.
constexpr size_t kInt8Rows = 4;

template <size_t MR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m0 * k;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[MR][2];
  for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt8GroupBytes));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt8GroupBytes + 32));
    const __m256i magnitude0 = _mm256_abs_epi8(w0), magnitude1 = _mm256_abs_epi8(w1);
    for (size_t i = 0; i < MR; ++i) {
      int32_t group;
      std::memcpy(&group, xg.row(i), sizeof(group));
      const __m256i xv = _mm256_set1_epi32(group);
      const __m256i pairs0 = _mm256_maddubs_epi16(magnitude0, _mm256_sign_epi8(xv, w0));
      const __m256i pairs1 = _mm256_maddubs_epi16(magnitude1, _mm256_sign_epi8(xv, w1));
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(pairs0, ones));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(pairs1, ones));
    }
  }

  // A whole block is scaled and stored as vectors (the same two products in the same order as the lane-by-lane path
  // of a block a column range cuts): 16 scalar stores per row at a stride of n floats cost prompts dearly.
  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  const bool whole = begin == c0 && end == c0 + kInt8BlockChannels;
  for (size_t i = 0; i < MR; ++i) {
    float* y = a.y + (m0 + i) * a.y_stride;
    if (whole) {
      const __m256 x_scale = _mm256_set1_ps(a.x_scale[m0 + i]);
      for (size_t h = 0; h < 2; ++h)
        _mm256_storeu_ps(y + c0 + 8 * h, _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[i][h]), x_scale),
                                                       _mm256_loadu_ps(a.w_scale + c0 + 8 * h)));
      continue;
    }
    alignas(32) int32_t sums[kInt8BlockChannels];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums), acc[i][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 8), acc[i][1]);
    for (size_t c = begin; c < end; ++c) y[c] = static_cast<float>(sums[c - c0]) * a.x_scale[m0 + i] * a.w_scale[c];
  }
}

}  // namespace

void fully_connected_f32_avx2(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_f32<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

void fully_connected_q8_avx2(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kInt8Rows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q8<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

void fully_connected_q4_avx2(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  x86::fully_connected_q4_ymm<x86::Int4Dot::kMaddubs>(args, n_begin, n_end);
}

}  // namespace edgeformer::kernels
