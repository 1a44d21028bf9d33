#pragma once
// The kernels an ISA provides, one named slot per kernel_ops.inc line; an op binds its model's set at load and calls
// through it.
#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/embedding.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/half.h"
#include "edgeformer/kernels/isa.h"
#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/pooling.h"
#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/rms_norm.h"

namespace edgeformer::kernels {

struct KernelSet {
  Isa isa = Isa::kScalar;
#define EF_KERNEL_OP(slot, Fn) Fn slot = nullptr;
#include "edgeformer/kernels/kernel_ops.inc"
#undef EF_KERNEL_OP
};

// The set for `isa`; an ISA this build has no variants for gets the nearest lower one.
const KernelSet& kernel_set(Isa isa);

}  // namespace edgeformer::kernels
