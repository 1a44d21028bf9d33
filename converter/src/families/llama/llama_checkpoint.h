#pragma once
// A LLaMA-family decoder as read from any source format, in PyTorch's nn.Linear layout ([out][in], f32).
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

struct LlamaConfig {
  int dim = 0;
  int hidden_dim = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  int vocab_size = 0;
  int max_context = 0;  // the model's trained context (max_position_embeddings / seq_len)
  float rope_theta = 10000.0f;
  float norm_epsilon = 1e-5f;
  schema::RopeStyle rope_style = schema::RopeStyle::Half;
};

struct LlamaLayerWeights {
  std::vector<float> attention_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
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
