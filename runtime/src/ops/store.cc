// Store: how an entry leaves results for later calls (an encoder-decoder's cross-attention keys, values and source
// mask). x [rows, n] f32 or [rows] i32 -> the first rows of a state tensor of x's dtype; the rest become zeros.
#include <cstring>

#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::Storage;

Status check_store(const OperatorCheck& c) {
  if (Status s = c.arity(1, 1); !s.ok()) return s;
  const BoundTensor &x = c.tensor(c.op.inputs[0]), &state = c.tensor(c.op.outputs[0]);
  const bool f32_rows = x.dtype == DType::F32 && x.rank == 2 && c.is_matrix(c.op.inputs[0], x.shape[1]);
  const bool i32_rows = x.dtype == DType::I32 && x.rank == 1 && x.storage == Storage::Arena &&
                        (!x.dynamic_rows || x.shape[0] == c.entry.max_rows);
  if (!f32_rows && !i32_rows) return c.fail("x must be an f32 [rows, n] or i32 [rows] activation");
  if (state.storage != Storage::State || state.dtype != x.dtype || state.rank != x.rank ||
      state.shape[0] < x.shape[0] || (x.rank == 2 && state.shape[1] != x.shape[1]))
    return c.fail("the output must be a state tensor of x's dtype and columns with at least x's rows");
  return Status();
}

Status run_store(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const BoundTensor& state = bound_tensor(s, op.outputs[0]);
  const size_t bytes = s.rows_of(x, rows) * x.row_bytes;
  uint8_t* out = s.address(state);
  std::memcpy(out, tensor_data<const uint8_t>(s, op.inputs[0]), bytes);
  std::memset(out + bytes, 0, state.bytes - bytes);
  return Status();
}

}  // namespace

extern const OperatorType kStoreOperator = {check_store, run_store, nullptr, /*writes_state=*/true};

}  // namespace edgeformer
