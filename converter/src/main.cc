// edgeformer-convert: checkpoints people have -> one .eft file.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "conversion.h"
#include "convert_error.h"
#include "families/family.h"

namespace {

using namespace edgeformer::converter;

// The usage text; the families' model types and --synthetic examples come from the family table.
std::string usage() {
  std::string text =
      "usage: edgeformer-convert INPUT -o MODEL.eft [--quant f32|int8|int4] [--kv f32|f16|int8] [--max-seq N]\n"
      "                          [--prefill-chunk N] [--tokenizer TOK.bin|tokenizer.json|vocab.txt|sp.model]\n"
      "                          [--chat-template T.jinja]\n";
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
         "  --chat-template T  a chat template (.jinja, or a JSON file with \"chat_template\") in place of the folder's\n"
         "                     chat_template.jinja / tokenizer_config.json one, reduced for `edgeformer chat`\n"
         "  --max-seq N        KV-cache positions, or an encoder's longest sequence (default: the model's context)\n"
         "  --prefill-chunk N  tokens one prefill call takes at most (default 512, capped by --max-seq)\n"
         "  --synthetic SPEC   random weights of a given shape (the keys of the examples above, and seed), to measure\n"
         "                     realistic sizes without a download; llama also takes head_dim, theta, tied=1,\n"
         "                     qkv_bias=1, llama3_factor and original_context, e.g. Qwen2.5-0.5B's shape:\n"
         "                     llama:dim=896,layers=24,heads=14,kv_heads=2,ffn=4864,vocab=151936,tied=1,qkv_bias=1,\n"
         "                     theta=1000000,context=32768\n";
}


int parse_positive(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n <= 0 || n > (1 << 24))
    throw ConvertError(flag + ": expected a positive integer, found '" + value + "'");
  return static_cast<int>(n);
}

// Fills `request` from the arguments. Returns an exit code when the run ends here (help: 0, usage error: 2), else -1.
int parse_arguments(int argc, char** argv, ConversionRequest& request) {
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
      options.weights = weight_format_named(value(), arg);
    } else if (arg == "--kv") {
      options.kv_cache = kv_cache_format_named(value(), arg);
    } else if (arg == "--max-seq") {
      options.max_context = parse_positive(arg, value());
    } else if (arg == "--prefill-chunk") {
      options.prefill_rows = parse_positive(arg, value());
    } else if (arg == "--synthetic") {
      request.synthetic = value();
    } else if (arg == "--tokenizer") {
      request.tokenizer = value();
    } else if (arg == "--chat-template") {
      request.chat_template = value();
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

void print_summary(const ConversionSummary& summary) {
  std::printf("wrote %s (%llu bytes)\n", summary.output.c_str(), static_cast<unsigned long long>(summary.file_bytes));
  std::printf("  architecture  %s\n", summary.architecture.c_str());
  std::printf("  quantization  %s\n", summary.quantization.c_str());
  std::printf("  entries       ");
  for (const auto& entry : summary.entries)
    std::printf("%s (%zu ops, up to %d tokens)  ", entry.name.c_str(), entry.operators, entry.max_rows);
  std::printf("\n  ops           %zu:", summary.operators);
  for (const auto& [name, count] : summary.op_counts) std::printf(" %s %d", name.c_str(), count);
  std::printf("\n  params        %llu\n", static_cast<unsigned long long>(summary.params));
  std::printf("  weight bytes  %llu\n", static_cast<unsigned long long>(summary.weight_bytes));
  std::printf("  arena bytes   %llu\n", static_cast<unsigned long long>(summary.arena_bytes));
  std::printf("  KV-cache bytes %llu (%d positions)\n", static_cast<unsigned long long>(summary.state_bytes),
              summary.max_context);
  std::printf("  tokenizer     %s\n", summary.tokenizer.c_str());
  std::printf("  stop ids      %s\n", summary.stop_ids.c_str());
  std::printf("  chat template %s\n", summary.chat_template.c_str());
}

int run(int argc, char** argv) {
  ConversionRequest request;
  if (const int exit_code = parse_arguments(argc, argv, request); exit_code >= 0) return exit_code;
  const auto print_note = [](const std::string& note) { std::fprintf(stderr, "note: %s\n", note.c_str()); };
  print_summary(convert_model(request, print_note));
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
