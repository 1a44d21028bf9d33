#include "families/llama/llama2c_reader.h"

#include <cstdint>
#include <cstring>
#include <filesystem>

#include "convert_error.h"
#include "io/file_bytes.h"

namespace edgeformer::converter {

namespace {

// Reads little-endian values from a byte buffer with bounds checks.
class ByteReader {
 public:
  ByteReader(const std::vector<uint8_t>& bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

  template <typename T>
  T read(const char* what) {
    T value;
    need(sizeof(T), what);
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::vector<float> floats(size_t count, const std::string& what) {
    need(count * sizeof(float), what.c_str());
    std::vector<float> values(count);
    std::memcpy(values.data(), bytes_.data() + pos_, count * sizeof(float));
    pos_ += count * sizeof(float);
    return values;
  }
  std::string string(size_t length, const char* what) {
    need(length, what);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return s;
  }
  void skip(size_t count, const char* what) {
    need(count, what);
    pos_ += count;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  void need(size_t count, const char* what) {
    if (count > remaining())
      throw ConvertError(path_ + ": truncated at " + what + " (need " + std::to_string(count) + " bytes at offset " +
                         std::to_string(pos_) + ", file has " + std::to_string(bytes_.size()) + ")");
  }
  const std::vector<uint8_t>& bytes_;
  std::string path_;
  size_t pos_ = 0;
};

}  // namespace

LlamaCheckpoint read_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path) {
  const std::vector<uint8_t> bytes = read_file_bytes(checkpoint_path);
  ByteReader in(bytes, checkpoint_path);
  LlamaCheckpoint ckpt;
  ckpt.source = "llama2.c:" + checkpoint_path;
  LlamaConfig& c = ckpt.config;
  c.dim = in.read<int32_t>("header");
  c.hidden_dim = in.read<int32_t>("header");
  c.layers = in.read<int32_t>("header");
  c.heads = in.read<int32_t>("header");
  c.kv_heads = in.read<int32_t>("header");
  const int32_t signed_vocab = in.read<int32_t>("header");
  if (signed_vocab == INT32_MIN)  // its negation would overflow
    throw ConvertError(checkpoint_path + ": header vocab size " + std::to_string(signed_vocab) + " is not plausible");
  c.max_context = in.read<int32_t>("header");
  // A negative vocab size is llama2.c's flag for a classifier stored apart from the embedding.
  const bool shared_classifier = signed_vocab > 0;
  c.vocab_size = signed_vocab > 0 ? signed_vocab : -signed_vocab;
  c.rope_style = schema::RopeStyle::Interleaved;
  c.rope_theta = 10000.0f;
  c.norm_epsilon = 1e-5f;
  check_llama_config(c, checkpoint_path + " header");

  const size_t dim = c.dim, hidden = c.hidden_dim, head_dim = c.dim / c.heads;
  const size_t kv_dim = head_dim * c.kv_heads, layers = c.layers, vocab = c.vocab_size;
  // Guard the products below against a hostile header before any allocation.
  const double expected = 4.0 * (double(vocab) * dim + layers * (2.0 * dim + 2.0 * dim * dim + 2.0 * dim * kv_dim +
                                                                  3.0 * dim * hidden) + dim);
  if (expected > double(in.remaining()))
    throw ConvertError(checkpoint_path + ": header describes " + std::to_string(uint64_t(expected)) +
                       " bytes of weights, file has " + std::to_string(in.remaining()));

  ckpt.token_embedding = in.floats(vocab * dim, "token_embedding_table");
  ckpt.layers.resize(layers);
  auto per_layer = [&](std::vector<float> LlamaLayerWeights::*member, size_t count, const char* name) {
    for (size_t l = 0; l < layers; ++l) ckpt.layers[l].*member = in.floats(count, name);
  };
  per_layer(&LlamaLayerWeights::attention_norm, dim, "rms_att_weight");
  per_layer(&LlamaLayerWeights::wq, dim * dim, "wq");
  per_layer(&LlamaLayerWeights::wk, kv_dim * dim, "wk");
  per_layer(&LlamaLayerWeights::wv, kv_dim * dim, "wv");
  per_layer(&LlamaLayerWeights::wo, dim * dim, "wo");
  per_layer(&LlamaLayerWeights::ffn_norm, dim, "rms_ffn_weight");
  per_layer(&LlamaLayerWeights::w_gate, hidden * dim, "w1");
  per_layer(&LlamaLayerWeights::w_down, dim * hidden, "w2");
  per_layer(&LlamaLayerWeights::w_up, hidden * dim, "w3");
  ckpt.final_norm = in.floats(dim, "rms_final_weight");
  // Legacy RoPE tables (freq_cis_real, freq_cis_imag); RoPE is computed at run time instead.
  in.skip(size_t(c.max_context) * head_dim * sizeof(float), "freq_cis");
  if (!shared_classifier) ckpt.classifier = in.floats(vocab * dim, "wcls");
  if (in.remaining() != 0)
    throw ConvertError(checkpoint_path + ": " + std::to_string(in.remaining()) +
                       " unexpected bytes after the last tensor (is this a llama2.c version-0 checkpoint?)");

  ckpt.tokenizer = read_llama2c_tokenizer(tokenizer_path, c.vocab_size);
  return ckpt;
}

TokenizerData read_llama2c_tokenizer(const std::string& path, int vocab_size) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  ByteReader in(bytes, path);
  TokenizerData tok;
  tok.kind = schema::TokenizerKind::SentencePieceBpe;
  const int32_t max_token_length = in.read<int32_t>("max_token_length");
  if (max_token_length <= 0 || max_token_length > 1 << 16)
    throw ConvertError(path + ": max_token_length " + std::to_string(max_token_length) + " is not plausible");
  for (int i = 0; i < vocab_size; ++i) {
    tok.scores.push_back(in.read<float>("token score"));
    const int32_t length = in.read<int32_t>("token length");
    if (length < 0 || length > max_token_length)
      throw ConvertError(path + ": token " + std::to_string(i) + " has length " + std::to_string(length) +
                         ", max is " + std::to_string(max_token_length));
    tok.pieces.push_back(in.string(length, "token bytes"));
  }
  // llama2.c's conventions: <unk>=0, <s>=1, </s>=2, bytes at <0x00>, a space prepended to the text.
  tok.unk_id = 0;
  tok.bos_id = 1;
  tok.eos_id = 2;
  for (int i = 0; i < vocab_size; ++i)
    if (tok.pieces[i] == "<0x00>") tok.byte_fallback_base = i;
  tok.add_dummy_prefix = true;
  return tok;
}

std::string find_llama2c_tokenizer(const std::string& checkpoint_path) {
  namespace fs = std::filesystem;
  const fs::path checkpoint(checkpoint_path);
  std::vector<fs::path> candidates;
  for (const auto& file : fs::directory_iterator(checkpoint.parent_path().empty() ? "." : checkpoint.parent_path())) {
    const std::string name = file.path().filename().string();
    if (name.rfind("tok", 0) == 0 && file.path().extension() == ".bin") candidates.push_back(file.path());
  }
  if (candidates.size() == 1) return candidates[0].string();
  throw ConvertError(checkpoint.string() + ": found " + std::to_string(candidates.size()) +
                     " tok*.bin tokenizers beside it; name one with --tokenizer");
}

}  // namespace edgeformer::converter
