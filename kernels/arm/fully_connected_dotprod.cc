// NEON dot-product (armv8.2-a+dotprod) int8 fully connected kernel. Compiled with -march=armv8.2-a+dotprod for
// this file alone; the rest of the binary stays armv8-a and binds it only where the CPU reports asimddp.
//
// The packed layout's 16 bytes = 4 channels x 4 inputs are exactly what sdot reads: one vdotq_s32 by the row's 4
// activations (broadcast) adds each channel's 4 products into its lane. Signed by signed: no offset, no row sums.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "common/activation_groups.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int8_packing.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kRows = 4;

template <size_t MR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const int8_t* x = a.xq + m0 * k;
  int32x4_t acc[MR][4];
  for (size_t i = 0; i < MR; ++i)
    for (size_t q = 0; q < 4; ++q) acc[i][q] = vdupq_n_s32(0);
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
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

}  // namespace

void fully_connected_q8_neon_dotprod(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  for (size_t block = n_begin / kInt8BlockChannels; block < int8_packed_blocks(n_end); ++block) {
    size_t m = 0;
    for (; m + kRows <= args.m; m += kRows) tile_q8<kRows>(args, m, block, n_begin, n_end);
    for (; m < args.m; ++m) tile_q8<1>(args, m, block, n_begin, n_end);
  }
}

}  // namespace edgeformer::kernels
