// AVX2 + FMA fully connected kernels (f32, int8, int4: int4_tile_ymm.h). Compiled with -mavx2 -mfma -mf16c for this
// file alone.
//
// f32: register tiles of kRows rows x kChannels output channels (8 accumulators of the 16 ymm registers): each step of k
// loads kRows activation vectors and kChannels weight vectors for kRows * kChannels multiply-adds. Every output is
// summed in the same lane order whatever tile computes it, so prefill and decode give identical results.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "avx2_reduce.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int8_packing.h"
#include "int4_tile_ymm.h"
#include "tile_loop.h"

namespace edgeformer::kernels {

namespace {

using x86::horizontal_sum;

constexpr size_t kRows = 2;
constexpr size_t kChannels = 4;

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

// int8: tiles of kInt8Rows rows x one block of 16 channels. A 64-byte group of the packed weights is four 16-byte
// chunks of 4 channels x 4 depths; each is widened to int16 and multiplied with the row's 4 activations (broadcast,
// widened) by vpmaddwd, which adds product pairs into int32. Exact for every int8 value, unlike vpmaddubsw, whose
// int16 pair sums saturate (2 x 255 x 127 > 32767). Each int32 lane holds half of a channel's sum; the halves are
// added once, after the loop.
constexpr size_t kInt8Rows = 2;

template <size_t MR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m0 * k;
  __m256i acc[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t q = 0; q < 4; ++q) acc[i][q] = _mm256_setzero_si256();
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    __m256i xv[MR];
    for (size_t i = 0; i < MR; ++i) {
      int32_t group;
      std::memcpy(&group, xg.row(i), sizeof(group));
      xv[i] = _mm256_cvtepi8_epi16(_mm_set1_epi32(group));
    }
    for (size_t q = 0; q < 4; ++q) {
      const __m256i wv = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + g * kInt8GroupBytes + q * 16)));
      for (size_t i = 0; i < MR; ++i) acc[i][q] = _mm256_add_epi32(acc[i][q], _mm256_madd_epi16(wv, xv[i]));
    }
  }

  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  for (size_t i = 0; i < MR; ++i) {
    // Chunks q, q+1 hold channel halves (c, c) per 64 bits; hadd pairs them, the permute restores channel order.
    alignas(32) int32_t sums[kInt8BlockChannels];
    for (size_t q = 0; q < 4; q += 2) {
      const __m256i paired = _mm256_hadd_epi32(acc[i][q], acc[i][q + 1]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(sums + q * 4),
                         _mm256_permute4x64_epi64(paired, _MM_SHUFFLE(3, 1, 2, 0)));
    }
    float* y = a.y + (m0 + i) * a.y_stride;
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
  for_each_block_tile<kInt8Rows>(args.m, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q8<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

void fully_connected_q4_avx2(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  x86::fully_connected_q4_ymm<x86::Int4Dot::kMaddubs>(args, n_begin, n_end);
}

}  // namespace edgeformer::kernels
