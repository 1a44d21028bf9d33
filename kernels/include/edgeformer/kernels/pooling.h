#pragma once
// Sentence heads of encoders: pooling the token rows into one vector, and L2 normalization.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

// y[dim] = the mean of the rows of x [rows][dim] whose mask is nonzero; false (y untouched) if none is.
// Summed in double: a long sequence of similar rows would otherwise lose the low bits of every addend.
using MeanPoolF32Fn = bool (*)(const float* x, size_t rows, size_t dim, const int32_t* mask, float* y);
bool mean_pool_f32_ref(const float* x, size_t rows, size_t dim, const int32_t* mask, float* y);

// Each row of x [rows][dim] divided by max(|row|, epsilon) (torch.nn.functional.normalize); y may alias x.
using L2NormalizeF32Fn = void (*)(const float* x, size_t rows, size_t dim, float epsilon, float* y);
void l2_normalize_f32_ref(const float* x, size_t rows, size_t dim, float epsilon, float* y);

}  // namespace edgeformer::kernels
