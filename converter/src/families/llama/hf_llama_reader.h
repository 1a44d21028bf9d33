#pragma once
// Hugging Face checkpoint folders of LLaMA's layout: model_type "llama" (LlamaForCausalLM: head_dim,
// attention_bias, mlp_bias, rope_scaling), "qwen2" (Qwen2ForCausalLM: q, k and v biases, sliding windows on upper
// layers), "qwen3" (Qwen3ForCausalLM: q and k norms per head), "mistral" (MistralForCausalLM: a sliding window) and
// "phi3" (Phi3ForCausalLM: fused qkv and gate_up projections, partial rotary, LongRoPE); config.json, safetensors
// weights, and tokenizer.json when present.
#include <string>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

LlamaCheckpoint read_hf_llama(const std::string& folder);
LlamaCheckpoint read_hf_qwen2(const std::string& folder);
LlamaCheckpoint read_hf_qwen3(const std::string& folder);
LlamaCheckpoint read_hf_mistral(const std::string& folder);
LlamaCheckpoint read_hf_phi3(const std::string& folder);
// Gemma (gemma), Gemma 2 (gemma2) and Gemma 3's text model (gemma3_text): (1 + weight) norms, scaled embeddings,
// GeGLU; Gemma 2 / 3 output norms, query_pre_attn_scalar, soft-capping, alternating sliding and global layers.
LlamaCheckpoint read_hf_gemma(const std::string& folder);
LlamaCheckpoint read_hf_gemma2(const std::string& folder);
LlamaCheckpoint read_hf_gemma3_text(const std::string& folder);

}  // namespace edgeformer::converter
