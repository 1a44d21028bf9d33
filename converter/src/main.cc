// edgeformer-convert: checkpoints people have -> one .eft file.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "convert_error.h"
#include "edgeformer/schema/operator_name.h"
#include "families/bert/bert_graph.h"
#include "families/bert/synthetic_bert.h"
#include "families/gpt2/gpt2_graph.h"
#include "families/gpt2/synthetic_gpt2.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama2c_reader.h"
#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "families/marian/marian_graph.h"
#include "families/synthetic_spec.h"
#include "graph/eft_writer.h"
#include "io/json_file.h"
#include "tokenizers/hf_tokenizer_reader.h"
#include "tokenizers/sentencepiece_reader.h"

namespace {

using namespace edgeformer::converter;
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: edgeformer-convert INPUT -o MODEL.eft [--quant f32|int8|int4] [--kv f32|f16|int8] [--max-seq N] [--prefill-chunk N]\n"
    "                          [--tokenizer TOK.bin|tokenizer.json|vocab.txt|sp.model]\n"
    "       edgeformer-convert --synthetic llama:dim=768,layers=12,heads=12,kv_heads=12,ffn=2048,vocab=32000 -o M.eft\n"
    "       edgeformer-convert --synthetic gpt2:dim=768,layers=12,heads=12,ffn=3072,vocab=50257,context=1024 -o M.eft\n"
    "       edgeformer-convert --synthetic bert:dim=384,layers=6,heads=12,ffn=1536,vocab=30522,context=512[,labels=2]\n"
    "                          -o M.eft\n"
    "  INPUT: a Hugging Face folder (config.json, *.safetensors, tokenizer.json) of model_type llama, gpt2 or\n"
    "         bert (also a sentence-transformers folder) or marian,\n"
    "         or a llama2.c checkpoint (.bin); its tokenizer is --tokenizer, else the one tok*.bin beside it\n"
    "  --tokenizer F.json a Hugging Face tokenizer.json (SentencePiece BPE, byte-level BPE or WordPiece), or a\n"
    "                     BERT vocab.txt, or a SentencePiece unigram .model/.spm, for a synthetic model or in\n"
    "                     place of a folder's own; ids must fit the model's vocab\n"
    "  --max-seq N        KV-cache positions, or an encoder's longest sequence (default: the model's context)\n"
    "  --prefill-chunk N  tokens one prefill call takes at most (default 512, capped by --max-seq)\n"
    "  --synthetic SPEC   random weights of a given shape (keys dim, layers, heads, kv_heads (llama), ffn, vocab,\n"
    "                     context, labels (bert), seed), to measure realistic sizes without a download\n";

int parse_positive(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n <= 0 || n > (1 << 24))
    throw ConvertError(flag + ": expected a positive integer, found '" + value + "'");
  return static_cast<int>(n);
}

std::string find_llama2c_tokenizer(const fs::path& checkpoint) {
  std::vector<fs::path> candidates;
  for (const auto& file : fs::directory_iterator(checkpoint.parent_path().empty() ? "." : checkpoint.parent_path())) {
    const std::string name = file.path().filename().string();
    if (name.rfind("tok", 0) == 0 && file.path().extension() == ".bin") candidates.push_back(file.path());
  }
  if (candidates.size() == 1) return candidates[0].string();
  throw ConvertError(checkpoint.string() + ": found " + std::to_string(candidates.size()) +
                     " tok*.bin tokenizers beside it; name one with --tokenizer");
}

int run(int argc, char** argv) {
  std::string input, output, tokenizer, synthetic;
  GraphOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ConvertError(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      output = value();
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
      synthetic = value();
    } else if (arg == "--tokenizer") {
      tokenizer = value();
    } else if (!arg.empty() && arg[0] == '-') {
      throw ConvertError("unknown option " + arg + "\n" + kUsage);
    } else if (input.empty()) {
      input = arg;
    } else {
      throw ConvertError("unexpected argument " + arg);
    }
  }
  if ((input.empty() == synthetic.empty()) || output.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  // A tokenizer.json or a BERT vocab.txt replaces the model's own; a .bin is a llama2.c tokenizer.
  const bool json_tokenizer = fs::path(tokenizer).extension() == ".json";
  const bool vocab_tokenizer = fs::path(tokenizer).extension() == ".txt";
  const bool spm_tokenizer = fs::path(tokenizer).extension() == ".spm" || fs::path(tokenizer).extension() == ".model";
  const auto replace_tokenizer = [&](TokenizerData& tok, std::string& note, int vocab_size) {
    if (json_tokenizer) {
      std::string why_not;
      tok = read_hf_tokenizer(tokenizer, vocab_size, -1, -1, why_not);
      if (!why_not.empty()) throw ConvertError(tokenizer + ": " + why_not);
      note.clear();
    } else if (vocab_tokenizer) {
      tok = read_wordpiece_vocab(tokenizer, vocab_size);
      note.clear();
    } else if (spm_tokenizer) {
      tok = read_sentencepiece_model(tokenizer, vocab_size);
      note.clear();
    }
    if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  };
  std::string model_type = "llama", shape;
  if (synthetic.empty() && fs::is_directory(input))
    model_type = read_json((fs::path(input) / "config.json").string()).value("model_type", std::string());
  if (!synthetic.empty()) model_type = synthetic_architecture(synthetic);
  Graph graph;
  if (model_type == "bert") {
    BertCheckpoint checkpoint = synthetic.empty() ? read_hf_bert(input) : synthetic_bert(synthetic);
    replace_tokenizer(checkpoint.tokenizer, checkpoint.tokenizer_note, checkpoint.config.vocab_size);
    graph = build_bert_graph(checkpoint, options);
    const BertConfig& c = checkpoint.config;
    shape = "bert: dim " + std::to_string(c.dim) + ", inner " + std::to_string(c.inner) + ", layers " +
            std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", sequence " +
            std::to_string(graph.max_context) + ", vocab " + std::to_string(c.vocab_size);
    if (!checkpoint.labels.empty()) shape += ", " + std::to_string(checkpoint.labels.size()) + " labels";
  } else if (model_type == "marian") {
    if (!synthetic.empty())
      throw ConvertError("--synthetic: architecture 'marian' is not supported (llama, gpt2, bert)");
    MarianCheckpoint checkpoint = read_hf_marian(input);
    replace_tokenizer(checkpoint.tokenizer, checkpoint.tokenizer_note, checkpoint.config.vocab_size);
    graph = build_marian_graph(checkpoint, options);
    const MarianConfig& c = checkpoint.config;
    shape = "marian: dim " + std::to_string(c.dim) + ", layers " + std::to_string(c.encoder_layers) + "+" +
            std::to_string(c.decoder_layers) + ", heads " + std::to_string(c.encoder_heads) + ", ffn " +
            std::to_string(c.encoder_ffn) + ", positions " + std::to_string(graph.max_context) + ", vocab " +
            std::to_string(c.vocab_size);
  } else if (model_type == "gpt2") {
    Gpt2Checkpoint checkpoint = synthetic.empty() ? read_hf_gpt2(input) : synthetic_gpt2(synthetic);
    replace_tokenizer(checkpoint.tokenizer, checkpoint.tokenizer_note, checkpoint.config.vocab_size);
    graph = build_gpt2_graph(checkpoint, options);
    const Gpt2Config& c = checkpoint.config;
    shape = "gpt2: dim " + std::to_string(c.dim) + ", inner " + std::to_string(c.inner) + ", layers " +
            std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", positions " +
            std::to_string(c.positions) + ", vocab " + std::to_string(c.vocab_size);
  } else {
    LlamaCheckpoint checkpoint;
    if (!synthetic.empty()) {
      checkpoint = synthetic_llama(synthetic);
    } else if (fs::is_directory(input)) {
      checkpoint = read_hf_llama(input);
    } else if (json_tokenizer || vocab_tokenizer || spm_tokenizer) {
      throw ConvertError("--tokenizer " + tokenizer + ": a llama2.c checkpoint takes its tok*.bin tokenizer");
    } else if (fs::is_regular_file(input)) {
      checkpoint = read_llama2c(input, tokenizer.empty() ? find_llama2c_tokenizer(input) : tokenizer);
    } else {
      throw ConvertError(input + ": no such file or folder");
    }
    replace_tokenizer(checkpoint.tokenizer, checkpoint.tokenizer_note, checkpoint.config.vocab_size);
    graph = build_llama_graph(checkpoint, options);
    const LlamaConfig& c = checkpoint.config;
    shape = "llama: dim " + std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) + ", layers " +
            std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", kv heads " +
            std::to_string(c.kv_heads) + ", vocab " + std::to_string(c.vocab_size);
  }
  const uint64_t file_bytes = write_eft(graph, output);

  std::map<std::string, int> op_counts;
  size_t ops = 0;
  for (const Entry& entry : graph.entries) {
    ops += entry.operators.size();
    for (const Operator& op : entry.operators) ++op_counts[edgeformer::schema::operator_name(op.type)];
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
