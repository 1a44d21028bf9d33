// GELU, with the tanh approximation (GPT-2's gelu_new) or exact (erf, BERT's gelu).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_gelu(const OperatorCheck& c) { return c.unary(); }

Status run_gelu(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->gelu_f32(tensor_data<const float>(s, op.inputs[0]), s.rows_of(x, rows) * x.shape[1],
                               op.def->options_as_GeluOptions()->tanh_approximation(),
                               tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kGeluOperator = {check_gelu, run_gelu};

}  // namespace edgeformer
