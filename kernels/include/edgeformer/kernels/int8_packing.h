#pragma once
// The layout of int8 fully connected weights, in the .eft file and in memory: the one layout every int8 kernel
// (reference, AVX2, AVX-512 VNNI; NEON dotprod later) reads in place.
//
// The weight [n][k] is cut into blocks of 16 output channels; a block is stored as groups of 4 consecutive k, and a
// group as 16 channels x 4 bytes. One 64-byte group is one zmm register: a 4-byte broadcast of the activations and
// one vpdpbusd give 16 channel sums with no horizontal reduction (two ymm for AVX2, four NEON sdot lanes).
// Channels past n and depths past k are zero, so n is padded to 16 and k to 4.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

constexpr size_t kInt8BlockChannels = 16;
constexpr size_t kInt8GroupDepth = 4;
constexpr size_t kInt8GroupBytes = kInt8BlockChannels * kInt8GroupDepth;

inline size_t int8_packed_groups(size_t k) { return (k + kInt8GroupDepth - 1) / kInt8GroupDepth; }
inline size_t int8_packed_blocks(size_t n) { return (n + kInt8BlockChannels - 1) / kInt8BlockChannels; }
inline size_t int8_packed_bytes(size_t n, size_t k) {
  return int8_packed_blocks(n) * int8_packed_groups(k) * kInt8GroupBytes;
}
// Where w[channel][depth] lives in the packed bytes of a [n][k] weight.
inline size_t int8_packed_index(size_t k, size_t channel, size_t depth) {
  return ((channel / kInt8BlockChannels) * int8_packed_groups(k) + depth / kInt8GroupDepth) * kInt8GroupBytes +
         (channel % kInt8BlockChannels) * kInt8GroupDepth + depth % kInt8GroupDepth;
}

// Packs the row-major w [n][k] into int8_packed_bytes(n, k) bytes at `packed`, padding with zeros.
void pack_int8_weights(const int8_t* w, size_t n, size_t k, int8_t* packed);

}  // namespace edgeformer::kernels
