#include "edgeformer/kernels/embedding.h"

#include <cstring>

namespace edgeformer::kernels {

bool embedding_f32_ref(const float* table, size_t vocab, size_t dim, const int32_t* ids, size_t count,
                       float* out) {
  for (size_t i = 0; i < count; ++i) {
    const int32_t id = ids[i];
    // Ids come from user input or from sampling, so they are untrusted: check before indexing the table.
    if (id < 0 || static_cast<size_t>(id) >= vocab) return false;
    std::memcpy(out + i * dim, table + static_cast<size_t>(id) * dim, dim * sizeof(float));
  }
  return true;
}

}  // namespace edgeformer::kernels
