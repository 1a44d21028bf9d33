// FullyConnected: y [rows, n] = x [rows, k] W^T (+ bias). f32 weights take f32 activations; int8 and int4 weights
// take the rows quantized to int8 on the fly (into the scratch tensor), accumulate in int32 and dequantize.
// Output columns are split over the thread pool.
#include "ops/operator_run.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::Storage;

constexpr size_t kColumnTileAlignment = 16;

size_t column_tile(size_t n, size_t macs, int threads) {
  if (threads <= 1 || macs < kMinParallelMacs) return n;
  const size_t tiles = static_cast<size_t>(threads) * 4;
  const size_t tile = (n + tiles - 1) / tiles;
  return std::max(kColumnTileAlignment, (tile + kColumnTileAlignment - 1) / kColumnTileAlignment * kColumnTileAlignment);
}

int scratch_of(const schema::Operator& def) {
  return def.options_as_FullyConnectedOptions() ? def.options_as_FullyConnectedOptions()->scratch() : -1;
}

Status check_fully_connected(const OperatorCheck& c) {
  const BoundOperator& op = c.op;
  if (op.inputs.size() == 3) {
    // The optional bias: f32 [n].
    const BoundTensor& w = c.tensor(op.inputs[1]);
    if (w.rank != 2 || !c.is_weight(op.inputs[2], DType::F32, {w.shape[0]})) return c.fail("bias must be an f32 [n] weight");
  } else if (Status s = c.arity(2, 1); !s.ok()) {
    return s;
  }
  if (op.outputs.size() != 1) return c.fail("expects 1 output");
  const BoundTensor& w = c.tensor(op.inputs[1]);
  if (w.storage != Storage::Weight || w.rank != 2 || (w.dtype != DType::F32 && w.dtype != DType::I8 && w.dtype != DType::I4))
    return c.fail("weight must be a 2-D f32, int8 or int4 weight");
  const int64_t n = w.shape[0], k = w.shape[1];
  if (!c.is_matrix(op.inputs[0], k) || !c.is_matrix(op.outputs[0], n) || !c.same_rows(op.inputs[0], op.outputs[0]))
    return c.fail("expects x [rows, " + std::to_string(k) + "] and y [rows, " + std::to_string(n) + "]");
  if (w.dtype != DType::F32) {
    if (w.scales == nullptr && w.half_scales == nullptr) return c.fail("quantized weight without scales");
    const int scratch = op.scratch;
    if (scratch < 0 || scratch >= static_cast<int>(c.tensors.size())) return c.fail("quantized weight needs a scratch");
    const BoundTensor& s = c.tensor(scratch);
    const uint64_t rows = static_cast<uint64_t>(c.tensor(op.inputs[0]).shape[0]);
    if (s.storage != Storage::Arena || s.dynamic_rows || s.bytes < rows * (static_cast<uint64_t>(k) + 4))
      return c.fail("scratch must be a fixed arena tensor of at least rows * (k + 4) bytes");
  }
  return Status();
}

struct FullyConnectedTask {
  enum class Kind { kF32, kInt8, kInt4 } kind;
  kernels::FullyConnectedF32Args f32;
  kernels::FullyConnectedQ8Args q8;
  kernels::FullyConnectedQ4Args q4;
  const kernels::KernelSet* kernels;
  static void run(void* context, size_t begin, size_t count) {
    auto* task = static_cast<FullyConnectedTask*>(context);
    switch (task->kind) {
      case Kind::kF32: return task->kernels->fully_connected_f32(task->f32, begin, begin + count);
      case Kind::kInt8: return task->kernels->fully_connected_q8(task->q8, begin, begin + count);
      case Kind::kInt4: return task->kernels->fully_connected_q4(task->q4, begin, begin + count);
    }
  }
};

Status run_fully_connected(SessionImpl& s, const BoundOperator& op, size_t rows) {
  const BoundTensor& x = bound_tensor(s, op.inputs[0]);
  const BoundTensor& w = bound_tensor(s, op.inputs[1]);
  const size_t m = s.rows_of(x, rows), n = w.shape[0], k = w.shape[1];
  const float* x_data = tensor_data<const float>(s, op.inputs[0]);
  float* y = tensor_data<float>(s, op.outputs[0]);
  const kernels::KernelSet& kernels = *s.loaded_->kernels;
  FullyConnectedTask task{};
  task.kernels = &kernels;
  if (w.dtype == DType::F32) {
    task.kind = FullyConnectedTask::Kind::kF32;
    task.f32 = {x_data, k, static_cast<const float*>(w.weight_data), y, n, m, k, n};
  } else {
    // Scratch: the rows' scales (f32, at the aligned start), then the int8 rows.
    uint8_t* scratch = s.address(bound_tensor(s, op.scratch));
    float* x_scale = reinterpret_cast<float*>(scratch);
    int8_t* xq = reinterpret_cast<int8_t*>(scratch + sizeof(float) * x.shape[0]);
    kernels.quantize_rows_q8(x_data, k, m, k, xq, x_scale);
    if (w.dtype == DType::I8) {
      task.kind = FullyConnectedTask::Kind::kInt8;
      task.q8 = {xq, x_scale, static_cast<const int8_t*>(w.weight_data), w.scales, y, n, m, k, n, w.row_sums};
    } else {
      task.kind = FullyConnectedTask::Kind::kInt4;
      task.q4 = {xq, x_scale, static_cast<const uint8_t*>(w.weight_data), w.half_scales, y, n, m, k, n};
    }
  }
  s.pool_.parallel_tiles(n, column_tile(n, m * n * k, s.pool_.threads()), &FullyConnectedTask::run, &task);
  if (op.inputs.size() == 3) {
    const float* bias = static_cast<const float*>(bound_tensor(s, op.inputs[2]).weight_data);
    for (size_t r = 0; r < m; ++r) kernels.add_f32(y + r * n, bias, n, y + r * n);
  }
  return Status();
}

}  // namespace

extern const OperatorType kFullyConnectedOperator = {check_fully_connected, run_fully_connected, scratch_of};

}  // namespace edgeformer
