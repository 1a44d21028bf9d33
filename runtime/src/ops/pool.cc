// Pool: one vector of a sequence's rows, x [rows, dim] -> y [1, dim]: the first row (BERT's [CLS]) or the mean of
// the rows whose mask is 1 (sentence-transformers).
#include <cstring>

#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::PoolMode;

Status check_pool(const OperatorCheck& c) {
  if (Status s = c.arity(2, 1); !s.ok()) return s;
  const PoolMode mode = c.op.def->options_as_PoolOptions()->mode();
  if (mode != PoolMode::First && mode != PoolMode::Mean) return c.fail("unknown pooling mode");
  const int x = c.op.inputs[0];
  const int64_t dim = c.columns(x);
  const BoundTensor& y = c.tensor(c.op.outputs[0]);
  if (!c.is_matrix(x, dim) || !c.is_row_mask(c.op.inputs[1], x) || !c.is_matrix(c.op.outputs[0], dim) ||
      y.dynamic_rows || y.shape[0] != 1)
    return c.fail("expects x f32 [rows, dim], mask i32 [rows] and y f32 [1, dim]");
  return Status();
}

Status run_pool(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const size_t n = s.rows_of(x, rows), dim = x.shape[1];
  const float* x_data = tensor_data<const float>(s, op.inputs[0]);
  float* y = tensor_data<float>(s, op.outputs[0]);
  if (op.def->options_as_PoolOptions()->mode() == PoolMode::First) {
    std::memcpy(y, x_data, dim * sizeof(float));
  } else if (!s.loaded_->kernels->mean_pool_f32(x_data, n, dim, tensor_data<const int32_t>(s, op.inputs[1]), y)) {
    return Status(StatusCode::kInvalidArgument, "mask: the sequence has no token to pool");
  }
  return Status();
}

}  // namespace

extern const OperatorType kPoolOperator = {check_pool, run_pool};

}  // namespace edgeformer
