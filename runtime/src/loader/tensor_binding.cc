// Tensors: each one's dtype, shape, byte size (packed weights included) and place, checked against the file, the
// arena and the state before anything reads them.
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "loader/binding.h"

namespace edgeformer {

namespace {

uint64_t dtype_bytes(schema::DType dtype) {
  switch (dtype) {
    case schema::DType::F32: return 4;
    case schema::DType::I8: return 1;
    case schema::DType::I32: return 4;
    case schema::DType::F16: return 2;
    case schema::DType::I4: return 1;  // a placeholder: int4 weights are sized by their packing
  }
  return 0;
}

}  // namespace

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
  if (t->dtype == schema::DType::I4 && t->storage != schema::Storage::Weight) return invalid(label + ": int4 tensors can only be weights");
  if (t->dtype == schema::DType::F16 && t->storage == schema::Storage::Arena)
    return invalid(label + ": f16 tensors can only be weights or KV caches");
  if (t->dtype == schema::DType::I4 && (def->quantization() != schema::Quantization::GroupSymmetricI4 || t->rank != 2))
    return invalid(label + ": an int4 tensor must be a 2-D GroupSymmetricI4 weight");
  // Packed weights (int8_packing.h, int4_packing.h) are padded: their size, overflow-checked.
  if (t->rank == 2 && ((def->quantization() == schema::Quantization::PerRowSymmetricI8 && t->dtype == schema::DType::I8) ||
                       t->dtype == schema::DType::I4)) {
    const bool int4 = t->dtype == schema::DType::I4;
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
    case schema::Storage::Weight:
      if (t->dynamic_rows) return invalid(label + ": a weight cannot have dynamic rows");
      if (t->offset < m.weights_offset() || t->offset > file_size || t->bytes > file_size - t->offset)
        return invalid(label + ": weight bytes [" + std::to_string(t->offset) + ", +" + std::to_string(t->bytes) +
                       ") lie outside the weight segment of a " + std::to_string(file_size) + "-byte file");
      break;
    case schema::Storage::Arena:
      if (t->offset > m.arena_bytes() || t->bytes > m.arena_bytes() - t->offset)
        return invalid(label + ": arena bytes [" + std::to_string(t->offset) + ", +" + std::to_string(t->bytes) +
                       ") lie outside the " + std::to_string(m.arena_bytes()) + "-byte arena");
      break;
    case schema::Storage::State:
      if (t->dynamic_rows) return invalid(label + ": state cannot have dynamic rows");
      if (t->offset > m.state_bytes() || t->bytes > m.state_bytes() - t->offset)
        return invalid(label + ": state bytes lie outside the " + std::to_string(m.state_bytes()) + "-byte state");
      break;
    default:
      return invalid(label + ": unknown storage " + std::to_string(int(t->storage)));
  }
  return Status();
}

namespace {

Status bind_int4_scales(const schema::Model& m, const uint8_t* file, const std::string& label,
                        const std::vector<BoundTensor>& tensors, BoundTensor& t) {
  if (t.storage != schema::Storage::Weight || t.dtype != schema::DType::I4 || t.rank != 2)
    return invalid(label + ": group-wise int4 quantization needs a 2-D int4 weight");
  const int scales = t.def->scales();
  if (scales < 0 || scales >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": scales id " + std::to_string(scales) + " is out of range");
  const BoundTensor& s = tensors[scales];
  const uint64_t n = static_cast<uint64_t>(t.shape[0]), k = static_cast<uint64_t>(t.shape[1]);
  const int64_t want[3] = {static_cast<int64_t>(kernels::int4_packed_blocks(n)),
                           static_cast<int64_t>(kernels::int4_packed_groups(k)),
                           static_cast<int64_t>(kernels::kInt4BlockChannels)};
  if (s.storage != schema::Storage::Weight || s.dtype != schema::DType::F16 || s.rank != 3 || s.shape[0] != want[0] ||
      s.shape[1] != want[1] || s.shape[2] != want[2])
    return invalid(label + ": scales must be an f16 weight of [" + std::to_string(want[0]) + ", " +
                   std::to_string(want[1]) + ", " + std::to_string(want[2]) + "]");
  t.half_scales = reinterpret_cast<const uint16_t*>(file + s.offset);
  return Status();
}

}  // namespace

Status bind_quantization(const schema::Model& m, const uint8_t* file, int id, std::vector<BoundTensor>& tensors) {
  BoundTensor& t = tensors[id];
  const std::string label = tensor_label(t, id);
  const schema::Quantization q = t.def->quantization();
  if (t.storage == schema::Storage::Weight) t.weight_data = file + t.offset;
  if (q == schema::Quantization::None) {
    if (t.storage == schema::Storage::Weight && t.dtype == schema::DType::I8)
      return invalid(label + ": int8 weights need a quantization");
    return Status();
  }
  if (q == schema::Quantization::GroupSymmetricI4) return bind_int4_scales(m, file, label, tensors, t);
  if (q != schema::Quantization::PerRowSymmetricI8) return invalid(label + ": unknown quantization");
  const int scales = t.def->scales();
  if (t.storage != schema::Storage::Weight || t.dtype != schema::DType::I8 || t.rank != 2)
    return invalid(label + ": per-row int8 quantization needs a 2-D int8 weight");
  if (scales < 0 || scales >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": scales id " + std::to_string(scales) + " is out of range");
  const BoundTensor& s = tensors[scales];
  if (s.storage != schema::Storage::Weight || s.dtype != schema::DType::F32 || s.rank != 1 || s.shape[0] != t.shape[0])
    return invalid(label + ": scales must be an f32 weight of [" + std::to_string(t.shape[0]) + "]");
  t.scales = reinterpret_cast<const float*>(file + s.offset);
  const int row_sums = t.def->row_sums();
  if (row_sums == -1) return invalid(label + ": int8 weights need their row sums");
  if (row_sums < 0 || row_sums >= static_cast<int>(m.tensors()->size()))
    return invalid(label + ": row sums id " + std::to_string(row_sums) + " is out of range");
  const BoundTensor& sums = tensors[row_sums];
  if (sums.storage != schema::Storage::Weight || sums.dtype != schema::DType::I32 || sums.rank != 1 || sums.shape[0] != t.shape[0])
    return invalid(label + ": row sums must be an i32 weight of [" + std::to_string(t.shape[0]) + "]");
  // Not checked against the codes: that would read every weight at load. Wrong sums give wrong outputs (as
  // wrong weights do), never an access outside the file.
  t.row_sums = reinterpret_cast<const int32_t*>(file + sums.offset);
  return Status();
}

}  // namespace edgeformer
