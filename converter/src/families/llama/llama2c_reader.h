#pragma once
// llama2.c checkpoints (karpathy/llama2.c run.c format, version 0) and their tokenizer files (tok*.bin).
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

LlamaCheckpoint read_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path);

TokenizerData read_llama2c_tokenizer(const std::string& path, int vocab_size);

// The tokenizer of a checkpoint converted without --tokenizer: the one tok*.bin beside it. Throws ConvertError when
// there is not exactly one.
std::string find_llama2c_tokenizer(const std::string& checkpoint_path);

}  // namespace edgeformer::converter
