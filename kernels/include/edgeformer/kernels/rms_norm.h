#pragma once
// RMSNorm over the last dimension: y = x / sqrt(mean(x^2) + eps) * weight.
#include <cstddef>

namespace edgeformer::kernels {

// y may alias x.
using RmsNormF32Fn = void (*)(const float* x, const float* weight, size_t rows, size_t dim, float epsilon, float* y);
void rms_norm_f32_ref(const float* x, const float* weight, size_t rows, size_t dim, float epsilon, float* y);

}  // namespace edgeformer::kernels
