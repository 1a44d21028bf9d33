// A gated feed-forward's gate: y = f(gate) * up, SwiGLU (silu, LLaMA) or GeGLU (a GELU, Gemma).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::GateActivation;

Status check_swiglu(const OperatorCheck& c) {
  const GateActivation f = c.op.def->options_as_SwiGluOptions()->activation();
  if (f != GateActivation::Silu && f != GateActivation::GeluTanh && f != GateActivation::Gelu)
    return c.fail("unknown gate activation");
  return c.binary();
}

Status run_swiglu(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& gate = bound_tensor(s, op.inputs[0]);
  const kernels::KernelSet& kernels = *s.loaded_->kernels;
  const float* g = tensor_data<const float>(s, op.inputs[0]);
  const float* up = tensor_data<const float>(s, op.inputs[1]);
  float* y = tensor_data<float>(s, op.outputs[0]);
  const size_t count = s.rows_of(gate, rows) * gate.shape[1];
  const GateActivation f = op.def->options_as_SwiGluOptions()->activation();
  if (f == GateActivation::Silu) {
    kernels.swiglu_f32(g, up, count, y);
  } else {
    // In chunks through a buffer that stays in L1: y may alias up, which the GELU must not overwrite first.
    constexpr size_t kChunk = 1024;
    alignas(64) float gelu[kChunk];
    for (size_t i = 0; i < count; i += kChunk) {
      const size_t n = std::min(kChunk, count - i);
      kernels.gelu_f32(g + i, n, f == GateActivation::GeluTanh, gelu);
      kernels.multiply_f32(gelu, up + i, n, y + i);
    }
  }
  return Status();
}

}  // namespace

extern const OperatorType kSwiGluOperator = {check_swiglu, run_swiglu};

}  // namespace edgeformer
