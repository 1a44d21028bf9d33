// NEON int8 matrix-multiply (armv8.6-a i8mm) fully connected kernel for prompts: smmla multiplies a 2x8 block of
// activations (two rows, 8 inputs) by an 8x2 block of weights (two channels) into a 2x2 int32 tile, twice the work
// of sdot per instruction. Compiled with -march=armv8.2-a+dotprod+i8mm for this file alone and bound only where the
// CPU reports both.
//
// The packed layout (int8_packing.h) stays the one every target reads: a group holds 4 inputs of 16 channels, so
// two consecutive groups are zipped into the 8-input channel pairs smmla wants, once per block and reused by every
// pair of rows of the tile. Rows left over after the tiles of 4 (and batch-1 decode) go to the sdot kernel, which
// wastes no lanes on them.
#include <arm_neon.h>

#include <algorithm>

#include "common/activation_groups.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kRows = 4;                             // two smmla row pairs
constexpr size_t kPairDepth = 2 * kInt8GroupDepth;      // inputs per smmla operand row
constexpr size_t kChannelPairs = kInt8BlockChannels / 2;

// Weights of channels (2j, 2j + 1) at inputs [8p, 8p + 8): the 4-byte quads of groups 2p and 2p + 1 interleaved.
// An odd last group has no partner in the file; zeros stand in for it (its activations are zero-padded too).
void load_channel_pairs(const int8_t* w, size_t p, size_t groups, int8x16_t pairs[kChannelPairs]) {
  const int8_t* first = w + 2 * p * kInt8GroupBytes;
  const bool has_second = 2 * p + 1 < groups;
  for (size_t q = 0; q < 4; ++q) {
    const int32x4_t low = vreinterpretq_s32_s8(vld1q_s8(first + q * 16));
    const int32x4_t high =
        has_second ? vreinterpretq_s32_s8(vld1q_s8(first + kInt8GroupBytes + q * 16)) : vdupq_n_s32(0);
    pairs[2 * q] = vreinterpretq_s8_s32(vzip1q_s32(low, high));
    pairs[2 * q + 1] = vreinterpretq_s8_s32(vzip2q_s32(low, high));
  }
}

void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t block, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k), pair_count = (groups + 1) / 2;
  const int8_t* w = a.w + block * groups * kInt8GroupBytes;
  const ActivationGroups<kRows, kPairDepth> xs(a.xq + m0 * k, k);
  // acc[r][j]: rows (2r, 2r + 1) x channels (2j, 2j + 1), lanes row-major.
  int32x4_t acc[kRows / 2][kChannelPairs];
  for (auto& row_pair : acc)
    for (auto& v : row_pair) v = vdupq_n_s32(0);
  for (size_t p = 0; p < pair_count; ++p) {
    int8x16_t weights[kChannelPairs];
    load_channel_pairs(w, p, groups, weights);
    const auto xg = xs.group(p);
    for (size_t r = 0; r < kRows / 2; ++r) {
      const int8x16_t x = vcombine_s8(vld1_s8(xg.row(2 * r)), vld1_s8(xg.row(2 * r + 1)));
      for (size_t j = 0; j < kChannelPairs; ++j) acc[r][j] = vmmlaq_s32(acc[r][j], x, weights[j]);
    }
  }
  const size_t c0 = block * kInt8BlockChannels;
  const size_t begin = std::max(n_begin, c0), end = std::min(n_end, c0 + kInt8BlockChannels);
  for (size_t r = 0; r < kRows / 2; ++r) {
    // The low halves of the 2x2 tiles are the first row's channel pairs, the high halves the second row's.
    int32_t sums[2][kInt8BlockChannels];
    for (size_t j = 0; j < kChannelPairs; j += 2) {
      const int64x2_t left = vreinterpretq_s64_s32(acc[r][j]), right = vreinterpretq_s64_s32(acc[r][j + 1]);
      vst1q_s32(sums[0] + 2 * j, vreinterpretq_s32_s64(vzip1q_s64(left, right)));
      vst1q_s32(sums[1] + 2 * j, vreinterpretq_s32_s64(vzip2q_s64(left, right)));
    }
    for (size_t i = 0; i < 2; ++i) {
      const size_t m = m0 + 2 * r + i;
      float* y = a.y + m * a.y_stride;
      for (size_t c = begin; c < end; ++c) y[c] = static_cast<float>(sums[i][c - c0]) * a.x_scale[m] * a.w_scale[c];
    }
  }
}

}  // namespace

void fully_connected_q8_neon_i8mm(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  const size_t tiled_rows = args.m / kRows * kRows;
  for (size_t block = n_begin / kInt8BlockChannels; block < int8_packed_blocks(n_end); ++block)
    for (size_t m = 0; m < tiled_rows; m += kRows) tile_q8(args, m, block, n_begin, n_end);
  if (tiled_rows == args.m) return;
  FullyConnectedQ8Args rest = args;
  rest.xq += tiled_rows * args.k;
  rest.x_scale += tiled_rows;
  rest.y += tiled_rows * args.y_stride;
  rest.m -= tiled_rows;
  fully_connected_q8_neon_dotprod(rest, n_begin, n_end);
}

}  // namespace edgeformer::kernels
