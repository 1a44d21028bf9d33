#include "families/llama/hf_llama_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "convert_error.h"
#include "families/llama/hf_rope_scaling.h"
#include "io/json_file.h"
#include "io/safetensors_reader.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::converter {

using nlohmann::json;

namespace {

bool is_gemma(const std::string& family) {
  return family == "gemma" || family == "gemma2" || family == "gemma3_text";
}

// The feed-forward's gate: silu (LLaMA's layout), or Gemma's GELU (hidden_activation, else hidden_act; the tanh
// approximation unless the config says the exact one).
schema::GateActivation gate_activation(const json& config, const std::string& path, const std::string& family) {
  if (!is_gemma(family)) {
    const std::string act = config_value_or<std::string>(config, path, "hidden_act", "silu");
    if (act != "silu") throw ConvertError(path + ": hidden_act \"" + act + "\" is not supported (silu)");
    return schema::GateActivation::Silu;
  }
  const char* key = config.contains("hidden_activation") && !config["hidden_activation"].is_null()
                        ? "hidden_activation"
                        : "hidden_act";
  const std::string act = config_value_or<std::string>(config, path, key, "gelu_pytorch_tanh");
  if (act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_fast") return schema::GateActivation::GeluTanh;
  if (act == "gelu") return schema::GateActivation::Gelu;
  throw ConvertError(path + ": " + key + " \"" + act + "\" is not supported (gelu_pytorch_tanh, gelu)");
}

// Gemma's config beyond LLaMA's: the embedding scale, and for Gemma 2 / 3 the output norms, the score scale, the
// soft-caps and Gemma 3's local RoPE base.
void read_gemma_config(const json& config, const std::string& path, const std::string& family, LlamaConfig& c) {
  c.embedding_scale = std::sqrt(float(c.dim));
  if (family == "gemma") return;
  c.output_norms = true;
  const float scalar = config_value_or<float>(config, path, "query_pre_attn_scalar", float(c.head_size()));
  if (!(scalar > 0.0f)) throw ConvertError(path + ": \"query_pre_attn_scalar\" must be positive");
  c.attention_scale = 1.0f / std::sqrt(scalar);
  c.attention_softcap = config_value_or<float>(config, path, "attn_logit_softcapping", 0.0f);
  c.final_softcap = config_value_or<float>(config, path, "final_logit_softcapping", 0.0f);
  if (c.attention_softcap < 0.0f || c.final_softcap < 0.0f)
    throw ConvertError(path + ": soft-capping values must be positive");
  if (family == "gemma3_text") c.local_rope_theta = config_value_or<float>(config, path, "rope_local_base_freq", 10000.0f);
}

// Gemma's RMSNorms scale by (1 + weight), as transformers computes it in float32: folded into the weights here.
void fold_gemma_norms(LlamaCheckpoint& ckpt) {
  auto fold = [](std::vector<float>& w) {
    for (float& v : w) v = 1.0f + v;
  };
  fold(ckpt.final_norm);
  for (LlamaLayerWeights& w : ckpt.layers)
    for (std::vector<float>* norm : {&w.attention_norm, &w.ffn_norm, &w.q_norm, &w.k_norm, &w.post_attention_norm,
                                     &w.post_ffn_norm})
      fold(*norm);
}

// Rows [first, first + count) of a row-major matrix of `cols` columns.
std::vector<float> row_block(const std::vector<float>& m, int64_t first, int64_t count, int64_t cols) {
  return std::vector<float>(m.begin() + first * cols, m.begin() + (first + count) * cols);
}

// Which layers attend through a sliding window, and its length. Mistral and Phi-3: every layer, when
// sliding_window is set. Qwen2 / Qwen3: with use_sliding_window, the layers from max_window_layers on, or those
// layer_types names "sliding_attention". LLaMA has none.
std::vector<int> read_sliding_windows(const json& config, const std::string& path, const std::string& family,
                                      int layers) {
  if (family == "llama" || family == "gemma") return {};
  const int window = config_value_or<int>(config, path, "sliding_window", 0);
  if (family == "mistral" || family == "phi3") {
    if (window == 0) return {};
    if (window < 1) throw ConvertError(path + ": \"sliding_window\" must be positive, found " + std::to_string(window));
    return std::vector<int>(size_t(layers), window);
  }
  if (family == "gemma2" || family == "gemma3_text") {
    // Gemma 2 alternates sliding and global layers (the even ones slide); Gemma 3 slides on all but every
    // sliding_window_pattern-th; layer_types, when present, says it per layer.
    if (window < 1) throw ConvertError(path + ": \"sliding_window\" must be positive, found " + std::to_string(window));
  } else if (!config_value_or<bool>(config, path, "use_sliding_window", false)) {
    return {};
  }
  if (window < 1)
    throw ConvertError(path + ": \"use_sliding_window\" needs a positive \"sliding_window\", found " +
                       std::to_string(window));
  std::vector<int> windows(size_t(layers), 0);
  if (config.contains("layer_types") && !config["layer_types"].is_null()) {
    const auto types = config_value<std::vector<std::string>>(config, path, "layer_types");
    if (types.size() != size_t(layers))
      throw ConvertError(path + ": \"layer_types\" names " + std::to_string(types.size()) + " layers of " +
                         std::to_string(layers));
    for (int l = 0; l < layers; ++l) {
      if (types[l] != "sliding_attention" && types[l] != "full_attention")
        throw ConvertError(path + ": \"layer_types\" entry \"" + types[l] +
                           "\" is not supported (full_attention, sliding_attention)");
      if (types[l] == "sliding_attention") windows[l] = window;
    }
    return windows;
  }
  if (family == "gemma2" || family == "gemma3_text") {
    const int pattern = family == "gemma2" ? 2 : config_value_or<int>(config, path, "sliding_window_pattern", 6);
    if (pattern < 1) throw ConvertError(path + ": \"sliding_window_pattern\" must be positive");
    for (int l = 0; l < layers; ++l) windows[l] = (l + 1) % pattern != 0 ? window : 0;
    return windows;
  }
  const int first = config_value_or<int>(config, path, "max_window_layers", layers);
  for (int l = std::max(first, 0); l < layers; ++l) windows[l] = window;
  return windows;
}

// LLaMA (model_type llama) and the decoders laid out as it is with a little more: Qwen2 / Qwen2.5 (qwen2: q, k and
// v biases), Qwen3 (qwen3: an RMSNorm of each head of q and k before RoPE, attention_bias as LLaMA's), Mistral
// (mistral: a sliding window) and Phi-3 (phi3: fused projections, partial rotary, LongRoPE, a sliding window).
// Every key that changes the computation and is not implemented is refused by name.
LlamaCheckpoint read_llama_layout(const std::string& folder, const std::string& family) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(folder) / "config.json").string();
  const json config = read_json(config_path);
  const std::string model_type = config.value("model_type", "");
  if (model_type != family)
    throw ConvertError(config_path + ": model_type \"" + model_type + "\" is not the " + family + " family's");
  for (const char* key : {"quantization_config"})
    if (config.contains(key) && !config[key].is_null())
      throw ConvertError(config_path + ": \"" + key + "\" is not supported: " + config[key].dump());
  const bool gemma = is_gemma(family);

  LlamaCheckpoint ckpt;
  ckpt.source = "huggingface:" + folder;
  LlamaConfig& c = ckpt.config;
  c.dim = config_value<int>(config, config_path, "hidden_size");
  c.hidden_dim = config_value<int>(config, config_path, "intermediate_size");
  c.layers = config_value<int>(config, config_path, "num_hidden_layers");
  c.heads = config_value<int>(config, config_path, "num_attention_heads");
  c.kv_heads = config_value_or<int>(config, config_path, "num_key_value_heads", c.heads);
  c.vocab_size = config_value<int>(config, config_path, "vocab_size");
  c.max_context = config_value_or<int>(config, config_path, "max_position_embeddings", 2048);
  c.rope_theta = config_value_or<float>(config, config_path, "rope_theta", 10000.0f);
  c.norm_epsilon = config_value_or<float>(config, config_path, "rms_norm_eps", 1e-6f);
  c.rope_style = schema::RopeStyle::Half;
  c.architecture = family;
  if (config.contains("head_dim") && !config["head_dim"].is_null())
    c.head_dim = config_value<int>(config, config_path, "head_dim");
  const double partial_rotary = config_value_or<double>(config, config_path, "partial_rotary_factor", 1.0);
  if (family == "phi3") {
    c.rope_dim = int(c.head_size() * partial_rotary);
  } else if (partial_rotary != 1.0) {
    // These families' attention rotates whole heads: a partial rotary factor would fail in transformers too.
    throw ConvertError(config_path + ": \"partial_rotary_factor\" other than 1 is not supported by " + family);
  }
  c.sliding_windows = read_sliding_windows(config, config_path, family, c.layers);
  const bool attention_bias = config_value_or<bool>(config, config_path, "attention_bias", false);
  c.qkv_bias = family == "qwen2" || attention_bias;
  c.o_bias = family != "qwen2" && attention_bias;
  c.qk_norm = family == "qwen3" || family == "gemma3_text";
  c.mlp_bias = family == "llama" && config_value_or<bool>(config, config_path, "mlp_bias", false);
  c.ffn_activation = gate_activation(config, config_path, family);
  if (gemma) read_gemma_config(config, config_path, family, c);
  // Checked before rope_scaling reads the rotary dim and theta; its tables have rotary_dim / 2 entries by making.
  check_llama_config(c, config_path);
  c.rope_scaling = read_rope_scaling(config, config_path, c.rotary_dim(), c.rope_theta, c.max_context);

  const SafetensorsSet weights = SafetensorsSet::open_folder(folder);
  const int64_t dim = c.dim, hidden = c.hidden_dim, q_dim = int64_t(c.head_size()) * c.heads;
  const int64_t kv_dim = int64_t(c.head_size()) * c.kv_heads;
  const int64_t vocab = c.vocab_size;
  const bool fused = family == "phi3";
  ckpt.token_embedding = weights.read_f32("model.embed_tokens.weight", {vocab, dim});
  ckpt.layers.resize(c.layers);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LlamaLayerWeights& w = ckpt.layers[l];
    w.attention_norm = weights.read_f32(p + "input_layernorm.weight", {dim});
    if (fused) {
      // Phi-3: q, k and v are the row blocks of one projection, gate and up the halves of another.
      std::vector<float> qkv = weights.read_f32(p + "self_attn.qkv_proj.weight", {q_dim + 2 * kv_dim, dim});
      w.wq = row_block(qkv, 0, q_dim, dim);
      w.wk = row_block(qkv, q_dim, kv_dim, dim);
      w.wv = row_block(qkv, q_dim + kv_dim, kv_dim, dim);
    } else {
      w.wq = weights.read_f32(p + "self_attn.q_proj.weight", {q_dim, dim});
      w.wk = weights.read_f32(p + "self_attn.k_proj.weight", {kv_dim, dim});
      w.wv = weights.read_f32(p + "self_attn.v_proj.weight", {kv_dim, dim});
    }
    w.wo = weights.read_f32(p + "self_attn.o_proj.weight", {dim, q_dim});
    if (c.qkv_bias) {
      w.bq = weights.read_f32(p + "self_attn.q_proj.bias", {q_dim});
      w.bk = weights.read_f32(p + "self_attn.k_proj.bias", {kv_dim});
      w.bv = weights.read_f32(p + "self_attn.v_proj.bias", {kv_dim});
    }
    if (c.o_bias) w.bo = weights.read_f32(p + "self_attn.o_proj.bias", {dim});
    if (c.qk_norm) {
      w.q_norm = weights.read_f32(p + "self_attn.q_norm.weight", {int64_t(c.head_size())});
      w.k_norm = weights.read_f32(p + "self_attn.k_norm.weight", {int64_t(c.head_size())});
    }
    if (c.output_norms) {
      w.post_attention_norm = weights.read_f32(p + "post_attention_layernorm.weight", {dim});
      w.ffn_norm = weights.read_f32(p + "pre_feedforward_layernorm.weight", {dim});
      w.post_ffn_norm = weights.read_f32(p + "post_feedforward_layernorm.weight", {dim});
    } else {
      w.ffn_norm = weights.read_f32(p + "post_attention_layernorm.weight", {dim});
    }
    if (fused) {
      std::vector<float> gate_up = weights.read_f32(p + "mlp.gate_up_proj.weight", {2 * hidden, dim});
      w.w_gate = row_block(gate_up, 0, hidden, dim);
      w.w_up = row_block(gate_up, hidden, hidden, dim);
    } else {
      w.w_gate = weights.read_f32(p + "mlp.gate_proj.weight", {hidden, dim});
      w.w_up = weights.read_f32(p + "mlp.up_proj.weight", {hidden, dim});
    }
    w.w_down = weights.read_f32(p + "mlp.down_proj.weight", {dim, hidden});
    if (c.mlp_bias) {
      w.b_gate = weights.read_f32(p + "mlp.gate_proj.bias", {hidden});
      w.b_up = weights.read_f32(p + "mlp.up_proj.bias", {hidden});
      w.b_down = weights.read_f32(p + "mlp.down_proj.bias", {dim});
    }
  }
  ckpt.final_norm = weights.read_f32("model.norm.weight", {dim});
  if (gemma) fold_gemma_norms(ckpt);
  const bool tied = config_value_or<bool>(config, config_path, "tie_word_embeddings", gemma);
  // Some tied checkpoints also store lm_head.weight; the embedding is the one copy kept.
  if (!tied) ckpt.classifier = weights.read_f32("lm_head.weight", {vocab, dim});

  const std::string tokenizer_path = (fs::path(folder) / "tokenizer.json").string();
  if (fs::exists(tokenizer_path)) {
    std::string why_not;
    ckpt.tokenizer = read_hf_tokenizer(tokenizer_path, c.vocab_size, special_id(config, "bos_token_id"),
                                       special_id(config, "eos_token_id"), why_not);
    if (!why_not.empty()) ckpt.tokenizer_note = tokenizer_path + ": " + why_not + "; the model has no tokenizer";
  } else {
    ckpt.tokenizer_note = folder + ": no tokenizer.json; the model has no tokenizer (use --prompt-ids)";
  }
  // Without a tokenizer the special ids still matter: generation starts at BOS and stops at EOS.
  if (ckpt.tokenizer.kind == schema::TokenizerKind::None) {
    ckpt.tokenizer.bos_id = special_id(config, "bos_token_id");
    ckpt.tokenizer.eos_id = special_id(config, "eos_token_id");
  }
  return ckpt;
}

}  // namespace

LlamaCheckpoint read_hf_llama(const std::string& folder) { return read_llama_layout(folder, "llama"); }
LlamaCheckpoint read_hf_qwen2(const std::string& folder) { return read_llama_layout(folder, "qwen2"); }
LlamaCheckpoint read_hf_qwen3(const std::string& folder) { return read_llama_layout(folder, "qwen3"); }
LlamaCheckpoint read_hf_mistral(const std::string& folder) { return read_llama_layout(folder, "mistral"); }
LlamaCheckpoint read_hf_phi3(const std::string& folder) { return read_llama_layout(folder, "phi3"); }
LlamaCheckpoint read_hf_gemma(const std::string& folder) { return read_llama_layout(folder, "gemma"); }
LlamaCheckpoint read_hf_gemma2(const std::string& folder) { return read_llama_layout(folder, "gemma2"); }
LlamaCheckpoint read_hf_gemma3_text(const std::string& folder) { return read_llama_layout(folder, "gemma3_text"); }

}  // namespace edgeformer::converter
