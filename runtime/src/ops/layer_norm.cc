// LayerNorm: y [rows, dim] = (x - mean) / sqrt(var + epsilon) * weight + bias.
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_layer_norm(const OperatorCheck& c) {
  if (Status s = c.arity(3, 1); !s.ok()) return s;
  if (Status s = c.positive_epsilon(c.op.def->options_as_LayerNormOptions()->epsilon()); !s.ok()) return s;
  const int x = c.op.inputs[0], y = c.op.outputs[0];
  const int64_t dim = c.columns(x);
  if (!c.is_matrix(x, dim) || !c.is_weight(c.op.inputs[1], schema::DType::F32, {dim}) ||
      !c.is_weight(c.op.inputs[2], schema::DType::F32, {dim}) || !c.is_matrix(y, dim) || !c.same_rows(x, y))
    return c.fail("expects x f32 [rows, dim], weight and bias f32 [dim], y f32 [rows, dim]");
  return Status();
}

Status run_layer_norm(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  s.loaded_->kernels->layer_norm_f32(tensor_data<const float>(s, op.inputs[0]),
                                     static_cast<const float*>(bound_tensor(s, op.inputs[1]).weight_data),
                                     static_cast<const float*>(bound_tensor(s, op.inputs[2]).weight_data),
                                     s.rows_of(x, rows), x.shape[1], op.def->options_as_LayerNormOptions()->epsilon(),
                                     tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kLayerNormOperator = {check_layer_norm, run_layer_norm};

}  // namespace edgeformer
