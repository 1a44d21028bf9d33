// Soft-capping: y = cap * tanh(x / cap), which bounds x to (-cap, cap) smoothly (Gemma 2's final logits).
#include <cmath>

#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_soft_cap(const OperatorCheck& c) {
  const float cap = c.op.def->options_as_SoftCapOptions()->cap();
  if (!(cap > 0.0f) || !std::isfinite(cap)) return c.fail("cap must be positive");
  return c.unary();
}

Status run_soft_cap(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const kernels::KernelSet& kernels = *s.loaded_->kernels;
  const float cap = op.def->options_as_SoftCapOptions()->cap();
  const size_t count = s.rows_of(x, rows) * x.shape[1];
  float* y = tensor_data<float>(s, op.outputs[0]);
  kernels.scale_f32(tensor_data<const float>(s, op.inputs[0]), count, 1.0f / cap, y);
  kernels.tanh_f32(y, count, y);
  kernels.scale_f32(y, count, cap, y);
  return Status();
}

}  // namespace

extern const OperatorType kSoftCapOperator = {check_soft_cap, run_soft_cap};

}  // namespace edgeformer
