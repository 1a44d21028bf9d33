#pragma once
// IEEE half precision <-> float, exact (round to nearest even on the way down), as F16C converts: for int4 scales,
// f16 KV caches, the converter and the reference kernels.
#include <cstdint>

namespace edgeformer::kernels {

float half_to_float(uint16_t half);
uint16_t float_to_half(float value);

}  // namespace edgeformer::kernels
