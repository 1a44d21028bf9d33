// Add: y = a + b (residual connections).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_add(const OperatorCheck& c) { return c.binary(); }

Status run_add(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& a = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->add_f32(tensor_data<const float>(s, op.inputs[0]), tensor_data<const float>(s, op.inputs[1]),
                              s.rows_of(a, rows) * a.shape[1], tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kAddOperator = {check_add, run_add};

}  // namespace edgeformer
