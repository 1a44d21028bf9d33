#include "edgeformer/kernels/elementwise.h"

#include <cmath>

namespace edgeformer::kernels {

void add_f32_ref(const float* a, const float* b, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
}

void multiply_f32_ref(const float* a, const float* b, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = a[i] * b[i];
}

void scale_f32_ref(const float* x, size_t count, float scale, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = x[i] * scale;
}

// Written without 1 + tanh(z) or 1 + erf(z), which cancel for negative inputs: 1 + tanh(z) = 2 / (1 + e^(-2z)) and
// 1 + erf(z) = erfc(-z), so small negative outputs keep their relative precision.
void gelu_f32_ref(const float* x, size_t count, bool tanh_approximation, float* y) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f, kInverseSqrt2 = 0.7071067811865476f;
  for (size_t i = 0; i < count; ++i) {
    const float v = x[i];
    y[i] = tanh_approximation ? v / (1.0f + expf(-2.0f * kSqrt2OverPi * (v + 0.044715f * v * v * v)))
                              : 0.5f * v * std::erfc(-v * kInverseSqrt2);
  }
}

void tanh_f32_ref(const float* x, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = std::tanh(x[i]);
}

void silu_f32_ref(const float* x, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = x[i] / (1.0f + expf(-x[i]));
}

void relu_f32_ref(const float* x, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// Same float operations as llama2.c's forward(): val *= 1.0f / (1.0f + expf(-val)); val *= up.
void swiglu_f32_ref(const float* gate, const float* up, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) {
    float g = gate[i];
    g *= 1.0f / (1.0f + expf(-g));
    y[i] = g * up[i];
  }
}

}  // namespace edgeformer::kernels
