// Loading = FlatBuffers verification + semantic validation + binding. Everything a kernel relies on (ids, shapes,
// dtypes, offsets inside the file / arena / state, non-overlapping live tensors) is checked here, once, so that
// running never needs to check it again. The steps live in binding.h's files; this one runs them.
#include <algorithm>

#include "loader/binding.h"

namespace edgeformer {

namespace {

constexpr uint32_t kFormatVersion = 2;
constexpr size_t kMaxTensors = size_t{1} << 22;

uint64_t align_up(uint64_t value) { return (value + kAlignment - 1) / kAlignment * kAlignment; }

// The arena and the state are allocated from these sizes, so they must be what the tensors need and no more: a
// corrupt size field must not turn into a huge allocation.
Status check_region_sizes(const LoadedModel& impl) {
  uint64_t state_end = 0;
  for (const BoundTensor& t : impl.tensors)
    if (t.storage == schema::Storage::State) state_end = std::max(state_end, t.offset + t.bytes);
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
        if (impl.tensors[id].storage == schema::Storage::Arena) end = std::max(end, impl.tensors[id].offset + impl.tensors[id].bytes);
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


// The caches of sliding-window attention are rings (checked by the operator to hold exactly the window).
void mark_ring_caches(LoadedModel* impl) {
  for (const BoundEntry& entry : impl->entries)
    for (const BoundOperator& op : entry.operators) {
      if (op.type != schema::OperatorOptions::AttentionOptions) continue;
      const schema::AttentionOptions* a = op.def->options_as_AttentionOptions();
      if (a->sliding_window() <= 0) continue;
      for (int id : {a->k_cache(), a->v_cache(), a->k_scales(), a->v_scales()})
        if (id >= 0) impl->tensors[id].ring = true;
    }
}

}  // namespace

const BoundEntry* LoadedModel::find_entry(const std::string& name) const {
  for (const BoundEntry& entry : entries)
    if (entry.name == name) return &entry;
  return nullptr;
}

Status load_model(MappedFile file, LoadedModel* impl) {
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
  mark_ring_caches(impl);
  if (Status s = check_region_sizes(*impl); !s.ok()) return s;
  if (Status s = bind_tokenizer(m, &impl->tokenizer); !s.ok()) return s;
  if (Status s = bind_chat_template(m, &impl->chat); !s.ok()) return s;
  impl->kernels = &kernels::kernel_set(kernels::selected_isa());
  impl->file = std::move(file);
  describe(impl);
  return Status();
}


}  // namespace edgeformer
