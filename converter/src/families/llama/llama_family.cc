// The llama family: Hugging Face LlamaForCausalLM folders, llama2.c checkpoints and --synthetic llama:...
#include <filesystem>

#include "convert_error.h"
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama2c_reader.h"
#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "tokenizers/replacement_tokenizer.h"

namespace edgeformer::converter {

namespace {

// A llama2.c checkpoint with its tok*.bin tokenizer: --tokenizer's, else the one beside it.
LlamaCheckpoint read_llama2c_file(const std::string& path, const std::string& tokenizer) {
  if (is_replacement_tokenizer(tokenizer))
    throw ConvertError("--tokenizer " + tokenizer + ": a llama2.c checkpoint takes its tok*.bin tokenizer");
  if (!std::filesystem::is_regular_file(path)) throw ConvertError(path + ": no such file or folder");
  return read_llama2c(path, tokenizer.empty() ? find_llama2c_tokenizer(path) : tokenizer);
}

}  // namespace

ModelFamily llama_family() {
  return make_family<LlamaCheckpoint>("llama", read_hf_llama, read_llama2c_file, synthetic_llama,
                                      "llama:dim=768,layers=12,heads=12,kv_heads=12,ffn=2048,vocab=32000",
                                      build_llama_graph, describe_llama_layout);
}

}  // namespace edgeformer::converter
