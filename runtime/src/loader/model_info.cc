// What inspect, the CLI and the APIs report about a loaded model.
#include <map>

#include "edgeformer/schema/operator_name.h"
#include "loader/binding.h"

namespace edgeformer {

void describe(LoadedModel* impl) {
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
      if (op.type == schema::OperatorOptions::AttentionOptions && op.def->options_as_AttentionOptions()->causal()) {
        const schema::DType dtype = impl->tensors[op.def->options_as_AttentionOptions()->k_cache()].dtype;
        info.kv_cache = dtype == schema::DType::F16 ? "f16" : dtype == schema::DType::I8 ? "int8" : "f32";
      }
  info.file_bytes = impl->file.size();
  info.vocab_size = meta.vocab_size();
  info.hidden_size = meta.hidden_size();
  info.layers = meta.layers();
  info.max_context = meta.max_context();
  if (meta.labels() != nullptr)
    for (const flatbuffers::String* label : *meta.labels()) info.labels.push_back(str(label));
  info.multi_label = meta.multi_label();
  info.has_tokenizer = impl->tokenizer.kind != TokenizerKind::kNone;
  switch (impl->tokenizer.kind) {
    case TokenizerKind::kSentencePieceBpe: info.tokenizer_kind = "sentencepiece_bpe"; break;
    case TokenizerKind::kByteLevelBpe: info.tokenizer_kind = "byte_level_bpe"; break;
    case TokenizerKind::kWordPiece: info.tokenizer_kind = "wordpiece"; break;
    case TokenizerKind::kSentencePieceUnigram: info.tokenizer_kind = "sentencepiece_unigram"; break;
    default: info.tokenizer_kind = "none"; break;
  }
  info.stop_ids = impl->tokenizer.stop_ids;
  info.kernel_isa = kernels::isa_name(impl->kernels->isa);
  std::map<std::string, int> counts;
  auto tensor_info = [&](int id) {
    const BoundTensor& t = impl->tensors[id];
    return TensorInfo{str(t.def->name()), static_cast<edgeformer::DType>(t.dtype),
                      std::vector<int64_t>(t.shape, t.shape + t.rank), t.dynamic_rows};
  };
  for (const BoundEntry& e : impl->entries) {
    EntryInfo entry{e.name, e.max_rows, e.operators.size(), {}, {}, entry_cost(*impl, e)};
    for (int id : e.inputs) entry.inputs.push_back(tensor_info(id));
    for (int id : e.outputs) entry.outputs.push_back(tensor_info(id));
    for (const BoundOperator& op : e.operators) ++counts[schema::operator_name(op.type)];
    info.entries.push_back(std::move(entry));
  }
  info.op_counts.assign(counts.begin(), counts.end());
}

}  // namespace edgeformer
