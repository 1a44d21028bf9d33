#pragma once
// The int4 fully connected kernel on ymm registers, for the AVX2 and AVX-VNNI files (include it from files compiled
// with -mavx2 -mf16c, and -mavxvnni for Int4Dot::kVnni).
//
// Tiles of kInt4YmmRows rows x one block. Per group of 32 inputs, each half block (8 channels, 32 bytes of a chunk)
// gives two ymm of unsigned nibbles (code + 8), multiplied by the row's signed activation quads:
// - kMaddubs (AVX2): vpmaddubsw into int16 pairs. Safe here, unlike for int8: a pair is at most 2 x 15 x 128, and
//   the 16 products an int16 lane gathers over the group stay within 15 x 128 x 16 = 30720. vpmaddwd by 1 then
//   gives a channel's group sum;
// - kVnni (AVX-VNNI): vpdpbusd adds the 4 products of each channel straight into int32.
// The + 8 of the nibbles comes off as 8 x (sum of the group's activations); the exact group sum is scaled by its
// f16 scale and added in float, in group order, as the reference does.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "avx2_reduce.h"
#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int4_packing.h"

namespace edgeformer::kernels::x86 {

enum class Int4Dot { kMaddubs, kVnni };

constexpr size_t kInt4YmmRows = 2;

template <Int4Dot D, size_t MR>
void tile_q4_ymm(const FullyConnectedQ4Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int4_packed_groups(k);
  const uint8_t* w = a.w + block * groups * kInt4GroupBytes;
  const uint16_t* scales = a.w_scale + block * groups * kInt4BlockChannels;
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  const ActivationGroups<MR, kInt4GroupDepth> xs(a.xq + m0 * k, k);
  __m256 total[MR][2];
  for (size_t i = 0; i < MR; ++i) total[i][0] = total[i][1] = _mm256_setzero_ps();
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    __m256i acc[MR][2];  // int16 pairs (kMaddubs) or int32 sums (kVnni)
    for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      __m256i low[2], high[2];
      for (size_t h = 0; h < 2; ++h) {
        const __m256i packed =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kInt4GroupBytes + chunk * 64 + h * 32));
        low[h] = _mm256_and_si256(packed, low_nibbles);
        high[h] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
      }
      for (size_t i = 0; i < MR; ++i) {
        int32_t quad_low, quad_high;
        std::memcpy(&quad_low, xg.row(i) + chunk * 8, 4);
        std::memcpy(&quad_high, xg.row(i) + chunk * 8 + 4, 4);
        const __m256i x_low = _mm256_set1_epi32(quad_low), x_high = _mm256_set1_epi32(quad_high);
        for (size_t h = 0; h < 2; ++h) {
          if constexpr (D == Int4Dot::kVnni)
            acc[i][h] = _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(acc[i][h], low[h], x_low), high[h], x_high);
          else
            acc[i][h] = _mm256_add_epi16(acc[i][h], _mm256_add_epi16(_mm256_maddubs_epi16(low[h], x_low),
                                                                     _mm256_maddubs_epi16(high[h], x_high)));
        }
      }
    }
    __m256 group_scale[2];
    for (size_t h = 0; h < 2; ++h)
      group_scale[h] = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g * kInt4BlockChannels + h * 8)));
    for (size_t i = 0; i < MR; ++i) {
      const __m256i offset = _mm256_set1_epi32(kInt4CodeOffset * sum_of_32(xg.row(i)));
      for (size_t h = 0; h < 2; ++h) {
        const __m256i exact = D == Int4Dot::kVnni ? acc[i][h] : _mm256_madd_epi16(acc[i][h], ones);
        const __m256i sums = _mm256_sub_epi32(exact, offset);
        total[i][h] = _mm256_add_ps(total[i][h], _mm256_mul_ps(_mm256_cvtepi32_ps(sums), group_scale[h]));
      }
    }
  }
  const size_t c0 = block * kInt4BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt4BlockChannels);
  const bool whole = begin == c0 && end == c0 + kInt4BlockChannels;
  for (size_t i = 0; i < MR; ++i) {
    alignas(32) float sums[kInt4BlockChannels];
    _mm256_store_ps(sums, _mm256_mul_ps(total[i][0], _mm256_set1_ps(a.x_scale[m0 + i])));
    _mm256_store_ps(sums + 8, _mm256_mul_ps(total[i][1], _mm256_set1_ps(a.x_scale[m0 + i])));
    float* y = a.y + (m0 + i) * a.y_stride;
    // A whole block in two vector stores (a prompt's rows are n floats apart: scalar stores cost there).
    if (whole) {
      _mm256_storeu_ps(y + c0, _mm256_load_ps(sums));
      _mm256_storeu_ps(y + c0 + 8, _mm256_load_ps(sums + 8));
      continue;
    }
    for (size_t c = begin; c < end; ++c) y[c] = sums[c - c0];
  }
}

template <Int4Dot D>
void fully_connected_q4_ymm(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kInt4YmmRows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q4_ymm<D, decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

}  // namespace edgeformer::kernels::x86
