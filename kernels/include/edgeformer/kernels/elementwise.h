#pragma once
// Element-wise ops of transformer blocks.
#include <cstddef>

namespace edgeformer::kernels {

// y = a + b (residual connection), y = a * b (a gated feed-forward's product); y may alias a or b.
using BinaryF32Fn = void (*)(const float* a, const float* b, size_t count, float* y);
void add_f32_ref(const float* a, const float* b, size_t count, float* y);
void multiply_f32_ref(const float* a, const float* b, size_t count, float* y);

// y = x * scale (scaled embeddings); y may alias x.
using ScaleF32Fn = void (*)(const float* x, size_t count, float scale, float* y);
void scale_f32_ref(const float* x, size_t count, float scale, float* y);

// GELU: x * Phi(x). tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (GPT-2's gelu_new); exact: with erf
// (BERT's gelu). y may alias x.
using GeluF32Fn = void (*)(const float* x, size_t count, bool tanh_approximation, float* y);
void gelu_f32_ref(const float* x, size_t count, bool tanh_approximation, float* y);
// SIMD variants: a vector exp, and for the exact GELU erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2)
// (Numerical Recipes' erfcc, relative error below 1.2e-7): within kGeluMaxRelativeError of the reference, not
// bit-identical.
// The SIMD GELUs' budget against the reference, relative to |y| (or absolute, for |y| below kGeluMinMagnitude).
constexpr double kGeluMaxRelativeError = 2e-5;
constexpr double kGeluMinMagnitude = 1e-30;

// Activations of one input; y may alias x. tanh (BERT's pooler), silu(x) = x * sigmoid(x) (Marian's "swish"),
// relu(x) = max(x, 0).
using UnaryF32Fn = void (*)(const float* x, size_t count, float* y);
void tanh_f32_ref(const float* x, size_t count, float* y);
void silu_f32_ref(const float* x, size_t count, float* y);
void relu_f32_ref(const float* x, size_t count, float* y);

// SwiGLU gate: y = silu(gate) * up, silu(x) = x / (1 + exp(-x)); y may alias gate or up.
using SwiGluF32Fn = void (*)(const float* gate, const float* up, size_t count, float* y);
void swiglu_f32_ref(const float* gate, const float* up, size_t count, float* y);
// SIMD variants: a vector exp instead of expf, within a few ulp of the reference, not bit-identical.

}  // namespace edgeformer::kernels
