#pragma once
// The kernels an ISA provides; an op binds one set at load and calls through it.
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/isa.h"
#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/rms_norm.h"

namespace edgeformer::kernels {

struct KernelSet {
  Isa isa;
  FullyConnectedF32Fn fully_connected_f32;
  FullyConnectedQ8Fn fully_connected_q8;
  FullyConnectedQ4Fn fully_connected_q4;
  QuantizeRowsQ8Fn quantize_rows_q8;
  SwiGluF32Fn swiglu_f32;
  GeluF32Fn gelu_f32;
  LayerNormF32Fn layer_norm_f32;
  AttentionF32Fn attention_f32;
  RopeF32Fn rope_f32;
  RmsNormF32Fn rms_norm_f32;
};

// The set for `isa`; an ISA this build has no variants for gets the nearest lower one.
const KernelSet& kernel_set(Isa isa);

}  // namespace edgeformer::kernels
