#pragma once
// A GPT-2 decoder (model_type gpt2) as read from a Hugging Face folder, in PyTorch's nn.Linear layout ([out][in],
// f32): GPT-2's Conv1D weights ([in][out]) are transposed, and the fused c_attn is split into q, k and v.
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

struct Gpt2Config {
  int dim = 0, layers = 0, heads = 0, inner = 0, vocab_size = 0, positions = 0;
  float epsilon = 1e-5f;
};

struct Gpt2LayerWeights {
  std::vector<float> ln1_weight, ln1_bias, wq, bq, wk, bk, wv, bv, wo, bo;
  std::vector<float> ln2_weight, ln2_bias, w_fc, b_fc, w_proj, b_proj;
};

struct Gpt2Checkpoint {
  std::string source;
  Gpt2Config config;
  std::vector<float> token_embedding;     // [vocab][dim], also the (tied) classifier
  std::vector<float> position_embedding;  // [positions][dim]
  std::vector<Gpt2LayerWeights> layers;
  std::vector<float> final_norm_weight, final_norm_bias;
  TokenizerData tokenizer;
  std::string tokenizer_note;
};

// Throws ConvertError naming the key for configurations this runtime does not run.
Gpt2Checkpoint read_hf_gpt2(const std::string& folder);

}  // namespace edgeformer::converter
