// L2Normalize: each row divided by max(|row|, epsilon) (sentence embeddings).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_l2_normalize(const OperatorCheck& c) {
  if (Status s = c.positive_epsilon(c.op.def->options_as_L2NormalizeOptions()->epsilon()); !s.ok()) return s;
  return c.unary();
}

Status run_l2_normalize(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->l2_normalize_f32(tensor_data<const float>(s, op.inputs[0]), s.rows_of(x, rows), x.shape[1],
                                       op.def->options_as_L2NormalizeOptions()->epsilon(),
                                       tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kL2NormalizeOperator = {check_l2_normalize, run_l2_normalize};

}  // namespace edgeformer
