// Activation: y = f(x) for tanh (BERT's pooler), SiLU and ReLU (Marian's feed-forward).
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::ActivationFunction;

Status check_activation(const OperatorCheck& c) {
  const ActivationFunction f = c.op.def->options_as_ActivationOptions()->function();
  if (f != ActivationFunction::Tanh && f != ActivationFunction::Silu && f != ActivationFunction::Relu)
    return c.fail("unknown activation function");
  return c.unary();
}

Status run_activation(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const kernels::KernelSet& k = *s.loaded_->kernels;
  kernels::UnaryF32Fn function = k.tanh_f32;
  switch (op.def->options_as_ActivationOptions()->function()) {
    case ActivationFunction::Silu: function = k.silu_f32; break;
    case ActivationFunction::Relu: function = k.relu_f32; break;
    default: break;
  }
  function(tensor_data<const float>(s, op.inputs[0]), s.rows_of(x, rows) * x.shape[1],
           tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kActivationOperator = {check_activation, run_activation};

}  // namespace edgeformer
