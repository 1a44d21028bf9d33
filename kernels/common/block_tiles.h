#pragma once
// Walks the output of a packed int8 / int4 fully connected layer: every 16-channel block that meets
// [n_begin, n_end), in tiles of MR rows and then single rows. tile(rows, m, block) gets the row count as an
// integral constant, so that each is its own unrolled instantiation of the ISA's tile kernel.
//
// Blocks go in chunks whose weights fit in L2 (kChunkWeightBytes at one byte per weight, for depth k), and within a
// chunk row tile by row tile: a tile's activation rows stay in L1 across the chunk, and each output row is written in
// runs of a chunk's channels. Block by block instead, a prompt's output is written 64 bytes at a time at a stride of
// n floats (on Zen 3 the AVX2 int8 GEMM of M=128, K=768, N=3072 gained about 7%, best of runs in turns, with the
// vector stores of whole blocks). Every output is still computed by one tile, so the order changes no result.
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"

namespace edgeformer::kernels {

constexpr size_t kChunkWeightBytes = size_t{128} << 10;

template <size_t MR, typename Tile>
void for_each_block_tile(size_t rows, size_t k, size_t n_begin, size_t n_end, Tile&& tile) {
  static_assert(kInt8BlockChannels == kInt4BlockChannels, "both packings share the block walk");
  constexpr size_t kBlock = kInt8BlockChannels;
  const size_t chunk = std::max<size_t>(1, kChunkWeightBytes / (kBlock * std::max<size_t>(k, 1)));
  const size_t first = n_begin / kBlock, last = (n_end + kBlock - 1) / kBlock;
  for (size_t chunk_begin = first; chunk_begin < last; chunk_begin += chunk) {
    const size_t chunk_end = std::min(last, chunk_begin + chunk);
    size_t m = 0;
    for (; m + MR <= rows; m += MR)
      for (size_t block = chunk_begin; block < chunk_end; ++block) tile(std::integral_constant<size_t, MR>{}, m, block);
    for (; m < rows; ++m)
      for (size_t block = chunk_begin; block < chunk_end; ++block) tile(std::integral_constant<size_t, 1>{}, m, block);
  }
}

}  // namespace edgeformer::kernels
