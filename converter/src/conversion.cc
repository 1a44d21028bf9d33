#include "conversion.h"

#include <filesystem>
#include <map>

#include "chat/chat_reduction.h"
#include "convert_error.h"
#include "edgeformer/schema/operator_name.h"
#include "families/family.h"
#include "families/synthetic_spec.h"
#include "graph/eft_writer.h"
#include "io/json_file.h"
#include "tokenizers/replacement_tokenizer.h"
#include "tokenizers/stop_ids.h"

namespace edgeformer::converter {

namespace {

namespace fs = std::filesystem;

// The model types of the families, "a, b, c"; only those with synthetic checkpoints when `synthetic_only`.
std::string model_type_list(bool synthetic_only) {
  std::string list;
  for (const ModelFamily& family : model_families())
    if (!synthetic_only || family.synthetic) list += (list.empty() ? "" : ", ") + family.model_type;
  return list;
}

// The family of the input: a --synthetic spec's architecture, a folder's model_type, else the default family
// (a llama2.c checkpoint, or nothing at all, which its reader reports).
const ModelFamily& family_of(const ConversionRequest& request, bool folder) {
  if (!request.synthetic.empty()) {
    const std::string architecture = synthetic_architecture(request.synthetic);
    const ModelFamily* family = find_family(architecture);
    if (family == nullptr || !family->synthetic)
      throw ConvertError("--synthetic: architecture '" + architecture + "' is not supported (" +
                         model_type_list(true) + ")");
    return *family;
  }
  if (!folder) return default_family();
  const std::string config_path = (fs::path(request.input) / "config.json").string();
  const std::string model_type = read_json(config_path).value("model_type", std::string());
  const ModelFamily* family = find_family(model_type);
  if (family == nullptr)
    throw ConvertError(config_path + ": model_type \"" + model_type + "\" is not supported (supported: " +
                       model_type_list(false) + ")");
  return *family;
}

// Every --tokenizer file is used or refused: a llama2.c tok*.bin goes only with a llama2.c checkpoint (whose reader
// takes it), the other kinds with any input.
void check_tokenizer_kind(const ConversionRequest& request, bool folder) {
  if (request.tokenizer.empty() || is_replacement_tokenizer(request.tokenizer)) return;
  if (!folder && request.synthetic.empty()) return;
  throw ConvertError("--tokenizer " + request.tokenizer + ": " +
                     (folder ? "a Hugging Face folder" : "a --synthetic model") + " takes " +
                     replacement_tokenizer_kinds() + " (a llama2.c tok*.bin goes with a llama2.c checkpoint)");
}

// A piece in quotes, its control characters escaped (llama2.c's EOS is "\n</s>\n").
std::string quoted(const std::string& piece) {
  static const char kHex[] = "0123456789abcdef";
  std::string text = "\"";
  for (unsigned char c : piece) {
    if (c == '\n') {
      text += "\\n";
    } else if (c == '"' || c == '\\') {
      text += {'\\', char(c)};
    } else if (c < 0x20 || c == 0x7f) {
      text += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    } else {
      text += char(c);
    }
  }
  return text + "\"";
}

std::string stop_ids_text(const TokenizerData& tok) {
  std::string text;
  for (int32_t id : tok.stop_ids) {
    text += (text.empty() ? "" : ", ") + std::to_string(id);
    if (id < static_cast<int32_t>(tok.pieces.size()) && !tok.pieces[id].empty()) text += " " + quoted(tok.pieces[id]);
  }
  return text.empty() ? "none" : text;
}

// The folder's (or --chat-template's) chat template, reduced; a template that does not reduce is a note, not an
// error: the model still converts.
ChatTemplateData read_chat_template(const ConversionRequest& request, bool folder, const TokenizerData& tokenizer,
                                    const std::function<void(const std::string&)>& note, std::string* summary) {
  // A replacement tokenizer's folder holds the tokenizer_config.json that names its special tokens.
  const std::string tokenizer_folder = is_replacement_tokenizer(request.tokenizer)
                                           ? fs::path(request.tokenizer).parent_path().string()
                                       : folder ? request.input
                                                : std::string();
  ChatTemplateSource source = find_chat_template(folder ? request.input : std::string(), request.chat_template);
  if (source.text.empty() && request.chat_template.empty() && tokenizer_folder != (folder ? request.input : ""))
    source = find_chat_template(tokenizer_folder, "");
  if (source.text.empty()) {
    *summary = "none";
    return ChatTemplateData();
  }
  ChatTemplateData chat = reduce_chat_template(source, chat_special_tokens(tokenizer_folder, tokenizer));
  if (!chat.unreduced.empty()) {
    *summary = "not reduced: " + chat.unreduced;
    if (note) note("the chat template of " + source.origin + " was not reduced, so `edgeformer chat` refuses this "
                   "model: " + chat.unreduced);
  } else {
    *summary = "reduced from " + source.origin + " (" + std::to_string(chat.steps.size()) + " steps)";
  }
  return chat;
}

}  // namespace

ConversionSummary convert_model(const ConversionRequest& request, const std::function<void(const std::string&)>& note) {
  Graph graph;
  ConversionSummary summary;
  {
    // The checkpoint is freed at the end of this block, before the file is written.
    const bool folder = request.synthetic.empty() && fs::is_directory(request.input);
    check_tokenizer_kind(request, folder);
    const ModelFamily& family = family_of(request, folder);
    AnyCheckpoint checkpoint = !request.synthetic.empty() ? family.synthetic(request.synthetic)
                               : folder                   ? family.read_folder(request.input)
                                                          : family.read_file(request.input, request.tokenizer);
    TokenizerSlot slot = family.tokenizer_slot(checkpoint);
    if (is_replacement_tokenizer(request.tokenizer)) {
      slot.tokenizer = read_replacement_tokenizer(request.tokenizer, slot.vocab_size);
      slot.note.clear();
    }
    if (!slot.note.empty() && note) note(slot.note);
    const int32_t eos = slot.tokenizer.eos_id;
    slot.tokenizer.stop_ids = folder     ? read_stop_ids(request.input, slot.tokenizer, slot.vocab_size)
                              : eos >= 0 ? std::vector<int32_t>{eos}
                                         : std::vector<int32_t>();
    graph = family.build_graph(checkpoint, request.options);
    summary.architecture = family.describe(checkpoint, graph);
    graph.chat_template = read_chat_template(request, folder, graph.tokenizer, note, &summary.chat_template);
  }
  summary.file_bytes = write_eft(graph, request.output);
  summary.output = request.output;
  std::map<std::string, int> op_counts;
  for (const Entry& entry : graph.entries) {
    summary.operators += entry.operators.size();
    summary.entries.push_back({entry.name, entry.operators.size(), entry.max_rows});
    for (const Operator& op : entry.operators) ++op_counts[schema::operator_name(op.type())];
  }
  summary.op_counts.assign(op_counts.begin(), op_counts.end());
  summary.quantization = graph.quantization;
  summary.params = graph.params;
  summary.weight_bytes = graph.weight_bytes();
  summary.arena_bytes = graph.arena_bytes();
  summary.state_bytes = graph.state_bytes;
  summary.max_context = graph.max_context;
  summary.tokenizer = schema::EnumNameTokenizerKind(graph.tokenizer.kind);
  summary.stop_ids = stop_ids_text(graph.tokenizer);
  return summary;
}

}  // namespace edgeformer::converter
