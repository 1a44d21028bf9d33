#include "edgeformer/kernels/pooling.h"

#include <algorithm>
#include <cmath>

namespace edgeformer::kernels {

bool mean_pool_f32_ref(const float* x, size_t rows, size_t dim, const int32_t* mask, float* y) {
  size_t count = 0;
  for (size_t r = 0; r < rows; ++r) count += mask[r] != 0;
  if (count == 0) return false;
  for (size_t i = 0; i < dim; ++i) {
    double sum = 0.0;
    for (size_t r = 0; r < rows; ++r)
      if (mask[r] != 0) sum += x[r * dim + i];
    y[i] = static_cast<float>(sum / static_cast<double>(count));
  }
  return true;
}

void l2_normalize_f32_ref(const float* x, size_t rows, size_t dim, float epsilon, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (size_t i = 0; i < dim; ++i) squares += double(x[r * dim + i]) * x[r * dim + i];
    const double inverse = 1.0 / std::max(std::sqrt(squares), double(epsilon));
    for (size_t i = 0; i < dim; ++i) y[r * dim + i] = static_cast<float>(x[r * dim + i] * inverse);
  }
}

}  // namespace edgeformer::kernels
