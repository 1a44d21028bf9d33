// PositionEmbedding: learned absolute positions (GPT-2, BERT, Marian), y = x + table[position + row]; the position
// input is absent (0) for encoders.
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::Storage;

Status check_position_embedding(const OperatorCheck& c) {
  const BoundOperator& op = c.op;
  if (op.inputs.size() != 2) {
    if (Status s = c.arity(3, 1); !s.ok()) return s;
    const BoundTensor& position = c.tensor(op.inputs[2]);
    if (position.storage != Storage::Arena || position.dtype != DType::I32 || position.rank != 1 ||
        position.shape[0] != 1 || position.dynamic_rows)
      return c.fail("position must be an i32 [1] activation");
  } else if (op.outputs.size() != 1) {
    return c.fail("expects 1 output");
  }
  const BoundTensor& table = c.tensor(op.inputs[1]);
  const int64_t dim = c.columns(op.inputs[0]);
  if (table.storage != Storage::Weight || table.dtype != DType::F32 || table.rank != 2 || table.shape[1] != dim)
    return c.fail("table must be an f32 [positions, dim] weight");
  if (!c.is_matrix(op.inputs[0], dim) || !c.is_matrix(op.outputs[0], dim) || !c.same_rows(op.inputs[0], op.outputs[0]))
    return c.fail("expects x and y f32 [rows, " + std::to_string(dim) + "]");
  return Status();
}

Status run_position_embedding(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const BoundTensor& table = bound_tensor(s, op.inputs[1]);
  const size_t n = s.rows_of(x, rows), dim = x.shape[1], positions = table.shape[0];
  const int32_t position = op.inputs.size() == 3 ? *tensor_data<const int32_t>(s, op.inputs[2]) : 0;
  if (position < 0 || static_cast<size_t>(position) > positions || n > positions - static_cast<size_t>(position))
    return Status(StatusCode::kOutOfRange, "positions " + std::to_string(position) + ".." +
                                               std::to_string(int64_t(position) + int64_t(n) - 1) +
                                               " are past the model's " + std::to_string(positions) + " positions");
  const float* rows_of_table = static_cast<const float*>(table.weight_data) + static_cast<size_t>(position) * dim;
  s.loaded_->kernels->add_f32(tensor_data<const float>(s, op.inputs[0]), rows_of_table, n * dim,
                              tensor_data<float>(s, op.outputs[0]));
  return Status();
}

}  // namespace

extern const OperatorType kPositionEmbeddingOperator = {check_position_embedding, run_position_embedding};

}  // namespace edgeformer
