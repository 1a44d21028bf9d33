#pragma once
// Hugging Face checkpoint folders of model_type "llama" (LlamaForCausalLM): config.json, safetensors weights,
// and tokenizer.json when present.
#include <string>

#include "llama_checkpoint.h"

namespace edgeformer::converter {

LlamaCheckpoint read_hf_llama(const std::string& folder);

// SentencePiece-style BPE tokenizer.json (LLaMA 1/2: byte_fallback, "▁" for spaces). Returns kind None, with the
// reason in `why_not`, for tokenizers this format does not cover yet.
TokenizerData read_hf_tokenizer(const std::string& path, int vocab_size, int bos_id, int eos_id,
                                std::string& why_not);

}  // namespace edgeformer::converter
