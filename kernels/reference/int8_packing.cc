#include "edgeformer/kernels/int8_packing.h"

#include <cstring>

namespace edgeformer::kernels {

void pack_int8_weights(const int8_t* w, size_t n, size_t k, int8_t* packed) {
  std::memset(packed, 0, int8_packed_bytes(n, k));
  for (size_t channel = 0; channel < n; ++channel)
    for (size_t depth = 0; depth < k; ++depth) packed[int8_packed_index(k, channel, depth)] = w[channel * k + depth];
}

}  // namespace edgeformer::kernels
