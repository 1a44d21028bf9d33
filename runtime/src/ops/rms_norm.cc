// RMSNorm: y = x / sqrt(mean(x^2) + epsilon) * weight over each group of a row, x [rows, dim] with a weight of
// [group]: the whole row when group = dim, each head when group is the head size (Qwen3's q and k norms).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_rms_norm(const OperatorCheck& c) {
  if (Status s = c.arity(2, 1); !s.ok()) return s;
  if (Status s = c.positive_epsilon(c.op.def->options_as_RmsNormOptions()->epsilon()); !s.ok()) return s;
  const int x = c.op.inputs[0], y = c.op.outputs[0];
  const int64_t dim = c.columns(x);
  const BoundTensor& weight = c.tensor(c.op.inputs[1]);
  const int64_t group = weight.rank == 1 ? weight.shape[0] : -1;
  if (!c.is_matrix(x, dim) || group < 1 || dim % group != 0 ||
      !c.is_weight(c.op.inputs[1], schema::DType::F32, {group}) || !c.is_matrix(y, dim) || !c.same_rows(x, y))
    return c.fail("expects x f32 [rows, dim], weight f32 [dim] (or [a divisor of dim]: one norm per group), "
                  "y f32 [rows, dim]");
  return Status();
}

Status run_rms_norm(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const BoundTensor& weight = bound_tensor(s, op.inputs[1]);
  const size_t group = static_cast<size_t>(weight.shape[0]);
  // Rows are contiguous, so the groups of all rows are rows * (dim / group) rows of `group`.
  s.loaded_->kernels->rms_norm_f32(tensor_data<const float>(s, op.inputs[0]),
                                   static_cast<const float*>(weight.weight_data),
                                   s.rows_of(x, rows) * (static_cast<size_t>(x.shape[1]) / group), group,
                                   op.def->options_as_RmsNormOptions()->epsilon(),
                                   tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kRmsNormOperator = {check_rms_norm, run_rms_norm};

}  // namespace edgeformer
