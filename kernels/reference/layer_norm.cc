#include "edgeformer/kernels/layer_norm.h"

#include <cmath>

namespace edgeformer::kernels {

// Two passes (mean, then the squared deviations) rather than E[x^2] - E[x]^2, which cancels badly when the mean
// is large against the spread; sums in double so that long rows stay within float rounding of the exact result.
void layer_norm_f32_ref(const float* x, const float* weight, const float* bias, size_t rows, size_t dim,
                        float epsilon, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double sum = 0.0;
    for (size_t i = 0; i < dim; ++i) sum += xr[i];
    const double mean = sum / static_cast<double>(dim);
    double squares = 0.0;
    for (size_t i = 0; i < dim; ++i) squares += (xr[i] - mean) * (xr[i] - mean);
    const double inverse = 1.0 / std::sqrt(squares / static_cast<double>(dim) + epsilon);
    for (size_t i = 0; i < dim; ++i)
      yr[i] = static_cast<float>((xr[i] - mean) * inverse) * weight[i] + bias[i];
  }
}

}  // namespace edgeformer::kernels
