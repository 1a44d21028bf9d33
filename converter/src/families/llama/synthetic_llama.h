#pragma once
// Random-weight LLaMA checkpoints of any shape, so that realistic sizes can be converted and measured without
// downloading one: edgeformer-convert --synthetic llama:dim=768,layers=12,heads=12,kv_heads=12,ffn=2048,vocab=32000
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

// `spec` is "llama:key=value,..." with keys dim, layers, heads, kv_heads, ffn, vocab, context, seed, and for the
// shapes of real models: head_dim (else dim / heads), theta (rope_theta), tied=1 (the classifier is the embedding),
// qkv_bias=1 (Qwen2's q, k and v biases), llama3_factor=N with original_context=N (Llama 3.x rope_scaling; its
// low and high frequency factors are Llama 3's 1 and 4, original_context defaults to 8192).
LlamaCheckpoint synthetic_llama(const std::string& spec);

}  // namespace edgeformer::converter
