#include "edgeformer/kernels/elementwise.h"

#include <cmath>

namespace edgeformer::kernels {

void add_f32_ref(const float* a, const float* b, size_t count, float* y) {
  for (size_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
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
