#include <cmath>
#include <filesystem>

#include "convert_error.h"
#include "families/marian/marian_checkpoint.h"
#include "io/json_file.h"
#include "io/safetensors_reader.h"
#include "tokenizers/sentencepiece_reader.h"

namespace edgeformer::converter {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void check_config(const json& config, const std::string& path) {
  for (const char* key : {"normalize_before", "add_final_layer_norm", "normalize_embedding", "add_bias_logits"})
    if (config_value_or<bool>(config, path, key, false))
      throw ConvertError(path + ": \"" + std::string(key) + "\": true is not supported (Marian's post-norm layout)");
  for (const char* key : {"share_encoder_decoder_embeddings", "tie_word_embeddings", "static_position_embeddings"})
    if (!config_value_or<bool>(config, path, key, true))
      throw ConvertError(path + ": \"" + std::string(key) + "\": false is not supported");
  const int vocab = config_value<int>(config, path, "vocab_size");
  if (config_value_or<int>(config, path, "decoder_vocab_size", vocab) != vocab)
    throw ConvertError(path + ": \"decoder_vocab_size\" differs from \"vocab_size\": not supported");
}

MarianAttentionWeights read_attention(const SafetensorsSet& weights, const std::string& p, int64_t dim) {
  MarianAttentionWeights a;
  a.wq = weights.read_f32(p + ".q_proj.weight", {dim, dim});
  a.bq = weights.read_f32(p + ".q_proj.bias", {dim});
  a.wk = weights.read_f32(p + ".k_proj.weight", {dim, dim});
  a.bk = weights.read_f32(p + ".k_proj.bias", {dim});
  a.wv = weights.read_f32(p + ".v_proj.weight", {dim, dim});
  a.bv = weights.read_f32(p + ".v_proj.bias", {dim});
  a.wo = weights.read_f32(p + ".out_proj.weight", {dim, dim});
  a.bo = weights.read_f32(p + ".out_proj.bias", {dim});
  a.norm_weight = weights.read_f32(p + "_layer_norm.weight", {dim});
  a.norm_bias = weights.read_f32(p + "_layer_norm.bias", {dim});
  return a;
}

std::vector<MarianLayerWeights> read_layers(const SafetensorsSet& weights, const std::string& side, int layers,
                                            int64_t dim, int64_t ffn) {
  std::vector<MarianLayerWeights> result(layers);
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model." + side + ".layers." + std::to_string(l) + ".";
    MarianLayerWeights& w = result[l];
    w.self_attention = read_attention(weights, p + "self_attn", dim);
    if (side == "decoder") w.cross_attention = read_attention(weights, p + "encoder_attn", dim);
    w.w1 = weights.read_f32(p + "fc1.weight", {ffn, dim});
    w.b1 = weights.read_f32(p + "fc1.bias", {ffn});
    w.w2 = weights.read_f32(p + "fc2.weight", {dim, ffn});
    w.b2 = weights.read_f32(p + "fc2.bias", {dim});
    w.final_norm_weight = weights.read_f32(p + "final_layer_norm.weight", {dim});
    w.final_norm_bias = weights.read_f32(p + "final_layer_norm.bias", {dim});
  }
  return result;
}

}  // namespace

std::vector<float> sinusoidal_positions(int positions, int dim) {
  std::vector<float> table(size_t(positions) * size_t(dim));
  const int half = dim / 2;
  for (int p = 0; p < positions; ++p)
    for (int i = 0; i < half; ++i) {
      const double angle = p / std::pow(10000.0, 2.0 * i / dim);
      table[size_t(p) * dim + i] = static_cast<float>(std::sin(angle));
      table[size_t(p) * dim + half + i] = static_cast<float>(std::cos(angle));
    }
  return table;
}

MarianCheckpoint read_hf_marian(const std::string& folder) {
  const std::string config_path = (fs::path(folder) / "config.json").string();
  const json config = read_json(config_path);
  check_config(config, config_path);
  MarianCheckpoint ckpt;
  ckpt.source = "huggingface:" + folder;
  MarianConfig& c = ckpt.config;
  c.dim = config_value<int>(config, config_path, "d_model");
  c.encoder_layers = config_value<int>(config, config_path, "encoder_layers");
  c.decoder_layers = config_value<int>(config, config_path, "decoder_layers");
  c.encoder_heads = config_value<int>(config, config_path, "encoder_attention_heads");
  c.decoder_heads = config_value<int>(config, config_path, "decoder_attention_heads");
  c.encoder_ffn = config_value<int>(config, config_path, "encoder_ffn_dim");
  c.decoder_ffn = config_value<int>(config, config_path, "decoder_ffn_dim");
  c.vocab_size = config_value<int>(config, config_path, "vocab_size");
  c.positions = config_value<int>(config, config_path, "max_position_embeddings");
  c.scale_embedding = config_value_or<bool>(config, config_path, "scale_embedding", false);
  c.pad_id = config_value<int>(config, config_path, "pad_token_id");
  c.eos_id = special_id(config, "eos_token_id");
  c.decoder_start_id = config_value_or<int>(config, config_path, "decoder_start_token_id", c.pad_id);
  const std::string act = config_value_or<std::string>(config, config_path, "activation_function", "gelu");
  if (act == "swish" || act == "silu") {
    c.activation = schema::ActivationFunction::Silu;
  } else if (act == "relu") {
    c.activation = schema::ActivationFunction::Relu;
  } else if (act == "gelu") {
    c.gelu = true;
  } else {
    throw ConvertError(config_path + ": \"activation_function\": \"" + act + "\" is not supported (swish, relu, gelu)");
  }
  const auto heads_fit = [&](int heads) { return heads >= 1 && c.dim % heads == 0 && (c.dim / heads) % 2 == 0; };
  if (c.dim < 2 || c.dim % 2 != 0 || c.encoder_layers < 1 || c.decoder_layers < 1 || !heads_fit(c.encoder_heads) ||
      !heads_fit(c.decoder_heads) || c.encoder_ffn < 1 || c.decoder_ffn < 1 || c.vocab_size < 1 || c.positions < 1)
    throw ConvertError(config_path + ": d_model " + std::to_string(c.dim) + " with " +
                       std::to_string(c.encoder_heads) + "/" + std::to_string(c.decoder_heads) +
                       " heads: not a Marian shape this runtime runs (d_model must split into heads of an even size)");
  for (int id : {c.pad_id, c.eos_id, c.decoder_start_id})
    if (id < 0 || id >= c.vocab_size)
      throw ConvertError(config_path + ": pad, eos and decoder start token ids must be in [0, vocab_size)");

  const SafetensorsSet weights = SafetensorsSet::open_folder(folder);
  const int64_t dim = c.dim;
  // The shared table is saved once, under whichever of its tied names the saver kept.
  std::string shared = "model.shared.weight";
  for (const char* name : {"model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"})
    if (!weights.contains(shared) && weights.contains(name)) shared = name;
  ckpt.shared_embedding = weights.read_f32(shared, {c.vocab_size, dim});
  ckpt.final_logits_bias = weights.contains("final_logits_bias")
                               ? weights.read_f32("final_logits_bias", {1, c.vocab_size})
                               : std::vector<float>(size_t(c.vocab_size), 0.0f);
  ckpt.encoder = read_layers(weights, "encoder", c.encoder_layers, dim, c.encoder_ffn);
  ckpt.decoder = read_layers(weights, "decoder", c.decoder_layers, dim, c.decoder_ffn);
  // The decoder starts from decoder_start_token_id (the model's BOS), stops at EOS, and never emits the pad token.
  const bool has_tokenizer = fs::exists(fs::path(folder) / "source.spm") && fs::exists(fs::path(folder) / "vocab.json");
  if (has_tokenizer && have_sentencepiece()) {
    ckpt.tokenizer = read_marian_tokenizer(folder, c.vocab_size, c.decoder_start_id, c.eos_id, c.pad_id);
  } else {
    // Still a model: it translates from ids.
    ckpt.tokenizer.bos_id = c.decoder_start_id;
    ckpt.tokenizer.eos_id = c.eos_id;
    ckpt.tokenizer.pad_id = c.pad_id;
    ckpt.tokenizer_note = folder + (has_tokenizer ? ": this converter was built without libsentencepiece-dev"
                                                  : ": no source.spm and vocab.json") +
                          "; the model has no tokenizer (use --source-ids)";
  }
  return ckpt;
}

}  // namespace edgeformer::converter
