#include "edgeformer/kernels/quantize.h"

#include <cmath>

namespace edgeformer::kernels {

// q is written densely, [rows][k], which is the layout fully_connected_q8_ref reads.
// Rounding is half away from zero (std::round), so results do not depend on the FPU rounding mode.
void quantize_rows_q8_ref(const float* x, size_t x_stride, size_t rows, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    int8_t* qr = q + r * k;
    float amax = 0.0f;
    for (size_t i = 0; i < k; ++i) amax = std::fmax(amax, std::fabs(xr[i]));
    const float scale = amax / 127.0f;
    scales[r] = scale;
    // A zero scale (an all-zero row, or amax so small that amax / 127 underflows) would divide by zero.
    if (scale == 0.0f) {
      for (size_t i = 0; i < k; ++i) qr[i] = 0;
      continue;
    }
    for (size_t i = 0; i < k; ++i) {
      // x / scale can exceed 127 by one ulp at amax; fmin/fmax also map a NaN to a defined code instead of
      // letting an out-of-range float-to-int conversion (undefined behaviour) happen.
      const float v = std::fmin(std::fmax(std::round(xr[i] / scale), -127.0f), 127.0f);
      qr[i] = static_cast<int8_t>(v);
    }
  }
}

}  // namespace edgeformer::kernels
