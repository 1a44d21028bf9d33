#include "edgeformer/kernels/int4_packing.h"

#include <cstring>

namespace edgeformer::kernels {

void pack_int4_weights(const int8_t* codes, const uint16_t* scales, size_t n, size_t k, uint8_t* packed,
                       uint16_t* packed_scales) {
  const size_t groups = int4_packed_groups(k);
  // Code 0 everywhere first: both nibbles of a byte hold code + 8.
  std::memset(packed, kInt4CodeOffset | (kInt4CodeOffset << 4), int4_packed_bytes(n, k));
  std::memset(packed_scales, 0, int4_packed_scale_count(n, k) * sizeof(uint16_t));
  for (size_t c = 0; c < n; ++c) {
    for (size_t d = 0; d < k; ++d) {
      const uint8_t nibble = static_cast<uint8_t>(codes[c * k + d] + kInt4CodeOffset) & 0x0f;
      uint8_t& byte = packed[int4_packed_index(k, c, d)];
      byte = int4_is_high_nibble(d) ? static_cast<uint8_t>((byte & 0x0f) | (nibble << 4))
                                    : static_cast<uint8_t>((byte & 0xf0) | nibble);
    }
    for (size_t g = 0; g < groups; ++g) packed_scales[int4_scale_index(k, c, g)] = scales[c * groups + g];
  }
}

}  // namespace edgeformer::kernels
