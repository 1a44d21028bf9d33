#include "graph/eft_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "convert_error.h"

namespace edgeformer::converter {

namespace {

namespace fb = flatbuffers;
using namespace edgeformer::schema;

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// Every field is written (ForceDefaults) so that the buffer's size does not depend on the offsets' values:
// the first build measures, the second writes the final weight offsets.
fb::DetachedBuffer build_model(const Graph& graph, uint64_t weights_offset) {
  fb::FlatBufferBuilder b(1 << 16);
  b.ForceDefaults(true);
  std::vector<fb::Offset<schema::Tensor>> tensors;
  // Children are created in statements of their own: argument evaluation order differs between compilers, and the
  // file should be byte-for-byte the same whichever built the converter.
  for (const converter::Tensor& t : graph.tensors) {
    const auto name = b.CreateString(t.name);
    const auto shape = b.CreateVector(t.shape);
    tensors.push_back(CreateTensor(b, name, t.dtype, shape, t.storage, t.offset, t.dynamic_rows, t.quantization,
                                   t.scales, t.row_sums));
  }
  std::vector<fb::Offset<schema::Entry>> entries;
  for (const converter::Entry& e : graph.entries) {
    std::vector<fb::Offset<schema::Operator>> ops;
    for (const converter::Operator& o : e.operators) {
      if (o.type() == OperatorOptions::NONE) throw ConvertError("internal: operator without options");
      const auto options = o.options.Pack(b);
      const auto inputs = b.CreateVector(o.inputs);
      const auto outputs = b.CreateVector(o.outputs);
      ops.push_back(CreateOperator(b, o.type(), options, inputs, outputs));
    }
    const auto name = b.CreateString(e.name);
    const auto operators = b.CreateVector(ops);
    const auto inputs = b.CreateVector(e.inputs);
    const auto outputs = b.CreateVector(e.outputs);
    entries.push_back(CreateEntry(b, name, e.max_rows, operators, inputs, outputs, e.arena_bytes));
  }
  const TokenizerData& tok = graph.tokenizer;
  fb::Offset<schema::Tokenizer> tokenizer;
  if (tok.kind != TokenizerKind::None || tok.bos_id >= 0 || tok.eos_id >= 0 || !tok.stop_ids.empty()) {
    const auto pieces = b.CreateVectorOfStrings(tok.pieces);
    const auto scores = b.CreateVector(tok.scores);
    const auto merge_left = b.CreateVector(tok.merge_left);
    const auto merge_right = b.CreateVector(tok.merge_right);
    const auto special_ids = b.CreateVector(tok.special_ids);
    const auto continuing_prefix = b.CreateString(tok.continuing_prefix);
    const auto charsmap = b.CreateVector(tok.precompiled_charsmap);
    // Absent rather than empty, as in files older than them.
    const auto stop_ids = tok.stop_ids.empty() ? 0 : b.CreateVector(tok.stop_ids);
    const auto special_flags = tok.special_flags.empty() ? 0 : b.CreateVector(tok.special_flags);
    tokenizer = CreateTokenizer(b, tok.kind, pieces, scores, tok.bos_id, tok.eos_id, tok.unk_id,
                                tok.byte_fallback_base, tok.add_dummy_prefix, merge_left, merge_right, special_ids,
                                tok.lowercase, tok.strip_accents, tok.split_cjk, continuing_prefix,
                                tok.max_word_chars, tok.cls_id, tok.sep_id, tok.pad_id, charsmap,
                                tok.remove_extra_whitespaces, tok.append_eos, tok.pre_tokenizer, tok.digit_group,
                                stop_ids, special_flags, tok.dummy_prefix_per_stretch);
  }
  fb::Offset<schema::ChatTemplate> chat_template;
  if (const ChatTemplateData& chat = graph.chat_template; chat.present) {
    std::vector<fb::Offset<schema::ChatStep>> steps;
    for (const ChatTemplateData::Step& step : chat.steps) {
      const auto text = b.CreateString(step.text);
      const auto refused = b.CreateString(step.refused);
      steps.push_back(schema::CreateChatStep(b, static_cast<int8_t>(step.previous), static_cast<int8_t>(step.next),
                                             static_cast<uint8_t>(step.flags), text, refused));
    }
    const auto step_vector = b.CreateVector(steps);
    std::vector<uint8_t> trim(std::begin(chat.trim_first), std::end(chat.trim_first));
    trim.insert(trim.end(), std::begin(chat.trim), std::end(chat.trim));
    const std::vector<uint8_t> drop(std::begin(chat.drop), std::end(chat.drop));
    const auto trim_vector = b.CreateVector(trim);
    const auto drop_vector = b.CreateVector(drop);
    const auto joiner = b.CreateString(chat.system_joiner);
    const auto date_format = b.CreateString(chat.date_format);
    const auto unreduced = b.CreateString(chat.unreduced);
    chat_template = schema::CreateChatTemplate(b, step_vector, trim_vector, drop_vector,
                                               chat.system_to_last_user, joiner, date_format, unreduced);
  }
  const auto architecture = b.CreateString(graph.architecture);
  const auto source = b.CreateString(graph.source);
  const auto quantization = b.CreateString(graph.quantization);
  const auto labels = b.CreateVectorOfStrings(graph.labels);
  const auto metadata = CreateMetadata(b, architecture, source, quantization, graph.params, graph.vocab_size,
                                       graph.hidden_size, graph.layers, graph.max_context, labels, graph.multi_label);
  const auto tensor_vector = b.CreateVector(tensors);
  const auto entry_vector = b.CreateVector(entries);
  const auto model = CreateModel(b, kFormatVersion, metadata, tensor_vector, entry_vector, graph.arena_bytes(),
                                 graph.state_bytes, weights_offset, graph.weight_bytes(), tokenizer, chat_template);
  b.FinishSizePrefixed(model, ModelIdentifier());
  return b.Release();
}

// Assigns each weight its absolute offset, 64-byte aligned, from `begin`; returns the end.
uint64_t place_weights(Graph& graph, uint64_t begin) {
  uint64_t cursor = begin;
  for (converter::Tensor& t : graph.tensors) {
    if (t.storage != Storage::Weight) continue;
    cursor = align_up(cursor, kWeightAlignment);
    t.offset = cursor;
    cursor += t.data.size();
  }
  return cursor;
}

}  // namespace

uint64_t write_eft(Graph& graph, const std::string& path) {
  const uint64_t measured = build_model(graph, 0).size();
  const uint64_t weights_offset = align_up(measured, kWeightAlignment);
  const uint64_t end = place_weights(graph, weights_offset);
  const fb::DetachedBuffer buffer = build_model(graph, weights_offset);
  if (buffer.size() != measured) throw ConvertError("internal: model table size changed between passes");

  // Written beside the target and renamed at the end, so that a failed conversion never leaves a partial model.
  const std::string partial = path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) throw ConvertError(partial + ": cannot create (" + std::strerror(errno) + ")");
  out.write(reinterpret_cast<const char*>(buffer.data()), buffer.size());
  uint64_t written = buffer.size();
  static const char kZeros[kWeightAlignment] = {};
  for (const converter::Tensor& t : graph.tensors) {
    if (t.storage != Storage::Weight) continue;
    out.write(kZeros, t.offset - written);
    out.write(reinterpret_cast<const char*>(t.data.data()), t.data.size());
    written = t.offset + t.data.size();
  }
  out.close();
  if (!out || written != end) {
    std::remove(partial.c_str());
    throw ConvertError(partial + ": write failed (" + std::strerror(errno) + ")");
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    throw ConvertError(path + ": cannot rename from " + partial + " (" + std::strerror(errno) + ")");
  }
  return written;
}

}  // namespace edgeformer::converter
