#pragma once
// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * weight + bias, var the biased variance (as
// torch.nn.functional.layer_norm).
#include <cstddef>

namespace edgeformer::kernels {

// y may alias x.
using LayerNormF32Fn = void (*)(const float* x, const float* weight, const float* bias, size_t rows, size_t dim,
                                float epsilon, float* y);
void layer_norm_f32_ref(const float* x, const float* weight, const float* bias, size_t rows, size_t dim,
                        float epsilon, float* y);
// The reference's operations on vectors of doubles: only the order of the two sums differs.

}  // namespace edgeformer::kernels
