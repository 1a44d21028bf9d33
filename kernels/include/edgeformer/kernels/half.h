#pragma once
// IEEE half precision <-> float, exact (round to nearest even on the way down), as F16C converts: for int4 scales,
// f16 KV caches, the converter and the reference kernels.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

float half_to_float(uint16_t half);
uint16_t float_to_half(float value);

// y[i] = float_to_half(x[i]): rows written to an f16 KV cache.
using F32ToF16Fn = void (*)(const float* x, size_t count, uint16_t* y);
void f32_to_f16_ref(const float* x, size_t count, uint16_t* y);

}  // namespace edgeformer::kernels
