#include "conversion.h"

#include <filesystem>
#include <map>

#include "convert_error.h"
#include "edgeformer/schema/operator_name.h"
#include "families/family.h"
#include "families/synthetic_spec.h"
#include "graph/eft_writer.h"
#include "io/json_file.h"
#include "tokenizers/replacement_tokenizer.h"

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

}  // namespace

ConversionSummary convert_model(const ConversionRequest& request, const std::function<void(const std::string&)>& note) {
  Graph graph;
  ConversionSummary summary;
  {
    // The checkpoint is freed at the end of this block, before the file is written.
    const bool folder = request.synthetic.empty() && fs::is_directory(request.input);
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
    graph = family.build_graph(checkpoint, request.options);
    summary.architecture = family.describe(checkpoint, graph);
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
  return summary;
}

}  // namespace edgeformer::converter
