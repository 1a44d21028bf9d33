// RMSNorm: y [rows, dim] = x / sqrt(mean(x^2) + epsilon) * weight.
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_rms_norm(const OperatorCheck& c) {
  if (Status s = c.arity(2, 1); !s.ok()) return s;
  if (Status s = c.positive_epsilon(c.op.def->options_as_RmsNormOptions()->epsilon()); !s.ok()) return s;
  const int x = c.op.inputs[0], y = c.op.outputs[0];
  const int64_t dim = c.columns(x);
  if (!c.is_matrix(x, dim) || !c.is_weight(c.op.inputs[1], schema::DType::F32, {dim}) || !c.is_matrix(y, dim) ||
      !c.same_rows(x, y))
    return c.fail("expects x f32 [rows, dim], weight f32 [dim], y f32 [rows, dim]");
  return Status();
}

Status run_rms_norm(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->rms_norm_f32(tensor_data<const float>(s, op.inputs[0]),
                                   static_cast<const float*>(bound_tensor(s, op.inputs[1]).weight_data),
                                   s.rows_of(x, rows), x.shape[1], op.def->options_as_RmsNormOptions()->epsilon(),
                                   tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kRmsNormOperator = {check_rms_norm, run_rms_norm};

}  // namespace edgeformer
