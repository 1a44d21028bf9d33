// SwiGLU: y = silu(gate) * up (LLaMA's feed-forward gate).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_swiglu(const OperatorCheck& c) { return c.binary(); }

Status run_swiglu(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& gate = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->swiglu_f32(tensor_data<const float>(s, op.inputs[0]), tensor_data<const float>(s, op.inputs[1]),
                                 s.rows_of(gate, rows) * gate.shape[1], tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kSwiGluOperator = {check_swiglu, run_swiglu};

}  // namespace edgeformer
