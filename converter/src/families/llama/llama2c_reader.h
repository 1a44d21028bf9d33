#pragma once
// llama2.c checkpoints (karpathy/llama2.c run.c format, version 0) and their tokenizer files (tok*.bin).
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

LlamaCheckpoint read_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path);

TokenizerData read_llama2c_tokenizer(const std::string& path, int vocab_size);

}  // namespace edgeformer::converter
