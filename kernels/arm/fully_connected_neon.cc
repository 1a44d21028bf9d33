// NEON (armv8-a baseline, and ARMv7 with NEON and VFPv4) fully connected kernels: f32 with vfmaq_f32, and int8 /
// int4 on their packed layouts with widening multiplies (vmull_s8, exact int16 products) and pairwise accumulation
// into int32 (vpadalq_s16).
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "common/block_tiles.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"
#include "neon_reduce.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kF32Rows = 4, kF32Channels = 4;
constexpr size_t kInt4Rows = 2;

// f32: tiles of MR rows x NR channels, each output a 4-lane sum over k reduced at the end; the tail of k in
// scalar, in k order.
template <size_t MR, size_t NR>
void tile_f32(const FullyConnectedF32Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  // acc stays in registers only if every loop indexing it is unrolled before GCC's scalar replacement of
  // aggregates, which = {} and the pragmas see to: an outer loop over the rows is unrolled only later, and acc was
  // left in memory, stored at every step of k.
  float32x4_t acc[MR][NR] = {};
  const float* x_rows[MR];  // hoisted: their offsets were recomputed at every step of k
  for (size_t i = 0; i < MR; ++i) x_rows[i] = a.x + (m0 + i) * a.x_stride;
  size_t l = 0;
  for (; l + 4 <= k; l += 4) {
    float32x4_t w[NR];
    for (size_t r = 0; r < NR; ++r) w[r] = vld1q_f32(a.w + (n0 + r) * k + l);
#pragma GCC unroll 4
    for (size_t i = 0; i < MR; ++i) {
      const float32x4_t x = vld1q_f32(x_rows[i] + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = vfmaq_f32(acc[i][r], w[r], x);
    }
  }
  float sums[MR][NR];
#pragma GCC unroll 4
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) sums[i][r] = arm::sum_lanes(acc[i][r]);
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      float sum = sums[i][r];
      for (size_t j = l; j < k; ++j) sum += a.x[(m0 + i) * a.x_stride + j] * a.w[(n0 + r) * k + j];
      a.y[(m0 + i) * a.y_stride + n0 + r] = sum;
    }
}

template <size_t NR>
void rows_f32(const FullyConnectedF32Args& a, size_t n0) {
  size_t m = 0;
  for (; m + kF32Rows <= a.m; m += kF32Rows) tile_f32<kF32Rows, NR>(a, m, n0);
  for (; m < a.m; ++m) tile_f32<1, NR>(a, m, n0);
}

// int8: one block of 16 channels for one row. A group (4 inputs) is 64 bytes = 8 channels per 8-byte half row of
// products: vmull_s8 of 8 weight bytes (2 channels x 4 inputs) by the 4 activations twice gives 8 exact int16
// products, vpadalq_s16 adds them pairwise into int32 lanes (channel, half of its inputs). Two groups at a time:
// vmlal_s8 adds the second's products to the first's, still exact in int16 (2 x 127 x 128 < 2^15, activations being
// at least kInt8ActivationMin), so that one vpadalq_s16 serves both.
void row_block_q8(const FullyConnectedQ8Args& a, size_t m, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m * k;
  int32x4_t acc[8];
  for (auto& v : acc) v = vdupq_n_s32(0);
  const ActivationGroups<1, 2 * kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; g += 2) {
    int32_t quads[2];
    std::memcpy(quads, xs.group(g / 2).row(0), sizeof(quads));
    const int8x8_t x0 = vreinterpret_s8_s32(vdup_n_s32(quads[0])), x1 = vreinterpret_s8_s32(vdup_n_s32(quads[1]));
    const int8_t* wg = w + g * kInt8GroupBytes;
    for (size_t p = 0; p < 8; ++p) {
      const int16x8_t first = vmull_s8(vld1_s8(wg + p * 8), x0);
      // An odd last group has no partner in the file.
      acc[p] = vpadalq_s16(acc[p], g + 1 < groups ? vmlal_s8(first, vld1_s8(wg + kInt8GroupBytes + p * 8), x1) : first);
    }
  }
  // acc[p] lanes: (channel 2p, inputs 0-1), (2p, 2-3), (2p + 1, 0-1), (2p + 1, 2-3).
  int32_t sums[kInt8BlockChannels];
  for (size_t p = 0; p < 8; p += 2) vst1q_s32(sums + 2 * p, arm::pairwise_add(acc[p], acc[p + 1]));
  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  float* y = a.y + m * a.y_stride;
  for (size_t c = begin; c < end; ++c) y[c] = static_cast<float>(sums[c - c0]) * a.x_scale[m] * a.w_scale[c];
}

// int4: the nibbles of a 64-byte chunk are the codes + 8 (mask or shift), multiplied like int8 codes, 2 channels x
// 4 inputs per vmull_s8. A group's 8 products per int16 lane stay exact there (8 x 15 x 127 < 2^15), so vmlal_s8
// sums them and one vpaddlq_s16 per group widens; the + 8 comes off then, as 8 times the sum of the group's
// activations. Each group's exact sum is scaled by its f16 scale and added in float, in group order, as the
// reference does.
template <size_t MR>
void tile_q4(const FullyConnectedQ4Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int4_packed_groups(k);
  const uint8_t* w = a.w + block * groups * kInt4GroupBytes;
  const uint16_t* scales = a.w_scale + block * groups * kInt4BlockChannels;
  const ActivationGroups<MR, kInt4GroupDepth> xs(a.xq + m0 * k, k);
  const uint8x8_t low_nibbles = vdup_n_u8(0x0f);
  float32x4_t total[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t q = 0; q < 4; ++q) total[i][q] = vdupq_n_f32(0.0f);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    int16x8_t products[MR][8];
    for (size_t i = 0; i < MR; ++i)
      for (size_t p = 0; p < 8; ++p) products[i][p] = vdupq_n_s16(0);
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      int8x8_t x_low[MR], x_high[MR];
      for (size_t i = 0; i < MR; ++i) {
        int32_t quad_low, quad_high;
        std::memcpy(&quad_low, xg.row(i) + chunk * 8, 4);
        std::memcpy(&quad_high, xg.row(i) + chunk * 8 + 4, 4);
        x_low[i] = vreinterpret_s8_s32(vdup_n_s32(quad_low));
        x_high[i] = vreinterpret_s8_s32(vdup_n_s32(quad_high));
      }
      for (size_t p = 0; p < 8; ++p) {
        const uint8x8_t packed = vld1_u8(w + g * kInt4GroupBytes + chunk * 64 + p * 8);
        const int8x8_t low = vreinterpret_s8_u8(vand_u8(packed, low_nibbles));
        const int8x8_t high = vreinterpret_s8_u8(vshr_n_u8(packed, 4));
        for (size_t i = 0; i < MR; ++i)
          products[i][p] = vmlal_s8(vmlal_s8(products[i][p], low, x_low[i]), high, x_high[i]);
      }
    }
    float32x4_t group_scale[4];
    for (size_t q = 0; q < 4; ++q)
      group_scale[q] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(scales + g * kInt4BlockChannels + q * 4)));
    for (size_t i = 0; i < MR; ++i) {
      // -8 x the sum of the group's 32 activations, in every lane (pairwise sums of 4, 8, 16, then 32 of them).
      const int16x8_t by4 = vpadalq_s8(vpaddlq_s8(vld1q_s8(xg.row(i))), vld1q_s8(xg.row(i) + 16));
      const int32x4_t by8 = vpaddlq_s16(by4), by16 = arm::pairwise_add(by8, by8);
      const int32x4_t offset = vmulq_n_s32(arm::pairwise_add(by16, by16), -kInt4CodeOffset);
      for (size_t q = 0; q < 4; ++q) {
        const int32x4_t sums = arm::pairwise_add(vpaddlq_s16(products[i][2 * q]), vpaddlq_s16(products[i][2 * q + 1]));
        total[i][q] = vaddq_f32(total[i][q], vmulq_f32(vcvtq_f32_s32(vaddq_s32(sums, offset)), group_scale[q]));
      }
    }
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

void fully_connected_f32_neon(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  size_t n = n_begin;
  for (; n + kF32Channels <= n_end; n += kF32Channels) rows_f32<kF32Channels>(args, n);
  for (; n < n_end; ++n) rows_f32<1>(args, n);
}

void fully_connected_q8_neon(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  for (size_t block = n_begin / kInt8BlockChannels; block < int8_packed_blocks(n_end); ++block)
    for (size_t m = 0; m < args.m; ++m) row_block_q8(args, m, block, n_begin, n_end);
}

void fully_connected_q4_neon(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  for_each_block_tile<kInt4Rows>(args.m, args.k, n_begin, n_end, [&](auto rows, size_t m, size_t block) {
    tile_q4<decltype(rows)::value>(args, m, block, n_begin, n_end);
  });
}

}  // namespace edgeformer::kernels
