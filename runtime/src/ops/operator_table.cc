#include "ops/operator.h"

#include <cmath>

namespace edgeformer {

#define EF_OPERATOR(options_type, operator_type) extern const OperatorType operator_type;
#include "ops/operators.inc"
#undef EF_OPERATOR

const OperatorType* find_operator_type(schema::OperatorOptions type) {
  switch (type) {
#define EF_OPERATOR(options_type, operator_type) \
  case schema::OperatorOptions::options_type: return &operator_type;
#include "ops/operators.inc"
#undef EF_OPERATOR
    default: return nullptr;
  }
}

Status OperatorCheck::fail(const std::string& what) const {
  return Status(StatusCode::kInvalidModel, prefix_ + what);
}

Status OperatorCheck::arity(size_t inputs, size_t outputs) const {
  if (op.inputs.size() != inputs || op.outputs.size() != outputs)
    return fail("expects " + std::to_string(inputs) + " inputs and " + std::to_string(outputs) + " outputs");
  return Status();
}

bool OperatorCheck::is_matrix(int id, int64_t cols, schema::DType dtype) const {
  const BoundTensor& t = tensors[id];
  if (t.storage != schema::Storage::Arena || t.dtype != dtype || t.rank != 2 || t.shape[1] != cols) return false;
  return !t.dynamic_rows || t.shape[0] == entry.max_rows;
}

bool OperatorCheck::same_rows(int a, int b) const {
  const BoundTensor &x = tensors[a], &y = tensors[b];
  return x.dynamic_rows == y.dynamic_rows && x.shape[0] == y.shape[0];
}

bool OperatorCheck::is_weight(int id, schema::DType dtype, std::initializer_list<int64_t> shape) const {
  const BoundTensor& t = tensors[id];
  if (t.storage != schema::Storage::Weight || t.dtype != dtype || t.rank != static_cast<int>(shape.size()))
    return false;
  int i = 0;
  for (int64_t d : shape)
    if (t.shape[i++] != d) return false;
  return true;
}

bool OperatorCheck::is_row_mask(int id, int like) const {
  const BoundTensor &m = tensors[id], &x = tensors[like];
  return m.storage == schema::Storage::Arena && m.dtype == schema::DType::I32 && m.rank == 1 &&
         m.dynamic_rows == x.dynamic_rows && m.shape[0] == x.shape[0];
}

Status OperatorCheck::unary() const {
  if (Status s = arity(1, 1); !s.ok()) return s;
  const int64_t cols = columns(op.inputs[0]);
  if (!is_matrix(op.inputs[0], cols) || !is_matrix(op.outputs[0], cols) || !same_rows(op.inputs[0], op.outputs[0]))
    return fail("expects x and y, equal f32 matrices");
  return Status();
}

Status OperatorCheck::binary() const {
  if (Status s = arity(2, 1); !s.ok()) return s;
  const int64_t cols = columns(op.inputs[0]);
  for (int id : {op.inputs[0], op.inputs[1], op.outputs[0]})
    if (!is_matrix(id, cols) || !same_rows(id, op.inputs[0])) return fail("operands must be equal f32 matrices");
  return Status();
}

Status OperatorCheck::positive_epsilon(float epsilon) const {
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon)) return fail("epsilon must be positive");
  return Status();
}

}  // namespace edgeformer
