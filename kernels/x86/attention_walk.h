#pragma once
// How the x86 attention kernels walk a call: head by head (one head's keys and values stay in cache while every row
// reads them), rows in tiles of the ISA's lane count. Every row of a call with several rows goes through a tile,
// however few rows its tile has: each lane computes alone, so a row's bits depend neither on the rows beside it (a
// padded batch gives the unpadded rows' bits) nor on where a thread's range starts (ranges are whole tiles of
// kAttentionRowTile). A lone row (decode) takes the row kernel.
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "edgeformer/kernels/attention.h"

namespace edgeformer::kernels::x86 {

// tile(r0, rows, h) computes rows [r0, r0 + rows) of head h, rows <= TileRows; row(r, h) one row.
template <size_t TileRows, typename Tile, typename Row>
void for_each_attention_tile(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                             size_t head_end, Tile&& tile, Row&& row) {
  static_assert(kAttentionRowTile % TileRows == 0, "a thread's rows are whole tiles");
  for (size_t h = head_begin; h < head_end; ++h)
    for (size_t r0 = row_begin; r0 < row_end; r0 += TileRows) {
      const size_t rows = std::min(TileRows, row_end - r0);
      if (args.rows > 1) {
        tile(r0, rows, h);
      } else {
        for (size_t r = r0; r < r0 + rows; ++r) row(r, h);
      }
    }
}

// Calls visit with the cache type as an integral constant, so that each type is its own instantiation.
template <typename Visit>
void with_cache_type(KvCacheType type, Visit&& visit) {
  switch (type) {
    case KvCacheType::kF32: return visit(std::integral_constant<KvCacheType, KvCacheType::kF32>{});
    case KvCacheType::kF16: return visit(std::integral_constant<KvCacheType, KvCacheType::kF16>{});
    case KvCacheType::kI8: return visit(std::integral_constant<KvCacheType, KvCacheType::kI8>{});
  }
}

}  // namespace edgeformer::kernels::x86
