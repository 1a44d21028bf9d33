// Embedding: y [rows, dim] = table[ids] * scale. Token ids are data: checked where they are read.
#include <cmath>

#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::Storage;

Status check_embedding(const OperatorCheck& c) {
  if (Status s = c.arity(2, 1); !s.ok()) return s;
  const BoundOperator& op = c.op;
  const BoundTensor &table = c.tensor(op.inputs[0]), &ids = c.tensor(op.inputs[1]);
  if (table.storage != Storage::Weight || table.dtype != DType::F32 || table.rank != 2)
    return c.fail("table must be an f32 [vocab, dim] weight");
  if (!std::isfinite(op.def->options_as_EmbeddingOptions()->scale())) return c.fail("scale must be finite");
  if (ids.storage != Storage::Arena || ids.dtype != DType::I32 || ids.rank != 1 ||
      (ids.dynamic_rows && ids.shape[0] != c.entry.max_rows))
    return c.fail("ids must be an i32 [rows] activation");
  const BoundTensor& out = c.tensor(op.outputs[0]);
  if (!c.is_matrix(op.outputs[0], table.shape[1]) || out.dynamic_rows != ids.dynamic_rows ||
      out.shape[0] != ids.shape[0])
    return c.fail("output must be f32 [rows, " + std::to_string(table.shape[1]) + "]");
  return Status();
}

Status run_embedding(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& table = bound_tensor(s, op.inputs[0]);
  const int32_t* ids = tensor_data<const int32_t>(s, op.inputs[1]);
  const size_t vocab = table.shape[0], dim = table.shape[1];
  float* y = tensor_data<float>(s, op.outputs[0]);
  if (!s.loaded_->kernels->embedding_f32(static_cast<const float*>(table.weight_data), vocab, dim, ids, rows, y)) {
    for (size_t i = 0; i < rows; ++i)
      if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= vocab)
        return Status(StatusCode::kOutOfRange, "id " + std::to_string(ids[i]) + " is outside the table " +
                                                   (table.def->name() ? table.def->name()->str() : std::string()) +
                                                   " [0, " + std::to_string(vocab) + ")");
  }
  const float scale = op.def->options_as_EmbeddingOptions()->scale();
  if (scale != 1.0f) s.loaded_->kernels->scale_f32(y, rows * dim, scale, y);
  return Status();
}

}  // namespace

extern const OperatorType kEmbeddingOperator = {check_embedding, run_embedding};

}  // namespace edgeformer
