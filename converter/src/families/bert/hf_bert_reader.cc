#include <filesystem>

#include "convert_error.h"
#include "families/bert/bert_checkpoint.h"
#include "io/json_file.h"
#include "io/safetensors_reader.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::converter {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void check_config(const json& config, const std::string& path) {
  const std::string positions = config_value_or<std::string>(config, path, "position_embedding_type", "absolute");
  if (positions != "absolute")
    throw ConvertError(path + ": \"position_embedding_type\": \"" + positions + "\" is not supported (absolute)");
  for (const char* key : {"is_decoder", "add_cross_attention"})
    if (config_value_or<bool>(config, path, key, false))
      throw ConvertError(path + ": \"" + std::string(key) + "\": true is not supported (an encoder is converted)");
  const std::string problem = config_value_or<std::string>(config, path, "problem_type", "");
  if (problem == "regression")
    throw ConvertError(path + ": \"problem_type\": \"regression\" is not supported (classification)");
}

// Only heads the runtime can run: a sequence classifier; heads over each token or the vocabulary would need
// their own outputs.
bool has_sequence_classifier(const json& config, const std::string& path) {
  const json& architectures = config.value("architectures", json::array());
  bool classifier = false;
  for (const json& a : architectures) {
    const std::string name = a.is_string() ? a.get<std::string>() : std::string();
    if (name == "BertForSequenceClassification") {
      classifier = true;
    } else if (name != "BertModel" && name != "BertForMaskedLM" && name != "BertForPreTraining") {
      throw ConvertError(path + ": \"architectures\": " + name +
                         " is not supported (BertModel, BertForSequenceClassification)");
    }
  }
  return classifier;
}

// LayerNorm parameters: "weight"/"bias", or "gamma"/"beta" in checkpoints converted from TensorFlow.
std::vector<float> norm_parameter(const SafetensorsSet& weights, const std::string& prefix, bool weight,
                                  int64_t dim) {
  const std::string modern = prefix + (weight ? "weight" : "bias");
  if (weights.contains(modern)) return weights.read_f32(modern, {dim});
  return weights.read_f32(prefix + (weight ? "gamma" : "beta"), {dim});
}

void read_labels(const json& config, const std::string& path, int count, BertCheckpoint& ckpt) {
  const json& names = config.value("id2label", json::object());
  ckpt.labels.resize(count);
  for (int i = 0; i < count; ++i) {
    const std::string key = std::to_string(i);
    ckpt.labels[i] = names.contains(key) && names.at(key).is_string() ? names.at(key).get<std::string>()
                                                                      : "LABEL_" + key;
  }
  ckpt.multi_label = config_value_or<std::string>(config, path, "problem_type", "") == "multi_label_classification";
}

// sentence-transformers: modules.json lists Transformer, Pooling and optionally Normalize; anything else (a Dense
// projection, another pooling) is refused by name.
void read_sentence_transformers(const std::string& folder, BertCheckpoint& ckpt) {
  const std::string modules_path = (fs::path(folder) / "modules.json").string();
  const json modules = read_json(modules_path);
  if (!modules.is_array()) throw ConvertError(modules_path + ": expected a list of modules");
  bool pooling = false;
  for (const json& module : modules) {
    const std::string type = module.value("type", std::string());
    const std::string path = module.value("path", std::string());
    if (type == "sentence_transformers.models.Transformer") continue;
    if (type == "sentence_transformers.models.Normalize") {
      ckpt.normalize = true;
    } else if (type == "sentence_transformers.models.Pooling") {
      const std::string config_path = (fs::path(folder) / path / "config.json").string();
      const json config = read_json(config_path);
      const bool cls = config_value_or<bool>(config, config_path, "pooling_mode_cls_token", false);
      const bool mean = config_value_or<bool>(config, config_path, "pooling_mode_mean_tokens", false);
      for (const char* key : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                              "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
        if (config_value_or<bool>(config, config_path, key, false))
          throw ConvertError(config_path + ": \"" + std::string(key) + "\": true is not supported (cls or mean)");
      if (cls == mean)
        throw ConvertError(config_path + ": exactly one of \"pooling_mode_cls_token\" and "
                           "\"pooling_mode_mean_tokens\" must be true");
      ckpt.pooling = cls ? SentencePooling::kCls : SentencePooling::kMean;
      pooling = true;
    } else {
      throw ConvertError(modules_path + ": module \"" + type + "\" is not supported (Transformer, Pooling, Normalize)");
    }
  }
  if (!pooling) throw ConvertError(modules_path + ": no sentence_transformers.models.Pooling module");
  const std::string st_config_path = (fs::path(folder) / "sentence_bert_config.json").string();
  if (fs::exists(st_config_path))
    ckpt.max_sequence = config_value_or<int>(read_json(st_config_path), st_config_path, "max_seq_length", 0);
}

void read_tokenizer(const std::string& folder, const json& config, BertCheckpoint& ckpt) {
  const std::string tokenizer_json = (fs::path(folder) / "tokenizer.json").string();
  const std::string vocab_txt = (fs::path(folder) / "vocab.txt").string();
  const int vocab = ckpt.config.vocab_size;
  if (fs::exists(tokenizer_json)) {
    std::string why_not;
    ckpt.tokenizer = read_hf_tokenizer(tokenizer_json, vocab, -1, -1, why_not);
    if (!why_not.empty()) ckpt.tokenizer_note = tokenizer_json + ": " + why_not + "; the model has no tokenizer";
  } else if (fs::exists(vocab_txt)) {
    ckpt.tokenizer = read_wordpiece_vocab(vocab_txt, vocab);
  } else {
    ckpt.tokenizer_note = folder + ": no tokenizer.json or vocab.txt; the model has no tokenizer";
  }
  if (ckpt.tokenizer.kind == schema::TokenizerKind::None) ckpt.tokenizer.pad_id = special_id(config, "pad_token_id");
}

}  // namespace

BertCheckpoint read_hf_bert(const std::string& folder) {
  const std::string config_path = (fs::path(folder) / "config.json").string();
  const json config = read_json(config_path);
  check_config(config, config_path);
  BertCheckpoint ckpt;
  ckpt.source = "huggingface:" + folder;
  BertConfig& c = ckpt.config;
  c.dim = config_value<int>(config, config_path, "hidden_size");
  c.layers = config_value<int>(config, config_path, "num_hidden_layers");
  c.heads = config_value<int>(config, config_path, "num_attention_heads");
  c.inner = config_value<int>(config, config_path, "intermediate_size");
  c.vocab_size = config_value<int>(config, config_path, "vocab_size");
  c.positions = config_value<int>(config, config_path, "max_position_embeddings");
  c.token_types = config_value_or<int>(config, config_path, "type_vocab_size", 2);
  c.epsilon = config_value_or<float>(config, config_path, "layer_norm_eps", 1e-12f);
  const std::string act = config_value_or<std::string>(config, config_path, "hidden_act", "gelu");
  if (act != "gelu" && act != "gelu_new" && act != "gelu_pytorch_tanh")
    throw ConvertError(config_path + ": \"hidden_act\": \"" + act + "\" is not supported (gelu, gelu_new)");
  c.gelu_tanh = act != "gelu";
  if (c.dim < 2 || c.layers < 1 || c.heads < 1 || c.dim % c.heads != 0 || (c.dim / c.heads) % 2 != 0 ||
      c.inner < 1 || c.vocab_size < 1 || c.positions < 1 || c.token_types < 1 || !(c.epsilon > 0.0f))
    throw ConvertError(config_path + ": hidden_size " + std::to_string(c.dim) + ", num_attention_heads " +
                       std::to_string(c.heads) + ", num_hidden_layers " + std::to_string(c.layers) +
                       ": not a BERT shape this runtime runs (hidden_size must split into heads of an even size)");
  const bool classifier = has_sequence_classifier(config, config_path);
  if (fs::exists(fs::path(folder) / "modules.json")) read_sentence_transformers(folder, ckpt);

  const SafetensorsSet weights = SafetensorsSet::open_folder(folder);
  // BertModel's own state dict has no prefix; the task models' (and some sentence-transformers') "bert.".
  const std::string t = weights.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const int64_t dim = c.dim, inner = c.inner;
  ckpt.word_embedding = weights.read_f32(t + "embeddings.word_embeddings.weight", {c.vocab_size, dim});
  ckpt.position_embedding = weights.read_f32(t + "embeddings.position_embeddings.weight", {c.positions, dim});
  ckpt.token_type_embedding = weights.read_f32(t + "embeddings.token_type_embeddings.weight", {c.token_types, dim});
  ckpt.embedding_norm_weight = norm_parameter(weights, t + "embeddings.LayerNorm.", true, dim);
  ckpt.embedding_norm_bias = norm_parameter(weights, t + "embeddings.LayerNorm.", false, dim);
  ckpt.layers.resize(c.layers);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = t + "encoder.layer." + std::to_string(l) + ".";
    BertLayerWeights& w = ckpt.layers[l];
    w.wq = weights.read_f32(p + "attention.self.query.weight", {dim, dim});
    w.bq = weights.read_f32(p + "attention.self.query.bias", {dim});
    w.wk = weights.read_f32(p + "attention.self.key.weight", {dim, dim});
    w.bk = weights.read_f32(p + "attention.self.key.bias", {dim});
    w.wv = weights.read_f32(p + "attention.self.value.weight", {dim, dim});
    w.bv = weights.read_f32(p + "attention.self.value.bias", {dim});
    w.wo = weights.read_f32(p + "attention.output.dense.weight", {dim, dim});
    w.bo = weights.read_f32(p + "attention.output.dense.bias", {dim});
    w.attention_norm_weight = norm_parameter(weights, p + "attention.output.LayerNorm.", true, dim);
    w.attention_norm_bias = norm_parameter(weights, p + "attention.output.LayerNorm.", false, dim);
    w.w_in = weights.read_f32(p + "intermediate.dense.weight", {inner, dim});
    w.b_in = weights.read_f32(p + "intermediate.dense.bias", {inner});
    w.w_out = weights.read_f32(p + "output.dense.weight", {dim, inner});
    w.b_out = weights.read_f32(p + "output.dense.bias", {dim});
    w.output_norm_weight = norm_parameter(weights, p + "output.LayerNorm.", true, dim);
    w.output_norm_bias = norm_parameter(weights, p + "output.LayerNorm.", false, dim);
  }
  // A sentence head replaces the pooler (sentence-transformers ignores it); a classifier needs it.
  if (ckpt.pooling == SentencePooling::kNone && (classifier || weights.contains(t + "pooler.dense.weight"))) {
    ckpt.pooler_weight = weights.read_f32(t + "pooler.dense.weight", {dim, dim});
    ckpt.pooler_bias = weights.read_f32(t + "pooler.dense.bias", {dim});
  }
  if (classifier && ckpt.pooling == SentencePooling::kNone) {
    const std::vector<int64_t> shape = weights.shape("classifier.weight");
    if (shape.size() != 2 || shape[1] != dim || shape[0] < 1 || shape[0] > (1 << 20))
      throw ConvertError(folder + ": classifier.weight must be [labels, " + std::to_string(dim) + "]");
    const int labels = static_cast<int>(shape[0]);
    ckpt.classifier_weight = weights.read_f32("classifier.weight", {labels, dim});
    ckpt.classifier_bias = weights.read_f32("classifier.bias", {labels});
    read_labels(config, config_path, labels, ckpt);
  }
  read_tokenizer(folder, config, ckpt);
  return ckpt;
}

}  // namespace edgeformer::converter
