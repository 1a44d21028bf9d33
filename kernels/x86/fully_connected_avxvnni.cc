// AVX-VNNI int8 and int4 fully connected kernels: vpdpbusd on ymm, for x86 cores that have it without AVX-512
// (Alder Lake and later client cores). Compiled with -mavx2 -mfma -mf16c -mavxvnni for this file alone; int4 is
// the AVX2 kernel with vpdpbusd for its products (int4_tile_ymm.h).
//
// The AVX-512 VNNI kernel's scheme on half-width registers: a 16-channel block of the packed weights is two ymm per
// group of 4 inputs; 4 activation bytes are broadcast per row and flipped to unsigned (x + 128); 128 x (row sum)
// comes off at the end. Tiles of kRows rows x one block: 12 accumulators of the 16 ymm registers.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "edgeformer/kernels/fully_connected.h"
#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"
#include "int4_tile_ymm.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kRows = 6;

template <size_t MR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m0 * k;
  const __m256i sign_bits = _mm256_set1_epi32(static_cast<int>(0x80808080u));
  __m256i acc[MR][2];
  for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt8GroupBytes));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt8GroupBytes + 32));
    for (size_t i = 0; i < MR; ++i) {
      int32_t group;
      std::memcpy(&group, xg.row(i), sizeof(group));
      const __m256i xv = _mm256_xor_si256(_mm256_set1_epi32(group), sign_bits);
      acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], xv, w0);
      acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], xv, w1);
    }
  }
  // Whole blocks as vectors, as the AVX2 kernel does (the subtraction wraps there as well).
  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  const bool whole = begin == c0 && end == c0 + kInt8BlockChannels;
  for (size_t i = 0; i < MR; ++i) {
    if (whole) {
      float* y = a.y + (m0 + i) * a.y_stride;
      const __m256 x_scale = _mm256_set1_ps(a.x_scale[m0 + i]);
      for (size_t h = 0; h < 2; ++h) {
        const __m256i row_sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.w_row_sums + c0 + 8 * h));
        const __m256i sums = _mm256_sub_epi32(acc[i][h], _mm256_slli_epi32(row_sums, 7));
        _mm256_storeu_ps(y + c0 + 8 * h, _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(sums), x_scale),
                                                       _mm256_loadu_ps(a.w_scale + c0 + 8 * h)));
      }
      continue;
    }
    alignas(32) int32_t sums[kInt8BlockChannels];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums), acc[i][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 8), acc[i][1]);
    float* y = a.y + (m0 + i) * a.y_stride;
    for (size_t c = begin; c < end; ++c) {
      // Wrapping arithmetic: sums from a corrupt file give a wrong number, not undefined behaviour.
      const int32_t sum =
          static_cast<int32_t>(static_cast<uint32_t>(sums[c - c0]) - 128u * static_cast<uint32_t>(a.w_row_sums[c]));
      y[c] = static_cast<float>(sum) * a.x_scale[m0 + i] * a.w_scale[c];
    }
  }
}

}  // namespace

void fully_connected_q8_avxvnni(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kRows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q8<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

void fully_connected_q4_avxvnni(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  x86::fully_connected_q4_ymm<x86::Int4Dot::kVnni>(args, n_begin, n_end);
}

}  // namespace edgeformer::kernels
