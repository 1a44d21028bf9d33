#pragma once
// Symmetric int8 quantization: q = round(x / scale) clamped to [-127, 127], scale = max|x| / 127.
// -128 is never produced so that negation stays in range; kernels must still accept it in weights.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

// Quantizes each of `rows` rows of `k` floats (rows x_stride apart) with its own scale.
using QuantizeRowsQ8Fn = void (*)(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales);
void quantize_rows_q8_ref(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales);

// The SIMD variants are bit-identical to the reference: the same division (IEEE-exact in every lane), rounding half
// away from zero and NaN -> -127.

}  // namespace edgeformer::kernels
