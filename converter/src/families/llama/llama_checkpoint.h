#pragma once
// A LLaMA-family decoder as read from any source format, in PyTorch's nn.Linear layout ([out][in], f32).
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

// The rotary embedding after config.json's rope_scaling, resolved at conversion into what the runtime applies.
struct RopeScaling {
  std::vector<float> inverse_frequencies;       // [rope_dim / 2]; empty: 1 / theta^(2i / rope_dim)
  std::vector<float> long_inverse_frequencies;  // LongRoPE's, for calls longer than original_context
  float attention_factor = 1.0f;                // cos and sin are multiplied by it (YaRN, LongRoPE)
  float dynamic_factor = 0.0f;                  // dynamic NTK past original_context; 0: none
  int original_context = 0;
};

struct LlamaConfig {
  std::string architecture = "llama";  // the .eft metadata's: the family that read it (llama, qwen2)
  int dim = 0;
  int hidden_dim = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  int vocab_size = 0;
  int head_dim = 0;     // 0: dim / heads (config.json's head_dim may differ, e.g. Qwen3)
  int max_context = 0;  // the model's trained context (max_position_embeddings / seq_len)
  float rope_theta = 10000.0f;
  float norm_epsilon = 1e-5f;
  schema::RopeStyle rope_style = schema::RopeStyle::Half;
  int rope_dim = 0;  // rotated leading elements of a head (partial_rotary_factor); 0: all of it
  RopeScaling rope_scaling;
  // Linear layers with a bias: q, k and v (Qwen2; LLaMA's attention_bias), o (LLaMA's attention_bias), and the
  // feed-forward's three (LLaMA's mlp_bias).
  bool qkv_bias = false, o_bias = false, mlp_bias = false;
  // RMSNorm of each head of q and of k before RoPE (Qwen3), with weights of [head_dim].
  bool qk_norm = false;
  // Per layer, the sliding window of a layer that attends to the last keys only (Mistral, Phi-3, Qwen2's upper
  // layers), 0 for full attention; empty: every layer full.
  std::vector<int> sliding_windows;

  // Gemma: embeddings times sqrt(dim), a GELU gate, norms scaling by (1 + weight) (folded into the weights when
  // read). Gemma 2 / 3: norms of the attention's and the feed-forward's outputs before their residual adds, scores
  // scaled by query_pre_attn_scalar^-0.5 (attention_scale; 0: 1 / sqrt(head_dim)), soft-capped scores and logits
  // (0: none), and (Gemma 3) the sliding layers' own unscaled RoPE base.
  float embedding_scale = 1.0f;
  schema::GateActivation ffn_activation = schema::GateActivation::Silu;
  bool output_norms = false;
  float attention_scale = 0.0f;
  float attention_softcap = 0.0f, final_softcap = 0.0f;
  float local_rope_theta = 0.0f;

  int head_size() const { return head_dim > 0 ? head_dim : dim / heads; }
  int rotary_dim() const { return rope_dim > 0 ? rope_dim : head_size(); }
  int sliding_window(int layer) const { return sliding_windows.empty() ? 0 : sliding_windows[layer]; }
};

struct LlamaLayerWeights {
  std::vector<float> attention_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
  // Empty where the config has no bias.
  std::vector<float> bq, bk, bv, bo, b_gate, b_up, b_down;
  std::vector<float> q_norm, k_norm;  // [head_dim] with qk_norm, else empty
  std::vector<float> post_attention_norm, post_ffn_norm;  // [dim] with output_norms, else empty
};

struct LlamaCheckpoint {
  std::string source;
  LlamaConfig config;
  std::vector<float> token_embedding;  // [vocab][dim]
  std::vector<LlamaLayerWeights> layers;
  std::vector<float> final_norm;       // [dim]
  std::vector<float> classifier;       // [vocab][dim]; empty when tied to token_embedding
  TokenizerData tokenizer;
  std::string tokenizer_note;  // why there is no tokenizer, when there is none
};

// Throws ConvertError when the config cannot describe a LLaMA decoder (e.g. heads not a multiple of kv_heads).
void check_llama_config(const LlamaConfig& config, const std::string& where);

}  // namespace edgeformer::converter
