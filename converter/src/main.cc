// edgeformer-convert: checkpoints people have -> one .eft file.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "convert_error.h"
#include "edgeformer/schema/operator_name.h"
#include "families/family.h"
#include "families/synthetic_spec.h"
#include "graph/eft_writer.h"
#include "io/json_file.h"
#include "tokenizers/replacement_tokenizer.h"

namespace {

using namespace edgeformer::converter;
namespace fs = std::filesystem;

// The usage text; the families' model types and --synthetic examples come from the family table.
std::string usage() {
  std::string text =
      "usage: edgeformer-convert INPUT -o MODEL.eft [--quant f32|int8|int4] [--kv f32|f16|int8] [--max-seq N]\n"
      "                          [--prefill-chunk N] [--tokenizer TOK.bin|tokenizer.json|vocab.txt|sp.model]\n";
  for (const ModelFamily& family : model_families())
    if (family.synthetic) text += "       edgeformer-convert --synthetic " + family.synthetic_example + " -o M.eft\n";
  std::string types;
  for (const ModelFamily& family : model_families()) types += (types.empty() ? "" : ", ") + family.model_type;
  return text +
         "  INPUT: a Hugging Face folder (config.json, *.safetensors, tokenizer.json) of model_type " + types + "\n"
         "         (a sentence-transformers folder is a bert one), or a llama2.c checkpoint (.bin); its tokenizer is\n"
         "         --tokenizer, else the one tok*.bin beside it\n"
         "  --tokenizer F.json a Hugging Face tokenizer.json (SentencePiece BPE, byte-level BPE or WordPiece), or a\n"
         "                     BERT vocab.txt, or a SentencePiece unigram .model/.spm, for a synthetic model or in\n"
         "                     place of a folder's own; ids must fit the model's vocab\n"
         "  --max-seq N        KV-cache positions, or an encoder's longest sequence (default: the model's context)\n"
         "  --prefill-chunk N  tokens one prefill call takes at most (default 512, capped by --max-seq)\n"
         "  --synthetic SPEC   random weights of a given shape (the keys of the examples above, and seed), to measure\n"
         "                     realistic sizes without a download\n";
}

// What the command line asks for.
struct Request {
  std::string input, output, tokenizer, synthetic;
  GraphOptions options;
};

int parse_positive(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n <= 0 || n > (1 << 24))
    throw ConvertError(flag + ": expected a positive integer, found '" + value + "'");
  return static_cast<int>(n);
}

// Fills `request` from the arguments. Returns an exit code when the run ends here (help: 0, usage error: 2), else -1.
int parse_arguments(int argc, char** argv, Request& request) {
  GraphOptions& options = request.options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ConvertError(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage().c_str(), stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      request.output = value();
    } else if (arg == "--quant") {
      const std::string q = value();
      if (q == "f32") options.weights = WeightFormat::kF32;
      else if (q == "int8") options.weights = WeightFormat::kInt8;
      else if (q == "int4") options.weights = WeightFormat::kInt4;
      else throw ConvertError("--quant: expected f32, int8 or int4, found '" + q + "'");
    } else if (arg == "--kv") {
      const std::string kv = value();
      if (kv == "f32") options.kv_cache = KvCacheFormat::kF32;
      else if (kv == "f16") options.kv_cache = KvCacheFormat::kF16;
      else if (kv == "int8") options.kv_cache = KvCacheFormat::kInt8;
      else throw ConvertError("--kv: expected f32, f16 or int8, found '" + kv + "'");
    } else if (arg == "--max-seq") {
      options.max_context = parse_positive(arg, value());
    } else if (arg == "--prefill-chunk") {
      options.prefill_rows = parse_positive(arg, value());
    } else if (arg == "--synthetic") {
      request.synthetic = value();
    } else if (arg == "--tokenizer") {
      request.tokenizer = value();
    } else if (!arg.empty() && arg[0] == '-') {
      throw ConvertError("unknown option " + arg + "\n" + usage());
    } else if (request.input.empty()) {
      request.input = arg;
    } else {
      throw ConvertError("unexpected argument " + arg);
    }
  }
  if ((request.input.empty() == request.synthetic.empty()) || request.output.empty()) {
    std::fputs(usage().c_str(), stderr);
    return 2;
  }
  return -1;
}

// The model types of the families, "a, b, c"; only those with synthetic checkpoints when `synthetic_only`.
std::string model_type_list(bool synthetic_only) {
  std::string list;
  for (const ModelFamily& family : model_families())
    if (!synthetic_only || family.synthetic) list += (list.empty() ? "" : ", ") + family.model_type;
  return list;
}

// The family of the input: a --synthetic spec's architecture, a folder's model_type, else the default family
// (a llama2.c checkpoint, or nothing at all, which its reader reports).
const ModelFamily& family_of(const Request& request, bool folder) {
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

struct Conversion {
  Graph graph;
  std::string shape;  // for the summary
};

// Reads (or makes) the checkpoint, replaces its tokenizer when --tokenizer names one, and lowers it. The checkpoint
// is freed on return, before the file is written.
Conversion convert(const Request& request) {
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
  if (!slot.note.empty()) std::fprintf(stderr, "note: %s\n", slot.note.c_str());
  Conversion conversion;
  conversion.graph = family.build_graph(checkpoint, request.options);
  conversion.shape = family.describe(checkpoint, conversion.graph);
  return conversion;
}

void print_summary(const Graph& graph, const std::string& shape, const std::string& output, uint64_t file_bytes) {
  std::map<std::string, int> op_counts;
  size_t ops = 0;
  for (const Entry& entry : graph.entries) {
    ops += entry.operators.size();
    for (const Operator& op : entry.operators) ++op_counts[edgeformer::schema::operator_name(op.type())];
  }
  std::printf("wrote %s (%llu bytes)\n", output.c_str(), static_cast<unsigned long long>(file_bytes));
  std::printf("  architecture  %s\n", shape.c_str());
  std::printf("  quantization  %s\n", graph.quantization.c_str());
  std::printf("  entries       ");
  for (const Entry& entry : graph.entries)
    std::printf("%s (%zu ops, up to %d tokens)  ", entry.name.c_str(), entry.operators.size(), entry.max_rows);
  std::printf("\n  ops           %zu:", ops);
  for (const auto& [name, count] : op_counts) std::printf(" %s %d", name.c_str(), count);
  std::printf("\n  params        %llu\n", static_cast<unsigned long long>(graph.params));
  std::printf("  weight bytes  %llu\n", static_cast<unsigned long long>(graph.weight_bytes()));
  std::printf("  arena bytes   %llu\n", static_cast<unsigned long long>(graph.arena_bytes()));
  std::printf("  KV-cache bytes %llu (%d positions)\n", static_cast<unsigned long long>(graph.state_bytes),
              graph.max_context);
  std::printf("  tokenizer     %s\n", edgeformer::schema::EnumNameTokenizerKind(graph.tokenizer.kind));
}

int run(int argc, char** argv) {
  Request request;
  if (const int exit_code = parse_arguments(argc, argv, request); exit_code >= 0) return exit_code;
  Conversion conversion = convert(request);
  const uint64_t file_bytes = write_eft(conversion.graph, request.output);
  print_summary(conversion.graph, conversion.shape, request.output, file_bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgeformer-convert: error: %s\n", e.what());
    return 1;
  }
}
