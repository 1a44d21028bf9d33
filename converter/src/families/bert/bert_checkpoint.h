#pragma once
// A BERT encoder (model_type bert) as read from a Hugging Face folder: BertModel, BertForSequenceClassification,
// or a sentence-transformers folder (modules.json) around a BertModel, in nn.Linear layout ([out][in], f32).
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

struct BertConfig {
  int dim = 0, layers = 0, heads = 0, inner = 0, vocab_size = 0, positions = 0, token_types = 0;
  float epsilon = 1e-12f;
  bool gelu_tanh = false;  // hidden_act gelu (erf) or gelu_new / gelu_pytorch_tanh
};

struct BertLayerWeights {
  std::vector<float> wq, bq, wk, bk, wv, bv, wo, bo, attention_norm_weight, attention_norm_bias;
  std::vector<float> w_in, b_in, w_out, b_out, output_norm_weight, output_norm_bias;
};

// The sentence embedding of a sentence-transformers folder: a pooling of the token rows, then maybe L2
// normalization.
enum class SentencePooling { kNone, kCls, kMean };

struct BertCheckpoint {
  std::string source;
  BertConfig config;
  std::vector<float> word_embedding, position_embedding, token_type_embedding;  // [rows][dim]
  std::vector<float> embedding_norm_weight, embedding_norm_bias;
  std::vector<BertLayerWeights> layers;
  // BertModel's pooler (tanh(W h[CLS] + b)); empty when the checkpoint has none or a sentence head replaces it.
  std::vector<float> pooler_weight, pooler_bias;
  // BertForSequenceClassification: logits = W pooled + b over `labels` classes.
  std::vector<float> classifier_weight, classifier_bias;
  std::vector<std::string> labels;
  bool multi_label = false;
  SentencePooling pooling = SentencePooling::kNone;
  bool normalize = false;
  int max_sequence = 0;  // sentence-transformers' max_seq_length (0: the model's positions)
  TokenizerData tokenizer;
  std::string tokenizer_note;
};

// Throws ConvertError naming the key (or module) for configurations this runtime does not run.
BertCheckpoint read_hf_bert(const std::string& folder);

}  // namespace edgeformer::converter
