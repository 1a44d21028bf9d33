#include "edgeformer/kernels/rms_norm.h"

#include <cmath>

namespace edgeformer::kernels {

// Same float operations in the same order as llama2.c's rmsnorm(), so that end-to-end goldens match.
// y may alias x: the sum of squares of a row is complete before that row is written.
void rms_norm_f32_ref(const float* x, const float* weight, size_t rows, size_t dim, float epsilon, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    float ss = 0.0f;
    for (size_t i = 0; i < dim; ++i) ss += xr[i] * xr[i];
    ss /= static_cast<float>(dim);
    ss += epsilon;
    ss = 1.0f / sqrtf(ss);
    for (size_t i = 0; i < dim; ++i) yr[i] = weight[i] * (ss * xr[i]);
  }
}

}  // namespace edgeformer::kernels
