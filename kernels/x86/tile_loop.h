#pragma once
// Walks the output of a fully connected layer in MR x NR tiles (rows x output channels), falling back to
// narrower tiles at the edges. tile(rows, channels, m, n) receives the tile shape as integral constants so that
// each shape is a separate, fully unrolled instantiation of the ISA's tile kernel.
#include <cstddef>
#include <type_traits>

namespace edgeformer::kernels::x86 {

template <size_t N>
using Size = std::integral_constant<size_t, N>;

template <size_t MR, size_t NR, typename Tile>
void for_each_tile(size_t rows, size_t n_begin, size_t n_end, Tile&& tile) {
  size_t n = n_begin;
  for (; n + NR <= n_end; n += NR) {
    size_t m = 0;
    for (; m + MR <= rows; m += MR) tile(Size<MR>{}, Size<NR>{}, m, n);
    for (; m < rows; ++m) tile(Size<1>{}, Size<NR>{}, m, n);
  }
  for (; n < n_end; ++n) {
    size_t m = 0;
    for (; m + MR <= rows; m += MR) tile(Size<MR>{}, Size<1>{}, m, n);
    for (; m < rows; ++m) tile(Size<1>{}, Size<1>{}, m, n);
  }
}

}  // namespace edgeformer::kernels::x86
