#pragma once
// Fully connected (linear) layers: y[m][n] = sum_k x[m][k] * w[n][k].
// Weights are stored row-major [n][k] (one row per output channel), the layout of PyTorch's nn.Linear.
// Every kernel computes the output columns [n_begin, n_end) so that a thread pool can split N.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

struct FullyConnectedF32Args {
  const float* x;  // [m][k], rows x_stride floats apart
  size_t x_stride;
  const float* w;  // [n][k]
  float* y;        // [m][n], rows y_stride floats apart
  size_t y_stride;
  size_t m, k, n;
};
using FullyConnectedF32Fn = void (*)(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end);
void fully_connected_f32_ref(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end);

// Dynamic int8: activations quantized per row (token) to int8 with a symmetric scale, weights int8 per output
// channel with a symmetric scale; int32 accumulation, y = acc * x_scale[m] * w_scale[n]. Activation codes are
// the quantizer's, in [kInt8ActivationMin, 127]: the AVX2 kernel's int16 pair sums rely on it (weights may be any
// int8, -128 included).
constexpr int kInt8ActivationMin = -127;
struct FullyConnectedQ8Args {
  const int8_t* xq;      // [m][k], codes in [kInt8ActivationMin, 127]
  const float* x_scale;  // [m]
  const int8_t* w;       // [n][k] packed as int8_packing.h lays it out
  const float* w_scale;  // [n]
  float* y;              // [m][n], rows y_stride floats apart
  size_t y_stride;
  size_t m, k, n;
  // Sum over k of each weight row: variants that multiply unsigned activations (x + 128) by signed weights
  // (vpdpbusd) subtract 128 * sum to stay exact.
  const int32_t* w_row_sums;
};
using FullyConnectedQ8Fn = void (*)(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end);
void fully_connected_q8_ref(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end);

// int4 group-wise weights (int4_packing.h) with the same dynamic int8 activations. Per channel c and row m:
// y = x_scale[m] * sum over groups g, in order, of float(sum of the group's code * x) * scale[c][g].
struct FullyConnectedQ4Args {
  const int8_t* xq;         // [m][k]
  const float* x_scale;     // [m]
  const uint8_t* w;         // packed codes
  const uint16_t* w_scale;  // packed f16 scales
  float* y;                 // [m][n], rows y_stride floats apart
  size_t y_stride;
  size_t m, k, n;
};
using FullyConnectedQ4Fn = void (*)(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end);
void fully_connected_q4_ref(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end);

// Variants (variants.inc), each compiled for its ISA alone: integer sums are exact in every variant (int16 pair sums
// never saturate); f32 sums are reassociated across SIMD lanes, so they differ from the reference in the last bits.

// On ARM: NEON for every armv8-a core (and ARMv7 with NEON + VFPv4); on aarch64, sdot for cores
// with the dot-product extension and smmla for prompts on cores with i8mm (its leftover rows, and batch-1 decode,
// go through sdot).

}  // namespace edgeformer::kernels
