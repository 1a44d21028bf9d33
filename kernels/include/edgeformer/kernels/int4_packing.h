#pragma once
// int4 fully connected weights, group-wise: codes in [-8, 7], one f16 scale per 32 consecutive inputs of each
// output channel. Like int8 (int8_packing.h) they are cut into blocks of 16 output channels; a block holds, per
// group of 32 inputs, 256 bytes: four 64-byte chunks, chunk j packing the 4-input quads 2j (low nibbles) and
// 2j + 1 (high nibbles), each as 16 channels x 4 inputs. A nibble is the code + 8 (0..15), so one AND or shift
// gives bytes that vpdpbusd / vpmaddubsw take as unsigned; the + 8 comes off as 8 x (sum of the activations).
// Padding (channels past n, inputs past k) holds code 0. The scales are packed the same way: per block and group,
// the 16 channels' f16 scales (32 bytes, one vcvtph2ps).
#include <cstddef>
#include <cstdint>

#include "edgeformer/kernels/half.h"

namespace edgeformer::kernels {

constexpr size_t kInt4BlockChannels = 16;
constexpr size_t kInt4GroupDepth = 32;
constexpr size_t kInt4GroupBytes = kInt4BlockChannels * kInt4GroupDepth / 2;
constexpr int kInt4CodeOffset = 8;

inline size_t int4_packed_blocks(size_t n) { return (n + kInt4BlockChannels - 1) / kInt4BlockChannels; }
inline size_t int4_packed_groups(size_t k) { return (k + kInt4GroupDepth - 1) / kInt4GroupDepth; }
inline size_t int4_packed_bytes(size_t n, size_t k) {
  return int4_packed_blocks(n) * int4_packed_groups(k) * kInt4GroupBytes;
}
inline size_t int4_packed_scale_count(size_t n, size_t k) {
  return int4_packed_blocks(n) * int4_packed_groups(k) * kInt4BlockChannels;
}
// The byte holding code (channel, depth) of a [n][k] weight; the code is its high nibble when depth % 8 >= 4.
inline size_t int4_packed_index(size_t k, size_t channel, size_t depth) {
  const size_t within = depth % kInt4GroupDepth;
  return ((channel / kInt4BlockChannels) * int4_packed_groups(k) + depth / kInt4GroupDepth) * kInt4GroupBytes +
         (within / 8) * 64 + (channel % kInt4BlockChannels) * 4 + within % 4;
}
inline bool int4_is_high_nibble(size_t depth) { return depth % 8 >= 4; }
// Where the scale of (channel, group) is, in the packed scales.
inline size_t int4_scale_index(size_t k, size_t channel, size_t group) {
  return ((channel / kInt4BlockChannels) * int4_packed_groups(k) + group) * kInt4BlockChannels +
         channel % kInt4BlockChannels;
}

// codes: row-major [n][k] in [-8, 7]; scales: row-major [n][groups] f16 bits. Writes int4_packed_bytes(n, k)
// bytes and int4_packed_scale_count(n, k) scales (zero scales in the padding).
void pack_int4_weights(const int8_t* codes, const uint16_t* scales, size_t n, size_t k, uint8_t* packed,
                       uint16_t* packed_scales);

}  // namespace edgeformer::kernels
