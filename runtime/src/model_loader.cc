// Loading = FlatBuffers verification + semantic validation + binding. Everything a kernel relies on (ids, shapes,
// dtypes, offsets inside the file / arena / state, non-overlapping live tensors) is checked here, once, so that
// running never needs to check it again.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/schema/operator_name.h"
#include "model_impl.h"

namespace edgeformer {

namespace {

using schema::DType;
using schema::OperatorOptions;
using schema::Storage;

constexpr uint32_t kFormatVersion = 2;
constexpr uint64_t kAlignment = 64;
// Far above any device and far below overflow. On 32-bit targets every size must also fit size_t with room to
// round up (the kernels index with size_t): a dimension or a tensor over 2 GiB could not be mapped there anyway.
constexpr bool kWideAddresses = sizeof(size_t) >= 8;
constexpr int64_t kMaxDimension = kWideAddresses ? int64_t{1} << 32 : int64_t{1} << 31;
constexpr uint64_t kMaxBytes = kWideAddresses ? uint64_t{1} << 48 : uint64_t{1} << 31;
constexpr size_t kMaxTensors = size_t{1} << 22;

Status invalid(std::string message) { return Status(StatusCode::kInvalidModel, std::move(message)); }

uint64_t dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::I8: return 1;
    case DType::I32: return 4;
    case DType::F16: return 2;
    case DType::I4: return 1;  // a placeholder: int4 weights are sized by their packing
  }
  return 0;
}

std::string tensor_label(const BoundTensor& t, int id) {
  std::string label = "tensor " + std::to_string(id);
  if (t.def && t.def->name()) label += " '" + t.def->name()->str() + "'";
  return label;
}

Status bind_tensor(const schema::Model& m, size_t file_size, int id, BoundTensor* t) {
  const schema::Tensor* def = m.tensors()->Get(id);
  t->def = def;
  t->dtype = def->dtype();
  t->storage = def->storage();
  t->offset = def->offset();
  t->dynamic_rows = def->dynamic_rows();
  const std::string label = tensor_label(*t, id);
  const uint64_t element = dtype_bytes(t->dtype);
  if (element == 0) return invalid(label + ": unknown dtype " + std::to_string(int(t->dtype)));
  if (!def->shape() || def->shape()->size() == 0 || def->shape()->size() > kMaxRank)
    return invalid(label + ": rank must be 1.." + std::to_string(kMaxRank));
  // The Verifier checks a vector's length field, not the alignment of 8-byte elements: a hostile file could
  // place them where reading them is undefined behaviour.
  if (reinterpret_cast<uintptr_t>(def->shape()->Data()) % alignof(int64_t) != 0)
    return invalid(label + ": shape is misaligned");
  t->rank = static_cast<int>(def->shape()->size());
  uint64_t count = 1;
  for (int i = 0; i < t->rank; ++i) {
    const int64_t d = def->shape()->Get(i);
    if (d < 1 || d > kMaxDimension)
      return invalid(label + ": dimension " + std::to_string(i) + " is " + std::to_string(d));
    t->shape[i] = d;
    // Checked before multiplying: the product of absurd dimensions must not wrap around.
    if (count > kMaxBytes / static_cast<uint64_t>(d)) return invalid(label + ": shape is too large");
    count *= static_cast<uint64_t>(d);
  }
  if (count > kMaxBytes / element) return invalid(label + ": byte size is too large");
  t->bytes = count * element;
  if (t->dtype == DType::I4 && t->storage != Storage::Weight) return invalid(label + ": int4 tensors can only be weights");
  if (t->dtype == DType::F16 && t->storage == Storage::Arena)
    return invalid(label + ": f16 tensors can only be weights or KV caches");
  if (t->dtype == DType::I4 && (def->quantization() != schema::Quantization::GroupSymmetricI4 || t->rank != 2))
    return invalid(label + ": an int4 tensor must be a 2-D GroupSymmetricI4 weight");
  // Packed weights (int8_packing.h, int4_packing.h) are padded: their size, overflow-checked.
  if (t->rank == 2 && ((def->quantization() == schema::Quantization::PerRowSymmetricI8 && t->dtype == DType::I8) ||
                       t->dtype == DType::I4)) {
    const bool int4 = t->dtype == DType::I4;
    const uint64_t n = static_cast<uint64_t>(t->shape[0]), k = static_cast<uint64_t>(t->shape[1]);
    const uint64_t blocks = int4 ? kernels::int4_packed_blocks(n) : kernels::int8_packed_blocks(n);
    const uint64_t group_bytes = int4 ? kernels::int4_packed_groups(k) * kernels::kInt4GroupBytes
                                      : kernels::int8_packed_groups(k) * kernels::kInt8GroupBytes;
    if (group_bytes > kMaxBytes / blocks) return invalid(label + ": packed byte size is too large");
    t->bytes = blocks * group_bytes;
  }
  t->row_bytes = t->bytes / static_cast<uint64_t>(t->shape[0]);
  if (t->offset % kAlignment != 0) return invalid(label + ": offset " + std::to_string(t->offset) + " is not 64-byte aligned");
  switch (t->storage) {
    case Storage::Weight:
      if (t->dynamic_rows) return invalid(label + ": a weight cannot have dynamic rows");
      if (t->offset < m.weights_offset() || t->offset > file_size || t->bytes > file_size - t->offset)
        return invalid(label + ": weight bytes [" + std::to_string(t->offset) + ", +" + std::to_string(t->bytes) +
                       ") lie outside the weight segment of a " + std::to_string(file_size) + "-byte file");
      break;
    case Storage::Arena:
      if (t->offset > m.arena_bytes() || t->bytes > m.arena_bytes() - t->offset)
        return invalid(label + ": arena bytes [" + std::to_string(t->offset) + ", +" + std::to_string(t->bytes) +
                       ") lie outside the " + std::to_string(m.arena_bytes()) + "-byte arena");
      break;
    case Storage::State:
      if (t->dynamic_rows) return invalid(label + ": state cannot have dynamic rows");
      if (t->offset > m.state_bytes() || t->bytes > m.state_bytes() - t->offset)
        return invalid(label + ": state bytes lie outside the " + std::to_string(m.state_bytes()) + "-byte state");
      break;
    default:
      return invalid(label + ": unknown storage " + std::to_string(int(t->storage)));
  }
  return Status();
}

Status bind_int4_scales(const schema::Model& m, const uint8_t* file, const std::string& label,
                        const std::vector<BoundTensor>& tensors, BoundTensor& t) {
  if (t.storage != Storage::Weight || t.dtype != DType::I4 || t.rank != 2)
    return invalid(label + ": group-wise int4 quantization needs a 2-D int4 weight");
  const int scales = t.def->scales();
  if (scales < 0 || scales >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": scales id " + std::to_string(scales) + " is out of range");
  const BoundTensor& s = tensors[scales];
  const uint64_t n = static_cast<uint64_t>(t.shape[0]), k = static_cast<uint64_t>(t.shape[1]);
  const int64_t want[3] = {static_cast<int64_t>(kernels::int4_packed_blocks(n)),
                           static_cast<int64_t>(kernels::int4_packed_groups(k)),
                           static_cast<int64_t>(kernels::kInt4BlockChannels)};
  if (s.storage != Storage::Weight || s.dtype != DType::F16 || s.rank != 3 || s.shape[0] != want[0] ||
      s.shape[1] != want[1] || s.shape[2] != want[2])
    return invalid(label + ": scales must be an f16 weight of [" + std::to_string(want[0]) + ", " +
                   std::to_string(want[1]) + ", " + std::to_string(want[2]) + "]");
  t.half_scales = reinterpret_cast<const uint16_t*>(file + s.offset);
  return Status();
}

Status bind_quantization(const schema::Model& m, const uint8_t* file, int id, std::vector<BoundTensor>& tensors) {
  BoundTensor& t = tensors[id];
  const std::string label = tensor_label(t, id);
  const schema::Quantization q = t.def->quantization();
  if (t.storage == Storage::Weight) t.weight_data = file + t.offset;
  if (q == schema::Quantization::None) {
    if (t.storage == Storage::Weight && t.dtype == DType::I8)
      return invalid(label + ": int8 weights need a quantization");
    return Status();
  }
  if (q == schema::Quantization::GroupSymmetricI4) return bind_int4_scales(m, file, label, tensors, t);
  if (q != schema::Quantization::PerRowSymmetricI8) return invalid(label + ": unknown quantization");
  const int scales = t.def->scales();
  if (t.storage != Storage::Weight || t.dtype != DType::I8 || t.rank != 2)
    return invalid(label + ": per-row int8 quantization needs a 2-D int8 weight");
  if (scales < 0 || scales >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": scales id " + std::to_string(scales) + " is out of range");
  const BoundTensor& s = tensors[scales];
  if (s.storage != Storage::Weight || s.dtype != DType::F32 || s.rank != 1 || s.shape[0] != t.shape[0])
    return invalid(label + ": scales must be an f32 weight of [" + std::to_string(t.shape[0]) + "]");
  t.scales = reinterpret_cast<const float*>(file + s.offset);
  const int row_sums = t.def->row_sums();
  if (row_sums == -1) return invalid(label + ": int8 weights need their row sums");
  if (row_sums < 0 || row_sums >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": row sums id " + std::to_string(row_sums) + " is out of range");
  const BoundTensor& sums = tensors[row_sums];
  if (sums.storage != Storage::Weight || sums.dtype != DType::I32 || sums.rank != 1 || sums.shape[0] != t.shape[0])
    return invalid(label + ": row sums must be an i32 weight of [" + std::to_string(t.shape[0]) + "]");
  // Not checked against the codes: that would read every weight at load. Wrong sums give wrong outputs (as
  // wrong weights do), never an access outside the file.
  t.row_sums = reinterpret_cast<const int32_t*>(file + sums.offset);
  return Status();
}

// Op-level checks: every operator's tensors have the dtypes, storages and shapes its kernel assumes.
class OperatorChecker {
 public:
  OperatorChecker(const std::vector<BoundTensor>& tensors, const BoundEntry& entry)
      : tensors_(tensors), entry_(entry) {}

  Status check(const BoundOperator& op, size_t index) {
    prefix_ = "entry '" + entry_.name + "' operator " + std::to_string(index) + " (" +
              schema::operator_name(op.type) + "): ";
    switch (op.type) {
      case OperatorOptions::EmbeddingOptions: return check_embedding(op);
      case OperatorOptions::RmsNormOptions: return check_rms_norm(op);
      case OperatorOptions::FullyConnectedOptions: return check_fully_connected(op);
      case OperatorOptions::AttentionOptions: return check_attention(op);
      case OperatorOptions::SwiGluOptions:
      case OperatorOptions::AddOptions: return check_elementwise(op);
      case OperatorOptions::LastRowOptions: return check_last_row(op);
      case OperatorOptions::LayerNormOptions: return check_layer_norm(op);
      case OperatorOptions::GeluOptions: return check_unary(op);
      case OperatorOptions::ActivationOptions: return check_activation(op);
      case OperatorOptions::StoreOptions: return check_store(op);
      case OperatorOptions::PositionEmbeddingOptions: return check_position_embedding(op);
      case OperatorOptions::PoolOptions: return check_pool(op);
      case OperatorOptions::L2NormalizeOptions: return check_l2_normalize(op);
      default: return invalid(prefix_ + "unknown operator type");
    }
  }

 private:
  Status fail(const std::string& what) const { return invalid(prefix_ + what); }

  Status arity(const BoundOperator& op, size_t inputs, size_t outputs) const {
    if (op.inputs.size() != inputs || op.outputs.size() != outputs)
      return fail("expects " + std::to_string(inputs) + " inputs and " + std::to_string(outputs) + " outputs");
    return Status();
  }

  // An activation of [rows, cols] in f32 (or `dtype`) whose rows are the entry's dynamic rows or a fixed count.
  bool is_matrix(int id, int64_t cols, DType dtype = DType::F32) const {
    const BoundTensor& t = tensors_[id];
    if (t.storage != Storage::Arena || t.dtype != dtype || t.rank != 2 || t.shape[1] != cols) return false;
    return !t.dynamic_rows || t.shape[0] == entry_.max_rows;
  }
  bool same_rows(int a, int b) const {
    const BoundTensor &x = tensors_[a], &y = tensors_[b];
    return x.dynamic_rows == y.dynamic_rows && x.shape[0] == y.shape[0];
  }
  bool is_weight(int id, DType dtype, std::initializer_list<int64_t> shape) const {
    const BoundTensor& t = tensors_[id];
    if (t.storage != Storage::Weight || t.dtype != dtype || t.rank != static_cast<int>(shape.size())) return false;
    int i = 0;
    for (int64_t d : shape)
      if (t.shape[i++] != d) return false;
    return true;
  }

  Status check_embedding(const BoundOperator& op) {
    if (Status s = arity(op, 2, 1); !s.ok()) return s;
    const BoundTensor &table = tensors_[op.inputs[0]], &ids = tensors_[op.inputs[1]];
    if (table.storage != Storage::Weight || table.dtype != DType::F32 || table.rank != 2)
      return fail("table must be an f32 [vocab, dim] weight");
    if (!std::isfinite(op.def->options_as_EmbeddingOptions()->scale())) return fail("scale must be finite");
    if (ids.storage != Storage::Arena || ids.dtype != DType::I32 || ids.rank != 1 ||
        (ids.dynamic_rows && ids.shape[0] != entry_.max_rows))
      return fail("ids must be an i32 [rows] activation");
    const BoundTensor& out = tensors_[op.outputs[0]];
    if (!is_matrix(op.outputs[0], table.shape[1]) || out.dynamic_rows != ids.dynamic_rows ||
        out.shape[0] != ids.shape[0])
      return fail("output must be f32 [rows, " + std::to_string(table.shape[1]) + "]");
    return Status();
  }

  Status check_rms_norm(const BoundOperator& op) {
    if (Status s = arity(op, 2, 1); !s.ok()) return s;
    const float eps = op.def->options_as_RmsNormOptions()->epsilon();
    if (!(eps > 0.0f) || !std::isfinite(eps)) return fail("epsilon must be positive");
    const int64_t dim = tensors_[op.inputs[0]].rank == 2 ? tensors_[op.inputs[0]].shape[1] : -1;
    if (!is_matrix(op.inputs[0], dim) || !is_weight(op.inputs[1], DType::F32, {dim}) ||
        !is_matrix(op.outputs[0], dim) || !same_rows(op.inputs[0], op.outputs[0]))
      return fail("expects x f32 [rows, dim], weight f32 [dim], y f32 [rows, dim]");
    return Status();
  }

  Status check_layer_norm(const BoundOperator& op) {
    if (Status s = arity(op, 3, 1); !s.ok()) return s;
    const float eps = op.def->options_as_LayerNormOptions()->epsilon();
    if (!(eps > 0.0f) || !std::isfinite(eps)) return fail("epsilon must be positive");
    const int64_t dim = tensors_[op.inputs[0]].rank == 2 ? tensors_[op.inputs[0]].shape[1] : -1;
    if (!is_matrix(op.inputs[0], dim) || !is_weight(op.inputs[1], DType::F32, {dim}) ||
        !is_weight(op.inputs[2], DType::F32, {dim}) || !is_matrix(op.outputs[0], dim) ||
        !same_rows(op.inputs[0], op.outputs[0]))
      return fail("expects x f32 [rows, dim], weight and bias f32 [dim], y f32 [rows, dim]");
    return Status();
  }

  // An i32 [rows] activation with the same rows as activation `like`.
  bool is_row_mask(int id, int like) const {
    const BoundTensor &m = tensors_[id], &x = tensors_[like];
    return m.storage == Storage::Arena && m.dtype == DType::I32 && m.rank == 1 && m.dynamic_rows == x.dynamic_rows &&
           m.shape[0] == x.shape[0];
  }

  Status check_unary(const BoundOperator& op) {
    if (Status s = arity(op, 1, 1); !s.ok()) return s;
    const int64_t cols = tensors_[op.inputs[0]].rank == 2 ? tensors_[op.inputs[0]].shape[1] : -1;
    if (!is_matrix(op.inputs[0], cols) || !is_matrix(op.outputs[0], cols) || !same_rows(op.inputs[0], op.outputs[0]))
      return fail("expects x and y, equal f32 matrices");
    return Status();
  }

  Status check_activation(const BoundOperator& op) {
    const schema::ActivationFunction f = op.def->options_as_ActivationOptions()->function();
    if (f != schema::ActivationFunction::Tanh && f != schema::ActivationFunction::Silu &&
        f != schema::ActivationFunction::Relu)
      return fail("unknown activation function");
    return check_unary(op);
  }

  Status check_store(const BoundOperator& op) {
    if (Status s = arity(op, 1, 1); !s.ok()) return s;
    const BoundTensor &x = tensors_[op.inputs[0]], &state = tensors_[op.outputs[0]];
    const bool f32_rows = x.dtype == DType::F32 && x.rank == 2 && is_matrix(op.inputs[0], x.shape[1]);
    const bool i32_rows = x.dtype == DType::I32 && x.rank == 1 && x.storage == Storage::Arena &&
                          (!x.dynamic_rows || x.shape[0] == entry_.max_rows);
    if (!f32_rows && !i32_rows) return fail("x must be an f32 [rows, n] or i32 [rows] activation");
    if (state.storage != Storage::State || state.dtype != x.dtype || state.rank != x.rank ||
        state.shape[0] < x.shape[0] || (x.rank == 2 && state.shape[1] != x.shape[1]))
      return fail("the output must be a state tensor of x's dtype and columns with at least x's rows");
    return Status();
  }

  Status check_pool(const BoundOperator& op) {
    if (Status s = arity(op, 2, 1); !s.ok()) return s;
    const schema::PoolMode mode = op.def->options_as_PoolOptions()->mode();
    if (mode != schema::PoolMode::First && mode != schema::PoolMode::Mean) return fail("unknown pooling mode");
    const int64_t dim = tensors_[op.inputs[0]].rank == 2 ? tensors_[op.inputs[0]].shape[1] : -1;
    const BoundTensor& y = tensors_[op.outputs[0]];
    if (!is_matrix(op.inputs[0], dim) || !is_row_mask(op.inputs[1], op.inputs[0]) || !is_matrix(op.outputs[0], dim) ||
        y.dynamic_rows || y.shape[0] != 1)
      return fail("expects x f32 [rows, dim], mask i32 [rows] and y f32 [1, dim]");
    return Status();
  }

  Status check_l2_normalize(const BoundOperator& op) {
    const float eps = op.def->options_as_L2NormalizeOptions()->epsilon();
    if (!(eps > 0.0f) || !std::isfinite(eps)) return fail("epsilon must be positive");
    return check_unary(op);
  }

  Status check_position_embedding(const BoundOperator& op) {
    if (op.inputs.size() != 2) {
      if (Status s = arity(op, 3, 1); !s.ok()) return s;
      const BoundTensor& position = tensors_[op.inputs[2]];
      if (position.storage != Storage::Arena || position.dtype != DType::I32 || position.rank != 1 ||
          position.shape[0] != 1 || position.dynamic_rows)
        return fail("position must be an i32 [1] activation");
    } else if (op.outputs.size() != 1) {
      return fail("expects 1 output");
    }
    const BoundTensor& table = tensors_[op.inputs[1]];
    const int64_t dim = tensors_[op.inputs[0]].rank == 2 ? tensors_[op.inputs[0]].shape[1] : -1;
    if (table.storage != Storage::Weight || table.dtype != DType::F32 || table.rank != 2 || table.shape[1] != dim)
      return fail("table must be an f32 [positions, dim] weight");
    if (!is_matrix(op.inputs[0], dim) || !is_matrix(op.outputs[0], dim) || !same_rows(op.inputs[0], op.outputs[0]))
      return fail("expects x and y f32 [rows, " + std::to_string(dim) + "]");
    return Status();
  }

  Status check_fully_connected(const BoundOperator& op) {
    if (op.inputs.size() == 3) {
      // The optional bias: f32 [n].
      const BoundTensor& w = tensors_[op.inputs[1]];
      if (w.rank != 2 || !is_weight(op.inputs[2], DType::F32, {w.shape[0]}))
        return fail("bias must be an f32 [n] weight");
    } else if (Status s = arity(op, 2, 1); !s.ok()) {
      return s;
    }
    if (op.outputs.size() != 1) return fail("expects 1 output");
    const BoundTensor& w = tensors_[op.inputs[1]];
    if (w.storage != Storage::Weight || w.rank != 2 ||
        (w.dtype != DType::F32 && w.dtype != DType::I8 && w.dtype != DType::I4))
      return fail("weight must be a 2-D f32, int8 or int4 weight");
    const int64_t n = w.shape[0], k = w.shape[1];
    if (!is_matrix(op.inputs[0], k) || !is_matrix(op.outputs[0], n) || !same_rows(op.inputs[0], op.outputs[0]))
      return fail("expects x [rows, " + std::to_string(k) + "] and y [rows, " + std::to_string(n) + "]");
    if (w.dtype != DType::F32) {
      if (w.scales == nullptr && w.half_scales == nullptr) return fail("quantized weight without scales");
      const int scratch = op.scratch;
      if (scratch < 0 || scratch >= static_cast<int>(tensors_.size())) return fail("quantized weight needs a scratch");
      const BoundTensor& s = tensors_[scratch];
      const uint64_t rows = static_cast<uint64_t>(tensors_[op.inputs[0]].shape[0]);
      if (s.storage != Storage::Arena || s.dynamic_rows || s.bytes < rows * (static_cast<uint64_t>(k) + 4))
        return fail("scratch must be a fixed arena tensor of at least rows * (k + 4) bytes");
    }
    return Status();
  }

  Status check_attention(const BoundOperator& op) {
    if (Status s = arity(op, 4, 1); !s.ok()) return s;
    const schema::AttentionOptions* a = op.def->options_as_AttentionOptions();
    const int heads = a->heads(), kv_heads = a->kv_heads(), head_dim = a->head_dim();
    if (heads < 1 || kv_heads < 1 || heads % kv_heads != 0 || head_dim < 2 || head_dim % 2 != 0 ||
        heads > 4096 || head_dim > 4096)
      return fail("heads " + std::to_string(heads) + ", kv heads " + std::to_string(kv_heads) + ", head dim " +
                  std::to_string(head_dim) + ": heads must be a multiple of kv heads and head dim even");
    if (a->rope_style() != schema::RopeStyle::Interleaved && a->rope_style() != schema::RopeStyle::Half &&
        a->rope_style() != schema::RopeStyle::None)
      return fail("unknown rope style");
    if (a->rope_style() != schema::RopeStyle::None && (!(a->rope_theta() > 0.0f) || !std::isfinite(a->rope_theta())))
      return fail("rope_theta must be positive");
    const int64_t q_dim = int64_t{heads} * head_dim, kv_dim = int64_t{kv_heads} * head_dim;
    const int q = op.inputs[0], k = op.inputs[1], v = op.inputs[2], position = op.inputs[3];
    if (!is_matrix(q, q_dim) || !is_matrix(op.outputs[0], q_dim) || !same_rows(q, op.outputs[0]))
      return fail("expects q and out [rows, " + std::to_string(q_dim) + "]");
    const bool cross = !a->causal() && tensors_[k].storage == Storage::State;
    if (!cross && (!is_matrix(k, kv_dim) || !is_matrix(v, kv_dim) || !same_rows(q, k) || !same_rows(q, v)))
      return fail("expects q/out [rows, " + std::to_string(q_dim) + "] and k/v [rows, " + std::to_string(kv_dim) +
                  "]");
    if (!a->causal()) {
      if (a->k_cache() != -1 || a->v_cache() != -1 || a->k_scales() != -1 || a->v_scales() != -1)
        return fail("bidirectional attention has no KV cache");
      if (cross) return check_cross_attention(op, kv_dim);
      if (!is_row_mask(op.inputs[3], q)) return fail("bidirectional attention's mask must be an i32 [rows] activation");
      return Status();
    }
    const BoundTensor& pos = tensors_[position];
    if (pos.storage != Storage::Arena || pos.dtype != DType::I32 || pos.rank != 1 || pos.shape[0] != 1 ||
        pos.dynamic_rows)
      return fail("position must be an i32 [1] activation");
    const int n = static_cast<int>(tensors_.size());
    if (a->k_cache() < 0 || a->k_cache() >= n || a->v_cache() < 0 || a->v_cache() >= n ||
        a->k_cache() == a->v_cache())
      return fail("KV-cache ids out of range");
    const DType cache_dtype = tensors_[a->k_cache()].dtype;
    for (int cache : {a->k_cache(), a->v_cache()}) {
      const BoundTensor& c = tensors_[cache];
      if (c.storage != Storage::State || c.dtype != cache_dtype || c.rank != 2 || c.shape[1] != kv_dim ||
          (cache_dtype != DType::F32 && cache_dtype != DType::F16 && cache_dtype != DType::I8))
        return fail("KV caches must be f32, f16 or int8 state [context, " + std::to_string(kv_dim) +
                    "], both of one type");
    }
    const int64_t context = tensors_[a->k_cache()].shape[0];
    if (tensors_[a->v_cache()].shape[0] != context) return fail("K and V caches differ in length");
    const bool int8 = cache_dtype == DType::I8;
    for (int scales : {a->k_scales(), a->v_scales()}) {
      if (!int8) {
        if (scales != -1) return fail("only int8 KV caches have scales");
        continue;
      }
      if (scales < 0 || scales >= n) return fail("int8 KV caches need scale ids in range");
      const BoundTensor& s = tensors_[scales];
      if (s.storage != Storage::State || s.dtype != DType::F32 || s.rank != 2 || s.shape[0] != context ||
          s.shape[1] != kv_heads)
        return fail("KV-cache scales must be f32 state [" + std::to_string(context) + ", " +
                    std::to_string(kv_heads) + "]");
    }
    if (int8 && a->k_scales() == a->v_scales()) return fail("K and V caches share their scales");
    return Status();
  }

  // Cross-attention over a stored source: k and v f32 state [keys, kv_dim], the mask i32 state [keys].
  Status check_cross_attention(const BoundOperator& op, int64_t kv_dim) {
    const schema::AttentionOptions* a = op.def->options_as_AttentionOptions();
    const BoundTensor &k = tensors_[op.inputs[1]], &v = tensors_[op.inputs[2]], &mask = tensors_[op.inputs[3]];
    for (const BoundTensor* t : {&k, &v})
      if (t->storage != Storage::State || t->dtype != DType::F32 || t->rank != 2 || t->shape[1] != kv_dim ||
          t->shape[0] != k.shape[0])
        return fail("cross-attention keys and values must be f32 state [keys, " + std::to_string(kv_dim) + "]");
    if (mask.storage != Storage::State || mask.dtype != DType::I32 || mask.rank != 1 || mask.shape[0] != k.shape[0])
      return fail("cross-attention's mask must be an i32 state [" + std::to_string(k.shape[0]) + "]");
    if (a->rope_style() != schema::RopeStyle::None) return fail("cross-attention takes no rotary embedding");
    return Status();
  }

  Status check_elementwise(const BoundOperator& op) {
    if (Status s = arity(op, 2, 1); !s.ok()) return s;
    const BoundTensor& a = tensors_[op.inputs[0]];
    const int64_t cols = a.rank == 2 ? a.shape[1] : -1;
    for (int id : {op.inputs[0], op.inputs[1], op.outputs[0]})
      if (!is_matrix(id, cols) || !same_rows(id, op.inputs[0])) return fail("operands must be equal f32 matrices");
    return Status();
  }

  Status check_last_row(const BoundOperator& op) {
    if (Status s = arity(op, 1, 1); !s.ok()) return s;
    const BoundTensor& x = tensors_[op.inputs[0]];
    const int64_t cols = x.rank == 2 ? x.shape[1] : -1;
    const BoundTensor& y = tensors_[op.outputs[0]];
    if (!is_matrix(op.inputs[0], cols) || !is_matrix(op.outputs[0], cols) || y.dynamic_rows || y.shape[0] != 1)
      return fail("expects x [rows, n] and y [1, n]");
    return Status();
  }

  const std::vector<BoundTensor>& tensors_;
  const BoundEntry& entry_;
  std::string prefix_;
};

// The memory plan: within the entry's arena, and no two tensors that are live at the same time overlap.
Status check_plan(const std::vector<BoundTensor>& tensors, const BoundEntry& entry) {
  struct Interval {
    uint64_t begin, end;
    int first, last, id;
  };
  std::map<int, Interval> live;
  auto touch = [&](int id, int op) {
    const BoundTensor& t = tensors[id];
    if (t.storage != Storage::Arena) return;
    auto [it, inserted] = live.try_emplace(id, Interval{t.offset, t.offset + t.bytes, op, op, id});
    it->second.first = std::min(it->second.first, op);
    it->second.last = std::max(it->second.last, op);
  };
  const int last = static_cast<int>(entry.operators.size()) - 1;
  for (int id : entry.inputs) touch(id, 0);
  for (int i = 0; i <= last; ++i) {
    for (int id : entry.operators[i].inputs) touch(id, i);
    for (int id : entry.operators[i].outputs) touch(id, i);
    if (entry.operators[i].scratch >= 0) touch(entry.operators[i].scratch, i);
  }
  for (int id : entry.outputs) touch(id, last);

  std::vector<Interval> intervals;
  for (const auto& [id, interval] : live) {
    if (interval.end > entry.arena_bytes)
      return invalid("entry '" + entry.name + "': " + tensor_label(tensors[id], id) + " ends at " +
                     std::to_string(interval.end) + ", past the entry's arena of " +
                     std::to_string(entry.arena_bytes) + " bytes");
    intervals.push_back(interval);
  }
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  for (size_t i = 0; i < intervals.size(); ++i)
    for (size_t j = i + 1; j < intervals.size() && intervals[j].begin < intervals[i].end; ++j) {
      const Interval &a = intervals[i], &b = intervals[j];
      if (a.first <= b.last && b.first <= a.last)
        return invalid("entry '" + entry.name + "': " + tensor_label(tensors[a.id], a.id) + " and " +
                       tensor_label(tensors[b.id], b.id) + " overlap in the arena while both are live");
    }
  return Status();
}

Status bind_ids(const flatbuffers::Vector<int32_t>* ids, size_t tensor_count, const std::string& where,
                std::vector<int>* out) {
  if (ids->size() > 4096) return invalid(where + ": too many tensor ids");
  for (int32_t id : *ids) {
    if (id < 0 || static_cast<size_t>(id) >= tensor_count)
      return invalid(where + ": tensor id " + std::to_string(id) + " is out of range (" +
                     std::to_string(tensor_count) + " tensors)");
    out->push_back(id);
  }
  return Status();
}

Status bind_entry(const schema::Entry& def, const std::vector<BoundTensor>& tensors, const schema::Model& m,
                  BoundEntry* entry) {
  entry->name = def.name()->str();
  entry->max_rows = def.max_rows();
  entry->arena_bytes = def.arena_bytes();
  const std::string where = "entry '" + entry->name + "'";
  if (entry->max_rows < 1 || entry->max_rows > (1 << 24)) return invalid(where + ": max_rows must be positive");
  if (entry->arena_bytes > m.arena_bytes()) return invalid(where + ": arena larger than the model's arena");
  if (def.operators()->size() == 0) return invalid(where + ": no operators");
  if (Status s = bind_ids(def.inputs(), tensors.size(), where + " inputs", &entry->inputs); !s.ok()) return s;
  if (Status s = bind_ids(def.outputs(), tensors.size(), where + " outputs", &entry->outputs); !s.ok()) return s;
  for (int id : entry->inputs)
    if (tensors[id].storage != Storage::Arena) return invalid(where + ": inputs must be arena tensors");
  for (int id : entry->outputs)
    if (tensors[id].storage != Storage::Arena) return invalid(where + ": outputs must be arena tensors");
  // The caller copies up to max_rows rows into a dynamic-rows input (or out of an output), whichever operator reads
  // it, if any: the tensor must hold them.
  for (const std::vector<int>* ids : {&entry->inputs, &entry->outputs})
    for (int id : *ids)
      if (tensors[id].dynamic_rows && tensors[id].shape[0] != entry->max_rows)
        return invalid(where + ": " + tensor_label(tensors[id], id) + " has dynamic rows but " +
                       std::to_string(tensors[id].shape[0]) + " rows, not the entry's " +
                       std::to_string(entry->max_rows));

  std::vector<bool> written(tensors.size(), false);
  for (int id : entry->inputs) written[id] = true;
  OperatorChecker checker(tensors, *entry);
  for (size_t i = 0; i < def.operators()->size(); ++i) {
    const schema::Operator* op_def = def.operators()->Get(i);
    BoundOperator op{op_def->options_type(), op_def, {}, {}, -1};
    const std::string op_where = where + " operator " + std::to_string(i);
    if (Status s = bind_ids(op_def->inputs(), tensors.size(), op_where, &op.inputs); !s.ok()) return s;
    if (Status s = bind_ids(op_def->outputs(), tensors.size(), op_where, &op.outputs); !s.ok()) return s;
    if (op.type == OperatorOptions::FullyConnectedOptions && op_def->options_as_FullyConnectedOptions()) {
      op.scratch = op_def->options_as_FullyConnectedOptions()->scratch();
      if (op.scratch < -1 || op.scratch >= static_cast<int>(tensors.size()))
        return invalid(op_where + ": scratch tensor id " + std::to_string(op.scratch) + " is out of range");
    }
    if (Status s = checker.check(op, i); !s.ok()) return s;
    // Reading an activation that nothing wrote yet would run on garbage: the graph must be in execution order.
    for (int id : op.inputs)
      if (tensors[id].storage == Storage::Arena && !written[id])
        return invalid(op_where + ": reads " + tensor_label(tensors[id], id) + " before any operator writes it");
    for (int id : op.outputs) {
      if (tensors[id].storage != Storage::Arena && op.type != OperatorOptions::StoreOptions)
        return invalid(op_where + ": outputs must be arena tensors (only Store writes state)");
      written[id] = true;
    }
    entry->operators.push_back(std::move(op));
  }
  for (int id : entry->outputs)
    if (!written[id]) return invalid(where + ": output " + tensor_label(tensors[id], id) + " is never written");
  return check_plan(tensors, *entry);
}

// Byte-level BPE: every single byte must be a piece, and every merge must name pieces whose bytes, joined, are one.
Status bind_byte_level_bpe(const schema::Tokenizer* def, TokenizerTables* tok) {
  if (def->pre_tokenizer() != schema::PreTokenizerPattern::Gpt2 &&
      def->pre_tokenizer() != schema::PreTokenizerPattern::Llama3)
    return invalid("tokenizer: unknown pre-tokenizer pattern");
  if (def->digit_group() < 1 || def->digit_group() > 3)
    return invalid("tokenizer: digit_group must be 1..3, got " + std::to_string(def->digit_group()));
  tok->pre_tokenizer = def->pre_tokenizer();
  tok->digit_group = static_cast<size_t>(def->digit_group());
  for (int byte = 0; byte < 256; ++byte) {
    const auto found = tok->piece_ids.find(std::string(1, static_cast<char>(byte)));
    if (found == tok->piece_ids.end())
      return invalid("tokenizer: byte-level BPE has no piece for byte " + std::to_string(byte));
    tok->byte_ids[byte] = found->second;
  }
  const auto* left = def->merge_left();
  const auto* right = def->merge_right();
  if (left == nullptr || right == nullptr || left->size() != right->size())
    return invalid("tokenizer: byte-level BPE merges must be two lists of equal length");
  const int32_t count = static_cast<int32_t>(def->pieces()->size());
  tok->merges.reserve(left->size());
  for (flatbuffers::uoffset_t rank = 0; rank < left->size(); ++rank) {
    const int32_t a = left->Get(rank), b = right->Get(rank);
    if (a < 0 || a >= count || b < 0 || b >= count)
      return invalid("tokenizer: merge " + std::to_string(rank) + " names a piece out of range");
    const auto merged = tok->piece_ids.find(def->pieces()->Get(a)->str() + def->pieces()->Get(b)->str());
    if (merged == tok->piece_ids.end())
      return invalid("tokenizer: merge " + std::to_string(rank) + " makes a piece that is not in the vocabulary");
    // The first (lowest) rank of a pair wins, as in the tokenizer.json it came from.
    tok->merges.emplace(static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32 | static_cast<uint32_t>(b),
                        TokenizerTables::Merge{static_cast<int32_t>(rank), merged->second});
  }
  return Status();
}

Status bind_sentencepiece_unigram(const schema::Tokenizer* def, TokenizerTables* tok) {
  if (const auto* blob = def->precompiled_charsmap(); blob != nullptr && blob->size() > 0) {
    uint32_t trie_bytes = 0;
    if (blob->size() >= 4) std::memcpy(&trie_bytes, blob->data(), 4);
    if (blob->size() < 4 || trie_bytes % 4 != 0 || trie_bytes > blob->size() - 4)
      return invalid("tokenizer: the precompiled character map is malformed");
  }
  float lowest = std::numeric_limits<float>::infinity();
  for (int32_t id = 0; id < static_cast<int32_t>(def->pieces()->size()); ++id) {
    const float score = def->scores()->Get(id);
    if (std::isinf(score) && score > 0) return invalid("tokenizer: piece " + std::to_string(id) + " scores +infinity");
    if (score == -std::numeric_limits<float>::infinity()) continue;
    lowest = std::min(lowest, score);
    tok->max_piece_bytes = std::max<size_t>(tok->max_piece_bytes, def->pieces()->Get(id)->size());
  }
  if (tok->max_piece_bytes == 0) return invalid("tokenizer: no piece that text can encode to");
  tok->unknown_score = lowest - 10.0f;
  tok->remove_extra_whitespaces = def->remove_extra_whitespaces();
  tok->append_eos = def->append_eos();
  return Status();
}

Status bind_tokenizer(const schema::Model& m, TokenizerTables* tok) {
  const schema::Tokenizer* def = m.tokenizer();
  if (def == nullptr) return Status();
  if (def->kind() == schema::TokenizerKind::None) {
    // No pieces, but the special ids generation needs.
    const int32_t vocab = m.metadata()->vocab_size();
    for (int32_t id : {def->bos_id(), def->eos_id(), def->pad_id()})
      if (id < -1 || id >= vocab) return invalid("tokenizer: special token id out of range");
    tok->bos = def->bos_id();
    tok->eos = def->eos_id();
    tok->pad = def->pad_id();
    return Status();
  }
  const schema::TokenizerKind kind = def->kind();
  if (kind != schema::TokenizerKind::SentencePieceBpe && kind != schema::TokenizerKind::ByteLevelBpe &&
      kind != schema::TokenizerKind::WordPiece && kind != schema::TokenizerKind::SentencePieceUnigram)
    return invalid("tokenizer: unknown kind");
  if (!def->pieces() || def->pieces()->size() == 0) return invalid("tokenizer: no pieces");
  const bool sentencepiece =
      kind == schema::TokenizerKind::SentencePieceBpe || kind == schema::TokenizerKind::SentencePieceUnigram;
  if (sentencepiece && (!def->scores() || def->pieces()->size() != def->scores()->size()))
    return invalid("tokenizer: pieces and scores must be non-empty and of equal length");
  const int32_t count = static_cast<int32_t>(def->pieces()->size());
  auto id_ok = [&](int32_t id) { return id >= -1 && id < count; };
  if (!id_ok(def->bos_id()) || !id_ok(def->eos_id()) || !id_ok(def->unk_id()) || !id_ok(def->cls_id()) ||
      !id_ok(def->sep_id()) || !id_ok(def->pad_id()))
    return invalid("tokenizer: special token id out of range");
  if (def->byte_fallback_base() != -1 &&
      (def->byte_fallback_base() < 0 || def->byte_fallback_base() > count - 256))
    return invalid("tokenizer: byte fallback pieces out of range");
  tok->kind = kind;
  tok->def = def;
  tok->bos = def->bos_id();
  tok->eos = def->eos_id();
  tok->unk = def->unk_id();
  tok->cls = def->cls_id();
  tok->sep = def->sep_id();
  tok->pad = def->pad_id();
  tok->byte_base = def->byte_fallback_base();
  tok->add_dummy_prefix = def->add_dummy_prefix();
  tok->piece_ids.reserve(static_cast<size_t>(count));
  for (int32_t id = 0; id < count; ++id) {
    const flatbuffers::String* piece = def->pieces()->Get(id);
    if (piece == nullptr) return invalid("tokenizer: piece " + std::to_string(id) + " is missing");
    // Merges are ordered by score: a NaN would break that order (-inf is fine: "never a merge result").
    if (sentencepiece && std::isnan(def->scores()->Get(id)))
      return invalid("tokenizer: piece " + std::to_string(id) + " has a NaN score");
    tok->piece_ids.emplace(piece->str(), id);  // first id wins for duplicate pieces
  }
  const auto space = tok->piece_ids.find(" ");
  tok->space = space == tok->piece_ids.end() ? -1 : space->second;
  if (const auto* specials = def->special_ids()) {
    for (int32_t id : *specials) {
      if (id < 0 || id >= count) return invalid("tokenizer: added token id out of range");
      const std::string text = def->pieces()->Get(id)->str();
      if (text.empty()) return invalid("tokenizer: added token " + std::to_string(id) + " is empty");
      tok->specials_by_first_byte[static_cast<unsigned char>(text[0])].emplace_back(text, id);
    }
    for (auto& bucket : tok->specials_by_first_byte)
      std::stable_sort(bucket.begin(), bucket.end(),
                       [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  if (kind == schema::TokenizerKind::ByteLevelBpe) return bind_byte_level_bpe(def, tok);
  if (kind == schema::TokenizerKind::SentencePieceUnigram) return bind_sentencepiece_unigram(def, tok);
  if (kind == schema::TokenizerKind::WordPiece) {
    if (tok->unk < 0) return invalid("tokenizer: WordPiece needs an unknown token");
    if (def->max_word_chars() < 1) return invalid("tokenizer: WordPiece max_word_chars must be positive");
    tok->lowercase = def->lowercase();
    tok->strip_accents = def->strip_accents();
    tok->split_cjk = def->split_cjk();
    tok->continuing_prefix = def->continuing_prefix() ? def->continuing_prefix()->str() : std::string();
    tok->max_word_chars = static_cast<size_t>(def->max_word_chars());
  }
  return Status();
}

void describe(ModelImpl* impl) {
  const schema::Model& m = *impl->model;
  ModelInfo& info = impl->info;
  const schema::Metadata& meta = *m.metadata();
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  info.architecture = str(meta.architecture());
  info.source = str(meta.source());
  info.quantization = str(meta.quantization());
  info.format_version = m.version();
  info.params = meta.params();
  info.weight_bytes = m.weights_bytes();
  info.arena_bytes = m.arena_bytes();
  info.state_bytes = m.state_bytes();
  // What the KV caches hold (the converter's --kv): the dtype of the attention operators' caches.
  info.kv_cache = "none";
  for (const BoundEntry& entry : impl->entries)
    for (const BoundOperator& op : entry.operators)
      if (op.type == OperatorOptions::AttentionOptions && op.def->options_as_AttentionOptions()->causal()) {
        const DType dtype = impl->tensors[op.def->options_as_AttentionOptions()->k_cache()].dtype;
        info.kv_cache = dtype == DType::F16 ? "f16" : dtype == DType::I8 ? "int8" : "f32";
      }
  info.file_bytes = impl->file.size();
  info.vocab_size = meta.vocab_size();
  info.hidden_size = meta.hidden_size();
  info.layers = meta.layers();
  info.max_context = meta.max_context();
  if (meta.labels() != nullptr)
    for (const flatbuffers::String* label : *meta.labels()) info.labels.push_back(str(label));
  info.multi_label = meta.multi_label();
  info.has_tokenizer = impl->tokenizer.kind != schema::TokenizerKind::None;
  switch (impl->tokenizer.kind) {
    case schema::TokenizerKind::SentencePieceBpe: info.tokenizer_kind = "sentencepiece_bpe"; break;
    case schema::TokenizerKind::ByteLevelBpe: info.tokenizer_kind = "byte_level_bpe"; break;
    case schema::TokenizerKind::WordPiece: info.tokenizer_kind = "wordpiece"; break;
    case schema::TokenizerKind::SentencePieceUnigram: info.tokenizer_kind = "sentencepiece_unigram"; break;
    default: info.tokenizer_kind = "none"; break;
  }
  info.kernel_isa = kernels::isa_name(impl->kernels->isa);
  std::map<std::string, int> counts;
  auto tensor_info = [&](int id) {
    const BoundTensor& t = impl->tensors[id];
    return TensorInfo{str(t.def->name()), static_cast<edgeformer::DType>(t.dtype),
                      std::vector<int64_t>(t.shape, t.shape + t.rank), t.dynamic_rows};
  };
  for (const BoundEntry& e : impl->entries) {
    EntryInfo entry{e.name, e.max_rows, e.operators.size(), {}, {}};
    for (int id : e.inputs) entry.inputs.push_back(tensor_info(id));
    for (int id : e.outputs) entry.outputs.push_back(tensor_info(id));
    for (const BoundOperator& op : e.operators) ++counts[schema::operator_name(op.type)];
    info.entries.push_back(std::move(entry));
  }
  info.op_counts.assign(counts.begin(), counts.end());
}

uint64_t align_up(uint64_t value) { return (value + kAlignment - 1) / kAlignment * kAlignment; }

// The arena and the state are allocated from these sizes, so they must be what the tensors need and no more: a
// corrupt size field must not turn into a huge allocation.
Status check_region_sizes(const ModelImpl& impl) {
  uint64_t state_end = 0;
  for (const BoundTensor& t : impl.tensors)
    if (t.storage == Storage::State) state_end = std::max(state_end, t.offset + t.bytes);
  if (impl.state_bytes > align_up(state_end))
    return invalid("state of " + std::to_string(impl.state_bytes) + " bytes is larger than its tensors need (" +
                   std::to_string(state_end) + ")");
  uint64_t largest_entry = 0;
  for (const BoundEntry& entry : impl.entries) {
    uint64_t end = 0;
    // Inputs that no operator reads are planned too: the caller writes them.
    for (int id : entry.inputs) end = std::max(end, impl.tensors[id].offset + impl.tensors[id].bytes);
    for (const BoundOperator& op : entry.operators) {
      for (int id : op.inputs)
        if (impl.tensors[id].storage == Storage::Arena) end = std::max(end, impl.tensors[id].offset + impl.tensors[id].bytes);
      for (int id : op.outputs) end = std::max(end, impl.tensors[id].offset + impl.tensors[id].bytes);
      if (op.scratch >= 0) end = std::max(end, impl.tensors[op.scratch].offset + impl.tensors[op.scratch].bytes);
    }
    if (entry.arena_bytes > align_up(end))
      return invalid("entry '" + entry.name + "': arena of " + std::to_string(entry.arena_bytes) +
                     " bytes is larger than its tensors need (" + std::to_string(end) + ")");
    largest_entry = std::max(largest_entry, entry.arena_bytes);
  }
  if (impl.arena_bytes != largest_entry)
    return invalid("arena of " + std::to_string(impl.arena_bytes) + " bytes differs from the largest entry's " +
                   std::to_string(largest_entry));
  return Status();
}

}  // namespace

const BoundEntry* ModelImpl::find_entry(const std::string& name) const {
  for (const BoundEntry& entry : entries)
    if (entry.name == name) return &entry;
  return nullptr;
}

Status load_model(MappedFile file, ModelImpl* impl) {
  const uint8_t* data = file.data();
  const size_t size = file.size();
  if (size == 0) return invalid("empty file");
  if (size < 12) return invalid("file of " + std::to_string(size) + " bytes is too small to be an .eft model");
  if (!flatbuffers::BufferHasIdentifier(data, schema::ModelIdentifier(), /*size_prefixed=*/true))
    return invalid("not an .eft model (file identifier is not '" + std::string(schema::ModelIdentifier()) + "')");
  const uint32_t prefix = flatbuffers::ReadScalar<uint32_t>(data);
  if (prefix > size - sizeof(uint32_t))
    return invalid("truncated: the model table claims " + std::to_string(prefix) + " bytes, the file has " +
                   std::to_string(size));
  // FlatBuffers reads its scalars in place: an unaligned buffer is refused before anything is read from it.
  if (reinterpret_cast<uintptr_t>(data) % kAlignment != 0)
    return Status(StatusCode::kInvalidArgument, "model bytes must be 64-byte aligned");
  flatbuffers::Verifier verifier(data, prefix + sizeof(uint32_t), /*max_depth=*/64, /*max_tables=*/1u << 24);
  if (!schema::VerifySizePrefixedModelBuffer(verifier)) return invalid("the model table is corrupt (verifier failed)");
  const schema::Model& m = *schema::GetSizePrefixedModel(data);
  if (m.version() != kFormatVersion)
    return invalid("format version " + std::to_string(m.version()) + " is not supported (this runtime reads " +
                   std::to_string(kFormatVersion) + ")");
  if (m.weights_offset() % kAlignment != 0 || m.weights_offset() > size ||
      m.weights_offset() < prefix + sizeof(uint32_t))
    return invalid("weight segment offset " + std::to_string(m.weights_offset()) + " is invalid");
  if (m.arena_bytes() > kMaxBytes || m.state_bytes() > kMaxBytes) return invalid("arena or state size is absurd");
  if (m.tensors()->size() > kMaxTensors) return invalid("too many tensors");
  if (m.entries()->size() == 0) return invalid("no entry points");

  impl->model = &m;
  impl->arena_bytes = m.arena_bytes();
  impl->state_bytes = m.state_bytes();
  impl->tensors.resize(m.tensors()->size());
  for (size_t i = 0; i < impl->tensors.size(); ++i)
    if (Status s = bind_tensor(m, size, static_cast<int>(i), &impl->tensors[i]); !s.ok()) return s;
  for (size_t i = 0; i < impl->tensors.size(); ++i)
    if (Status s = bind_quantization(m, data, static_cast<int>(i), impl->tensors); !s.ok()) return s;
  for (const schema::Entry* def : *m.entries()) {
    BoundEntry entry;
    if (Status s = bind_entry(*def, impl->tensors, m, &entry); !s.ok()) return s;
    if (impl->find_entry(entry.name)) return invalid("entry '" + entry.name + "' appears twice");
    impl->entries.push_back(std::move(entry));
  }
  if (Status s = check_region_sizes(*impl); !s.ok()) return s;
  if (Status s = bind_tokenizer(m, &impl->tokenizer); !s.ok()) return s;
  impl->kernels = &kernels::kernel_set(kernels::selected_isa());
  impl->file = std::move(file);
  describe(impl);
  return Status();
}

}  // namespace edgeformer
