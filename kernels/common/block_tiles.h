#pragma once
// Walks the output of a packed int8 / int4 fully connected layer: every 16-channel block that meets
// [n_begin, n_end), in tiles of MR rows and then single rows. tile(rows, m, block) gets the row count as an
// integral constant, so that each is its own unrolled instantiation of the ISA's tile kernel.
#include <cstddef>
#include <type_traits>

#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"

namespace edgeformer::kernels {

template <size_t MR, typename Tile>
void for_each_block_tile(size_t rows, size_t n_begin, size_t n_end, Tile&& tile) {
  static_assert(kInt8BlockChannels == kInt4BlockChannels, "both packings share the block walk");
  constexpr size_t kBlock = kInt8BlockChannels;
  for (size_t block = n_begin / kBlock; block < (n_end + kBlock - 1) / kBlock; ++block) {
    size_t m = 0;
    for (; m + MR <= rows; m += MR) tile(std::integral_constant<size_t, MR>{}, m, block);
    for (; m < rows; ++m) tile(std::integral_constant<size_t, 1>{}, m, block);
  }
}

}  // namespace edgeformer::kernels
