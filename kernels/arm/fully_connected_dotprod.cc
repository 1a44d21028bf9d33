// NEON dot-product (armv8.2-a+dotprod) int8 and int4 fully connected kernels. Compiled with
// -march=armv8.2-a+dotprod for this file alone; the rest of the binary stays armv8-a and binds it only where the CPU
// reports asimddp.
//
// The packed layout's 16 bytes = 4 channels x 4 inputs are exactly what sdot reads: one vdotq_s32 by the row's 4
// activations (broadcast) adds each channel's 4 products into its lane. Signed by signed: no offset, no row sums.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kRows = 4;
constexpr size_t kInt4Rows = 2;

template <size_t MR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m0 * k;
  int32x4_t acc[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t q = 0; q < 4; ++q) acc[i][q] = vdupq_n_s32(0);
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
  // Two groups a step, so that one group's loads can be scheduled among the other's sdots (an in-order core,
  // Cortex-A55, stalls on each load otherwise).
#pragma GCC unroll 2
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    int8x16_t wv[4];
    for (size_t q = 0; q < 4; ++q) wv[q] = vld1q_s8(w + g * kInt8GroupBytes + q * 16);
    for (size_t i = 0; i < MR; ++i) {
      int32_t group;
      std::memcpy(&group, xg.row(i), sizeof(group));
      const int8x16_t xv = vreinterpretq_s8_s32(vdupq_n_s32(group));
      for (size_t q = 0; q < 4; ++q) acc[i][q] = vdotq_s32(acc[i][q], wv[q], xv);
    }
  }
  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  for (size_t i = 0; i < MR; ++i) {
    int32_t sums[kInt8BlockChannels];
    for (size_t q = 0; q < 4; ++q) vst1q_s32(sums + 4 * q, acc[i][q]);
    float* y = a.y + (m0 + i) * a.y_stride;
    for (size_t c = begin; c < end; ++c) y[c] = static_cast<float>(sums[c - c0]) * a.x_scale[m0 + i] * a.w_scale[c];
  }
}

// int4: per group of 32 inputs, each 64-byte chunk holds two quads of 16 channels x 4 inputs as nibbles (code + 8);
// masking or shifting gives them, and sdot multiplies them by the row's quads. The + 8 comes off at once: each
// group's accumulators start at -8 times the sum of its activations (an sdot by ones). The exact group sum is
// scaled by the group's f16 scales and added in float (multiply, then add, as the reference).
template <size_t MR>
void tile_q4(const FullyConnectedQ4Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int4_packed_groups(k);
  const uint8_t* w = a.w + block * groups * kInt4GroupBytes;
  const uint16_t* scales = a.w_scale + block * groups * kInt4BlockChannels;
  const ActivationGroups<MR, kInt4GroupDepth> xs(a.xq + m0 * k, k);
  const uint8x16_t low_nibbles = vdupq_n_u8(0x0f);
  const int8x16_t ones = vdupq_n_s8(1);
  float32x4_t total[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t q = 0; q < 4; ++q) total[i][q] = vdupq_n_f32(0.0f);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    int32x4_t acc[MR][4];
    for (size_t i = 0; i < MR; ++i) {
      const int32x4_t quad_sums =
          vdotq_s32(vdotq_s32(vdupq_n_s32(0), vld1q_s8(xg.row(i)), ones), vld1q_s8(xg.row(i) + 16), ones);
      const int32x4_t start = vdupq_n_s32(-kInt4CodeOffset * vaddvq_s32(quad_sums));
      for (size_t q = 0; q < 4; ++q) acc[i][q] = start;
    }
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      int8x16_t low[4], high[4];
      for (size_t q = 0; q < 4; ++q) {
        const uint8x16_t packed = vld1q_u8(w + g * kInt4GroupBytes + chunk * 64 + q * 16);
        low[q] = vreinterpretq_s8_u8(vandq_u8(packed, low_nibbles));
        high[q] = vreinterpretq_s8_u8(vshrq_n_u8(packed, 4));
      }
      for (size_t i = 0; i < MR; ++i) {
        int32_t quad_low, quad_high;
        std::memcpy(&quad_low, xg.row(i) + chunk * 8, 4);
        std::memcpy(&quad_high, xg.row(i) + chunk * 8 + 4, 4);
        const int8x16_t x_low = vreinterpretq_s8_s32(vdupq_n_s32(quad_low));
        const int8x16_t x_high = vreinterpretq_s8_s32(vdupq_n_s32(quad_high));
        for (size_t q = 0; q < 4; ++q) acc[i][q] = vdotq_s32(vdotq_s32(acc[i][q], low[q], x_low), high[q], x_high);
      }
    }
    float32x4_t group_scale[4];
    for (size_t q = 0; q < 4; ++q)
      group_scale[q] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(scales + g * kInt4BlockChannels + q * 4)));
    for (size_t i = 0; i < MR; ++i)
      for (size_t q = 0; q < 4; ++q)
        total[i][q] = vaddq_f32(total[i][q], vmulq_f32(vcvtq_f32_s32(acc[i][q]), group_scale[q]));
  }
  const size_t c0 = block * kInt4BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt4BlockChannels);
  for (size_t i = 0; i < MR; ++i) {
    float sums[kInt4BlockChannels];
    for (size_t q = 0; q < 4; ++q) vst1q_f32(sums + 4 * q, vmulq_n_f32(total[i][q], a.x_scale[m0 + i]));
    float* y = a.y + (m0 + i) * a.y_stride;
    for (size_t c = begin; c < end; ++c) y[c] = sums[c - c0];
  }
}

}  // namespace

void fully_connected_q4_neon_dotprod(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kInt4Rows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q4<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

void fully_connected_q8_neon_dotprod(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kRows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q8<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

}  // namespace edgeformer::kernels
