#pragma once
// Token embedding lookup: out[i] = table[ids[i]].
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

// Returns false (and leaves `out` partially written) when an id is outside [0, vocab):
// token ids are data, so they are checked where they are read.
using EmbeddingF32Fn = bool (*)(const float* table, size_t vocab, size_t dim, const int32_t* ids, size_t count,
                                float* out);
bool embedding_f32_ref(const float* table, size_t vocab, size_t dim, const int32_t* ids, size_t count,
                       float* out);

}  // namespace edgeformer::kernels
