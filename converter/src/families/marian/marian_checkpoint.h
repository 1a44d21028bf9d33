#pragma once
// A Marian encoder-decoder (model_type marian: MarianMTModel, the opus-mt translation models) as read from a Hugging
// Face folder, in nn.Linear layout ([out][in], f32).
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

struct MarianConfig {
  int dim = 0, encoder_layers = 0, decoder_layers = 0, encoder_heads = 0, decoder_heads = 0;
  int encoder_ffn = 0, decoder_ffn = 0, vocab_size = 0, positions = 0;
  int decoder_start_id = -1, eos_id = -1, pad_id = -1;
  bool scale_embedding = true;
  schema::ActivationFunction activation = schema::ActivationFunction::Silu;
  bool gelu = false;  // activation_function gelu (erf) instead of `activation`
};

struct MarianAttentionWeights {
  std::vector<float> wq, bq, wk, bk, wv, bv, wo, bo, norm_weight, norm_bias;
};

struct MarianLayerWeights {
  MarianAttentionWeights self_attention, cross_attention;  // cross: decoder layers only
  std::vector<float> w1, b1, w2, b2, final_norm_weight, final_norm_bias;
};

struct MarianCheckpoint {
  std::string source;
  MarianConfig config;
  std::vector<float> shared_embedding;   // [vocab][dim]: encoder and decoder inputs, and the tied classifier
  std::vector<float> final_logits_bias;  // [vocab]
  std::vector<MarianLayerWeights> encoder, decoder;
  TokenizerData tokenizer;
  std::string tokenizer_note;
};

// Throws ConvertError naming the key for configurations this runtime does not run.
MarianCheckpoint read_hf_marian(const std::string& folder);

// MarianSinusoidalPositionalEmbedding: row p holds sin(p w_i) in its first half and cos(p w_i) in its second,
// w_i = 10000^(-2i / dim).
std::vector<float> sinusoidal_positions(int positions, int dim);

}  // namespace edgeformer::converter
