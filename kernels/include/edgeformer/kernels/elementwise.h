#pragma once
// Element-wise ops of transformer blocks.
#include <cstddef>

namespace edgeformer::kernels {

// y = a + b (residual connection); y may alias a or b.
void add_f32_ref(const float* a, const float* b, size_t count, float* y);

// SwiGLU gate: y = silu(gate) * up, silu(x) = x / (1 + exp(-x)); y may alias gate or up.
void swiglu_f32_ref(const float* gate, const float* up, size_t count, float* y);

}  // namespace edgeformer::kernels
