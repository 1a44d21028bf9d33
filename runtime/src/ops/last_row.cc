// LastRow: the last of the rows actually given, x [rows, n] -> y [1, n] (a decoder's logits come from it alone).
#include <cstring>

#include "ops/operator_run.h"

namespace edgeformer {

namespace {

Status check_last_row(const OperatorCheck& c) {
  if (Status s = c.arity(1, 1); !s.ok()) return s;
  const int64_t cols = c.columns(c.op.inputs[0]);
  const BoundTensor& y = c.tensor(c.op.outputs[0]);
  if (!c.is_matrix(c.op.inputs[0], cols) || !c.is_matrix(c.op.outputs[0], cols) || y.dynamic_rows || y.shape[0] != 1)
    return c.fail("expects x [rows, n] and y [1, n]");
  return Status();
}

Status run_last_row(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const size_t x_rows = s.rows_of(x, rows);
  std::memcpy(tensor_data<uint8_t>(s, op.outputs[0]),
              tensor_data<const uint8_t>(s, op.inputs[0]) + (x_rows - 1) * x.row_bytes, x.row_bytes);
  return Status();
}

}  // namespace

extern const OperatorType kLastRowOperator = {check_last_row, run_last_row};

}  // namespace edgeformer
