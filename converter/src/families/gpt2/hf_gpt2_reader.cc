#include <filesystem>

#include "convert_error.h"
#include "families/gpt2/gpt2_checkpoint.h"
#include "io/json_file.h"
#include "io/safetensors_reader.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::converter {

namespace {

using nlohmann::json;

// Conv1D stores [in][out]; the kernels read [out][in].
std::vector<float> transposed(const std::vector<float>& w, int64_t in, int64_t out) {
  std::vector<float> t(w.size());
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o) t[o * in + i] = w[i * out + o];
  return t;
}

// Hub checkpoints name tensors "h.0...."; GPT2LMHeadModel's own state dict "transformer.h.0....".
std::string tensor_prefix(const SafetensorsSet& weights) {
  return weights.contains("wte.weight") ? "" : "transformer.";
}

}  // namespace

Gpt2Checkpoint read_hf_gpt2(const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(folder) / "config.json").string();
  const json config = read_json(config_path);
  const std::string act = config_value_or<std::string>(config, config_path, "activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    throw ConvertError(config_path + ": activation_function \"" + act + "\" is not supported (gelu_new)");
  for (const char* key : {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention"})
    if (config_value_or<bool>(config, config_path, key, false))
      throw ConvertError(config_path + ": \"" + std::string(key) + "\": true is not supported");
  if (!config_value_or<bool>(config, config_path, "scale_attn_weights", true))
    throw ConvertError(config_path + ": \"scale_attn_weights\": false is not supported");
  if (!config_value_or<bool>(config, config_path, "tie_word_embeddings", true))
    throw ConvertError(config_path + ": \"tie_word_embeddings\": false is not supported");

  Gpt2Checkpoint ckpt;
  ckpt.source = "huggingface:" + folder;
  Gpt2Config& c = ckpt.config;
  c.dim = config_value<int>(config, config_path, "n_embd");
  c.layers = config_value<int>(config, config_path, "n_layer");
  c.heads = config_value<int>(config, config_path, "n_head");
  c.inner = config_value_or<int>(config, config_path, "n_inner", 4 * c.dim);
  c.vocab_size = config_value<int>(config, config_path, "vocab_size");
  c.positions = config_value<int>(config, config_path, "n_positions");
  c.epsilon = config_value_or<float>(config, config_path, "layer_norm_epsilon", 1e-5f);
  if (c.dim < 2 || c.layers < 1 || c.heads < 1 || c.dim % c.heads != 0 || (c.dim / c.heads) % 2 != 0 ||
      c.inner < 1 || c.vocab_size < 1 || c.positions < 1 || !(c.epsilon > 0.0f))
    throw ConvertError(config_path + ": n_embd " + std::to_string(c.dim) + ", n_head " + std::to_string(c.heads) +
                       ", n_layer " + std::to_string(c.layers) + ": not a GPT-2 shape this runtime runs (n_embd " +
                       "must split into n_head heads of an even size)");

  const SafetensorsSet weights = SafetensorsSet::open_folder(folder);
  const std::string t = tensor_prefix(weights);
  const int64_t dim = c.dim, inner = c.inner;
  ckpt.token_embedding = weights.read_f32(t + "wte.weight", {c.vocab_size, dim});
  ckpt.position_embedding = weights.read_f32(t + "wpe.weight", {c.positions, dim});
  ckpt.layers.resize(c.layers);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = t + "h." + std::to_string(l) + ".";
    Gpt2LayerWeights& w = ckpt.layers[l];
    w.ln1_weight = weights.read_f32(p + "ln_1.weight", {dim});
    w.ln1_bias = weights.read_f32(p + "ln_1.bias", {dim});
    // c_attn: [dim][3 dim] -> rows q, k, v of [dim][dim] each.
    const std::vector<float> qkv = transposed(weights.read_f32(p + "attn.c_attn.weight", {dim, 3 * dim}), dim, 3 * dim);
    const std::vector<float> qkv_bias = weights.read_f32(p + "attn.c_attn.bias", {3 * dim});
    const size_t block = size_t(dim) * size_t(dim);
    w.wq.assign(qkv.begin(), qkv.begin() + block);
    w.wk.assign(qkv.begin() + block, qkv.begin() + 2 * block);
    w.wv.assign(qkv.begin() + 2 * block, qkv.end());
    w.bq.assign(qkv_bias.begin(), qkv_bias.begin() + dim);
    w.bk.assign(qkv_bias.begin() + dim, qkv_bias.begin() + 2 * dim);
    w.bv.assign(qkv_bias.begin() + 2 * dim, qkv_bias.end());
    w.wo = transposed(weights.read_f32(p + "attn.c_proj.weight", {dim, dim}), dim, dim);
    w.bo = weights.read_f32(p + "attn.c_proj.bias", {dim});
    w.ln2_weight = weights.read_f32(p + "ln_2.weight", {dim});
    w.ln2_bias = weights.read_f32(p + "ln_2.bias", {dim});
    w.w_fc = transposed(weights.read_f32(p + "mlp.c_fc.weight", {dim, inner}), dim, inner);
    w.b_fc = weights.read_f32(p + "mlp.c_fc.bias", {inner});
    w.w_proj = transposed(weights.read_f32(p + "mlp.c_proj.weight", {inner, dim}), inner, dim);
    w.b_proj = weights.read_f32(p + "mlp.c_proj.bias", {dim});
  }
  ckpt.final_norm_weight = weights.read_f32(t + "ln_f.weight", {dim});
  ckpt.final_norm_bias = weights.read_f32(t + "ln_f.bias", {dim});

  const std::string tokenizer_path = (fs::path(folder) / "tokenizer.json").string();
  const int bos = special_id(config, "bos_token_id"), eos = special_id(config, "eos_token_id");
  if (fs::exists(tokenizer_path)) {
    std::string why_not;
    ckpt.tokenizer = read_hf_tokenizer(tokenizer_path, c.vocab_size, bos, eos, why_not);
    if (!why_not.empty()) ckpt.tokenizer_note = tokenizer_path + ": " + why_not + "; the model has no tokenizer";
  } else {
    ckpt.tokenizer_note = folder + ": no tokenizer.json; the model has no tokenizer (use --prompt-ids)";
  }
  if (ckpt.tokenizer.kind == schema::TokenizerKind::None) {
    ckpt.tokenizer.bos_id = bos;
    ckpt.tokenizer.eos_id = eos;
  }
  return ckpt;
}

}  // namespace edgeformer::converter
