// The bytes an entry's call reads and the multiply-adds it does, from its operators and their tensors: what a
// roofline of the call needs (EntryCost in edgeformer.hpp).
#include <set>

#include "loader/binding.h"

namespace edgeformer {

namespace {

// A tensor's bytes; 0 for an id that names none. The loader checked the ids the operators use, but a weight's
// scales and row sums only where its quantization reads them: an unquantized weight's may hold anything.
uint64_t bytes_of(const std::vector<BoundTensor>& tensors, int id) {
  return id >= 0 && static_cast<size_t>(id) < tensors.size() ? tensors[id].bytes : 0;
}

uint64_t element_bytes(schema::DType dtype) {
  return dtype == schema::DType::F16 ? 2 : dtype == schema::DType::I8 ? 1 : 4;
}

}  // namespace

EntryCost entry_cost(const LoadedModel& model, const BoundEntry& entry) {
  const std::vector<BoundTensor>& tensors = model.tensors;
  EntryCost cost;
  std::set<int> read_whole;  // a weight two operators read (a tied head) streams once per call
  auto read = [&](int id) {
    if (id < 0 || tensors[id].storage != schema::Storage::Weight || !read_whole.insert(id).second) return;
    const schema::Tensor& def = *tensors[id].def;
    cost.weight_bytes += bytes_of(tensors, id);
    if (def.quantization() != schema::Quantization::None)
      cost.weight_bytes += bytes_of(tensors, def.scales()) + bytes_of(tensors, def.row_sums());
  };
  for (const BoundOperator& op : entry.operators) {
    switch (op.type) {
      case schema::OperatorOptions::EmbeddingOptions:
        cost.gathered_bytes_per_row += tensors[op.inputs[0]].row_bytes;
        break;
      case schema::OperatorOptions::PositionEmbeddingOptions:
        cost.gathered_bytes_per_row += tensors[op.inputs[1]].row_bytes;
        break;
      case schema::OperatorOptions::FullyConnectedOptions: {
        const BoundTensor& weight = tensors[op.inputs[1]];
        cost.matmul_macs_per_row += static_cast<uint64_t>(weight.shape[0]) * static_cast<uint64_t>(weight.shape[1]);
        for (size_t i = 1; i < op.inputs.size(); ++i) read(op.inputs[i]);
        break;
      }
      case schema::OperatorOptions::AttentionOptions: {
        const schema::AttentionOptions& a = *op.def->options_as_AttentionOptions();
        const uint64_t macs = 2ull * static_cast<uint64_t>(a.heads()) * static_cast<uint64_t>(a.head_dim());
        const uint64_t kv_width = static_cast<uint64_t>(a.kv_heads()) * static_cast<uint64_t>(a.head_dim());
        if (a.causal()) {
          const schema::DType cache = tensors[a.k_cache()].dtype;
          // An int8 cache stores one f32 scale per position and KV head beside the codes.
          const uint64_t scales = cache == schema::DType::I8 ? 2ull * static_cast<uint64_t>(a.kv_heads()) * 4 : 0;
          cost.causal_macs_per_key += macs;
          cost.causal_cache_bytes_per_key += 2 * kv_width * element_bytes(cache) + scales;
        } else {
          cost.other_macs_per_key += macs;
          cost.other_kv_bytes_per_key += 2 * kv_width * 4;
        }
        break;
      }
      default:
        for (int id : op.inputs) read(id);
        break;
    }
  }
  return cost;
}

}  // namespace edgeformer
