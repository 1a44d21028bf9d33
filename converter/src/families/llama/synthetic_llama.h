#pragma once
// Random-weight LLaMA checkpoints of any shape, so that realistic sizes can be converted and measured without
// downloading one: edgeformer-convert --synthetic llama:dim=768,layers=12,heads=12,kv_heads=12,ffn=2048,vocab=32000
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

// `spec` is "llama:key=value,..." with keys dim, layers, heads, kv_heads, ffn, vocab, context, seed.
LlamaCheckpoint synthetic_llama(const std::string& spec);

}  // namespace edgeformer::converter
