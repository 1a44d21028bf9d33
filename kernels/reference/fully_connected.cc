#include "edgeformer/kernels/fully_connected.h"

#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"

namespace edgeformer::kernels {

// Float accumulation in k order, as llama2.c's matmul(), so that end-to-end goldens match.
void fully_connected_f32_ref(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  for (size_t m = 0; m < args.m; ++m) {
    const float* x = args.x + m * args.x_stride;
    float* y = args.y + m * args.y_stride;
    for (size_t n = n_begin; n < n_end; ++n) {
      const float* w = args.w + n * args.k;
      float acc = 0.0f;
      for (size_t k = 0; k < args.k; ++k) acc += x[k] * w[k];
      y[n] = acc;
    }
  }
}

// Accumulates in int32: two products (-128) * (-128) already sum to 32768, past int16, so adding product pairs in
// 16 bits (a common SIMD shortcut) is wrong once weights hold -128. int32 is exact for k <= 131071 even when every
// product is (-128) * (-128).
void fully_connected_q8_ref(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  const size_t groups = int8_packed_groups(args.k);
  for (size_t m = 0; m < args.m; ++m) {
    const int8_t* x = args.xq + m * args.k;
    float* y = args.y + m * args.y_stride;
    for (size_t n = n_begin; n < n_end; ++n) {
      // Channel n's 4 bytes of each group; the packed zeros past k are never read.
      const int8_t* w = args.w + (n / kInt8BlockChannels) * groups * kInt8GroupBytes +
                        (n % kInt8BlockChannels) * kInt8GroupDepth;
      int32_t acc = 0;
      for (size_t k = 0; k < args.k; ++k)
        acc += static_cast<int32_t>(x[k]) *
               static_cast<int32_t>(w[(k / kInt8GroupDepth) * kInt8GroupBytes + k % kInt8GroupDepth]);
      y[n] = static_cast<float>(acc) * args.x_scale[m] * args.w_scale[n];
    }
  }
}

// Sums each group of 32 in int32 (exact), then accumulates the scaled group sums in float, in group order; the
// SIMD variants round the same way (multiply, then add: no FMA).
void fully_connected_q4_ref(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  const size_t groups = int4_packed_groups(args.k);
  for (size_t m = 0; m < args.m; ++m) {
    const int8_t* x = args.xq + m * args.k;
    float* y = args.y + m * args.y_stride;
    for (size_t n = n_begin; n < n_end; ++n) {
      float acc = 0.0f;
      for (size_t g = 0; g < groups; ++g) {
        int32_t sum = 0;
        for (size_t k = g * kInt4GroupDepth; k < args.k && k < (g + 1) * kInt4GroupDepth; ++k) {
          const uint8_t byte = args.w[int4_packed_index(args.k, n, k)];
          const int code = (int4_is_high_nibble(k) ? byte >> 4 : byte & 0x0f) - kInt4CodeOffset;
          sum += code * static_cast<int32_t>(x[k]);
        }
        acc += static_cast<float>(sum) * half_to_float(args.w_scale[int4_scale_index(args.k, n, g)]);
      }
      y[n] = acc * args.x_scale[m];
    }
  }
}

}  // namespace edgeformer::kernels
