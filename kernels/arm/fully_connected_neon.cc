// NEON (armv8-a baseline) fully connected kernels: f32 with vfmaq_f32, and int8 on the packed layout with
// widening multiplies (vmull_s8, exact int16 products) and pairwise accumulation into int32 (vpadalq_s16).
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int8_packing.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kF32Rows = 4, kF32Channels = 4;

// f32: tiles of MR rows x NR channels, each output a 4-lane sum over k reduced at the end; the tail of k in
// scalar, in k order.
template <size_t MR, size_t NR>
void tile_f32(const FullyConnectedF32Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  float32x4_t acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = vdupq_n_f32(0.0f);
  size_t l = 0;
  for (; l + 4 <= k; l += 4) {
    float32x4_t w[NR];
    for (size_t r = 0; r < NR; ++r) w[r] = vld1q_f32(a.w + (n0 + r) * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const float32x4_t x = vld1q_f32(a.x + (m0 + i) * a.x_stride + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = vfmaq_f32(acc[i][r], w[r], x);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      float sum = vaddvq_f32(acc[i][r]);
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
// products, vpadalq_s16 adds them pairwise into int32 lanes (channel, half of its inputs).
void row_block_q8(const FullyConnectedQ8Args& a, size_t m, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m * k;
  int32x4_t acc[8];
  for (auto& v : acc) v = vdupq_n_s32(0);
  const ActivationGroups<1, kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; ++g) {
    int32_t group;
    std::memcpy(&group, xs.group(g).row(0), sizeof(group));
    const int8x8_t xv = vreinterpret_s8_s32(vdup_n_s32(group));
    const int8_t* wg = w + g * kInt8GroupBytes;
    for (size_t p = 0; p < 8; ++p) acc[p] = vpadalq_s16(acc[p], vmull_s8(vld1_s8(wg + p * 8), xv));
  }
  // acc[p] lanes: (channel 2p, inputs 0-1), (2p, 2-3), (2p + 1, 0-1), (2p + 1, 2-3).
  const size_t c0 = block * kInt8BlockChannels;
  float* y = a.y + m * a.y_stride;
  for (size_t p = 0; p < 8; ++p) {
    const int32x2_t sums = vpadd_s32(vget_low_s32(acc[p]), vget_high_s32(acc[p]));
    for (size_t j = 0; j < 2; ++j) {
      const size_t c = c0 + 2 * p + j;
      if (c >= n_begin && c < n_end)
        y[c] = static_cast<float>(j == 0 ? vget_lane_s32(sums, 0) : vget_lane_s32(sums, 1)) * a.x_scale[m] *
               a.w_scale[c];
    }
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

}  // namespace edgeformer::kernels
