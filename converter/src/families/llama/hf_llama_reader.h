#pragma once
// Hugging Face checkpoint folders of model_type "llama" (LlamaForCausalLM): config.json, safetensors weights,
// and tokenizer.json when present.
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

LlamaCheckpoint read_hf_llama(const std::string& folder);

}  // namespace edgeformer::converter
