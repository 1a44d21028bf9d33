// LLaMA configurations other than stories260K's (multi-head and grouped-query attention, other rope_theta and
// rms_norm_eps, tied and untied heads): random weights in a Hugging Face folder, converted and run, against a
// double-precision LlamaForCausalLM written here; chunked prefill against one call and token by token.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "checkpoint_files.h"
#include "graph/graph_options.h"
#include "model_runs.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The f32 runtime against the double-precision reference below, relative to 1 + |logit| (measured max 4.5e-6
// over the avx512vnni, avx2 and scalar kernels).
constexpr double kReferenceTolerance = 2e-5;

struct TinyConfig {
  const char* name;
  int dim, hidden, layers, heads, kv_heads, vocab, context;
  double rope_theta, rms_norm_eps;
  bool tied;
};

void PrintTo(const TinyConfig& c, std::ostream* os) { *os << c.name; }

struct TinyLlama {
  TinyConfig c;
  std::map<std::string, std::vector<float>> w;  // Hugging Face names
};

TinyLlama random_llama(const TinyConfig& c, uint32_t seed) {
  TinyLlama m{c, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.25f);
  auto random = [&](const std::string& name, size_t count, float mean = 0.0f) {
    std::vector<float>& v = m.w[name];
    v.resize(count);
    for (float& x : v) x = mean + normal(rng);
  };
  const size_t dim = c.dim, hidden = c.hidden, kv_dim = size_t(c.dim / c.heads) * c.kv_heads;
  random("model.embed_tokens.weight", c.vocab * dim);
  random("model.norm.weight", dim, 1.0f);
  if (!c.tied) random("lm_head.weight", c.vocab * dim);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    random(p + "input_layernorm.weight", dim, 1.0f);
    random(p + "post_attention_layernorm.weight", dim, 1.0f);
    random(p + "self_attn.q_proj.weight", dim * dim);
    random(p + "self_attn.k_proj.weight", kv_dim * dim);
    random(p + "self_attn.v_proj.weight", kv_dim * dim);
    random(p + "self_attn.o_proj.weight", dim * dim);
    random(p + "mlp.gate_proj.weight", hidden * dim);
    random(p + "mlp.up_proj.weight", hidden * dim);
    random(p + "mlp.down_proj.weight", dim * hidden);
  }
  return m;
}

void write_hf_folder(const TinyLlama& m, const std::string& folder) {
  const TinyConfig& c = m.c;
  fs::create_directories(folder);
  const json config = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", c.dim},
                       {"intermediate_size", c.hidden}, {"num_hidden_layers", c.layers},
                       {"num_attention_heads", c.heads}, {"num_key_value_heads", c.kv_heads},
                       {"vocab_size", c.vocab}, {"max_position_embeddings", c.context},
                       {"rms_norm_eps", c.rms_norm_eps}, {"rope_theta", c.rope_theta},
                       {"tie_word_embeddings", c.tied}, {"hidden_act", "silu"}, {"rope_scaling", nullptr}};
  write_json(folder + "/config.json", config);
  const int64_t kv_dim = int64_t(c.dim / c.heads) * c.kv_heads;
  std::vector<NamedTensor> tensors;
  for (const auto& [name, values] : m.w) {
    std::vector<int64_t> shape;
    if (name.find("norm") != std::string::npos) shape = {c.dim};
    else if (name.find("embed_tokens") != std::string::npos || name == "lm_head.weight") shape = {c.vocab, c.dim};
    else if (name.find("k_proj") != std::string::npos || name.find("v_proj") != std::string::npos) shape = {kv_dim, c.dim};
    else if (name.find("gate_proj") != std::string::npos || name.find("up_proj") != std::string::npos) shape = {c.hidden, c.dim};
    else if (name.find("down_proj") != std::string::npos) shape = {c.dim, c.hidden};
    else shape = {c.dim, c.dim};
    tensors.push_back(make_tensor(name, shape, values));
  }
  write_safetensors(folder + "/model.safetensors", tensors);
}

// Hugging Face LlamaForCausalLM in double precision: the logits after the last of `tokens`.
std::vector<double> reference_logits(const TinyLlama& m, const std::vector<int32_t>& tokens) {
  const TinyConfig& c = m.c;
  const int hd = c.dim / c.heads, kv_dim = hd * c.kv_heads, group = c.heads / c.kv_heads;
  auto W = [&](const std::string& name) -> const std::vector<float>& { return m.w.at(name); };
  auto matvec = [](const std::vector<float>& w, const std::vector<double>& x, int rows) {
    const size_t cols = x.size();
    std::vector<double> y(rows, 0.0);
    for (int r = 0; r < rows; ++r)
      for (size_t k = 0; k < cols; ++k) y[r] += double(w[r * cols + k]) * x[k];
    return y;
  };
  auto rms_norm = [&](const std::vector<double>& x, const std::vector<float>& weight) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double scale = 1.0 / std::sqrt(ss / x.size() + c.rms_norm_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * weight[i];
    return y;
  };
  auto rope = [&](std::vector<double>& x, int heads, int pos) {  // rotate-half convention
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < hd / 2; ++i) {
        const double angle = pos * std::pow(c.rope_theta, -2.0 * i / hd);
        double& a = x[h * hd + i];
        double& b = x[h * hd + i + hd / 2];
        const double a0 = a, b0 = b;
        a = a0 * std::cos(angle) - b0 * std::sin(angle);
        b = b0 * std::cos(angle) + a0 * std::sin(angle);
      }
  };
  std::vector<std::vector<std::vector<double>>> keys(c.layers), values(c.layers);
  std::vector<double> x;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const std::vector<float>& embed = W("model.embed_tokens.weight");
    x.assign(embed.begin() + size_t(tokens[pos]) * c.dim, embed.begin() + size_t(tokens[pos] + 1) * c.dim);
    for (int l = 0; l < c.layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      const std::vector<double> h = rms_norm(x, W(p + "input_layernorm.weight"));
      std::vector<double> q = matvec(W(p + "self_attn.q_proj.weight"), h, c.dim);
      std::vector<double> k = matvec(W(p + "self_attn.k_proj.weight"), h, kv_dim);
      const std::vector<double> v = matvec(W(p + "self_attn.v_proj.weight"), h, kv_dim);
      rope(q, c.heads, int(pos));
      rope(k, c.kv_heads, int(pos));
      keys[l].push_back(k);
      values[l].push_back(v);
      std::vector<double> attended(c.dim, 0.0);
      for (int head = 0; head < c.heads; ++head) {
        const int kv_head = head / group;
        std::vector<double> scores(pos + 1);
        double top = -INFINITY;
        for (size_t t = 0; t <= pos; ++t) {
          double s = 0;
          for (int i = 0; i < hd; ++i) s += q[head * hd + i] * keys[l][t][kv_head * hd + i];
          scores[t] = s / std::sqrt(double(hd));
          top = std::max(top, scores[t]);
        }
        double sum = 0;
        for (double& s : scores) sum += (s = std::exp(s - top));
        for (size_t t = 0; t <= pos; ++t)
          for (int i = 0; i < hd; ++i) attended[head * hd + i] += scores[t] / sum * values[l][t][kv_head * hd + i];
      }
      const std::vector<double> o = matvec(W(p + "self_attn.o_proj.weight"), attended, c.dim);
      for (int i = 0; i < c.dim; ++i) x[i] += o[i];
      const std::vector<double> g = rms_norm(x, W(p + "post_attention_layernorm.weight"));
      const std::vector<double> gate = matvec(W(p + "mlp.gate_proj.weight"), g, c.hidden);
      std::vector<double> up = matvec(W(p + "mlp.up_proj.weight"), g, c.hidden);
      for (int i = 0; i < c.hidden; ++i) up[i] *= gate[i] / (1.0 + std::exp(-gate[i]));
      const std::vector<double> down = matvec(W(p + "mlp.down_proj.weight"), up, c.dim);
      for (int i = 0; i < c.dim; ++i) x[i] += down[i];
    }
  }
  const std::vector<double> final_h = rms_norm(x, W("model.norm.weight"));
  return matvec(W(c.tied ? "model.embed_tokens.weight" : "lm_head.weight"), final_h, c.vocab);
}

double max_reference_error(const std::vector<float>& logits, const std::vector<double>& reference) {
  if (logits.size() != reference.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    worst = std::max(worst, std::fabs(logits[i] - reference[i]) / (1.0 + std::fabs(reference[i])));
  return worst;
}

class GeneralConfig : public ::testing::TestWithParam<TinyConfig> {};

TEST_P(GeneralConfig, MatchesTheReferenceAndChunkingIsConsistent) {
  const TinyConfig& c = GetParam();
  TempDir tmp;
  const TinyLlama m = random_llama(c, 20240611);
  write_hf_folder(m, tmp.file("hf"));
  converter::GraphOptions chunked;
  chunked.prefill_rows = 2;
  convert_hf(tmp.file("hf"), tmp.file("big.eft"));
  convert_hf(tmp.file("hf"), tmp.file("chunked.eft"), chunked);
  auto big = open_or_fail(tmp.file("big.eft"));
  auto small = open_or_fail(tmp.file("chunked.eft"));
  ASSERT_NE(big, nullptr);
  ASSERT_NE(small, nullptr);
  const ModelInfo& info = big->info();
  EXPECT_EQ(info.max_context, c.context);
  EXPECT_EQ(info.hidden_size, c.dim);
  EXPECT_EQ(info.layers, c.layers);
  EXPECT_EQ(info.vocab_size, c.vocab);
  auto prefill_rows = [](const ModelInfo& i) {
    for (const EntryInfo& e : i.entries)
      if (e.name == "prefill") return e.max_rows;
    return -1;
  };
  EXPECT_EQ(prefill_rows(info), c.context);  // 512 capped by the context
  EXPECT_EQ(prefill_rows(small->info()), 2);

  const std::vector<int32_t> prompt = {5 % c.vocab, c.vocab - 1, 0, 33 % c.vocab, 12, 12, 40 % c.vocab};
  const int32_t next = 17 % c.vocab;
  std::vector<int32_t> extended = prompt;
  extended.push_back(next);

  // Prefill of 7 tokens, then a decode: both against the reference.
  auto session = new_session(big);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_EQ(session->position(), prompt.size());
  const std::vector<float> after_prefill = logits_of(*session);
  const double prefill_error = max_reference_error(after_prefill, reference_logits(m, prompt));
  ASSERT_TRUE(session->decode(next).ok());
  const double decode_error = max_reference_error(logits_of(*session), reference_logits(m, extended));
  std::printf("%s: error vs the double reference after prefill %.2e, after decode %.2e\n", c.name, prefill_error,
              decode_error);
  EXPECT_LE(prefill_error, kReferenceTolerance);
  EXPECT_LE(decode_error, kReferenceTolerance);

  // The comparison can tell the configuration apart: another rope_theta, eps or head grouping is far off.
  TinyLlama other_theta = m;
  other_theta.c.rope_theta = c.rope_theta == 10000.0 ? 500000.0 : 10000.0;
  EXPECT_GT(max_reference_error(after_prefill, reference_logits(other_theta, prompt)), 100 * kReferenceTolerance);
  TinyLlama other_eps = m;
  other_eps.c.rms_norm_eps = c.rms_norm_eps * 1000;
  EXPECT_GT(max_reference_error(after_prefill, reference_logits(other_eps, prompt)), 10 * kReferenceTolerance);

  // [a, b, c] in one prefill == [a] + decode b + decode c.
  auto one_call = new_session(big), pieces = new_session(big);
  ASSERT_TRUE(one_call->prefill(prompt.data(), 3).ok());
  ASSERT_TRUE(pieces->prefill(prompt.data(), 1).ok());
  ASSERT_TRUE(pieces->decode(prompt[1]).ok());
  ASSERT_TRUE(pieces->decode(prompt[2]).ok());
  EXPECT_EQ(pieces->position(), 3u);
  EXPECT_LE(max_relative_difference(logits_of(*pieces), logits_of(*one_call)), kChunkingTolerance);

  // Prefill in chunks of 2 (2 + 2 + 2 + 1) == one chunk of 7 == token by token.
  auto chunked_session = new_session(small);
  ASSERT_TRUE(chunked_session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_LE(max_relative_difference(logits_of(*chunked_session), after_prefill), kChunkingTolerance);
  auto by_token = new_session(big);
  for (int32_t id : prompt) ASSERT_TRUE(by_token->decode(id).ok());
  EXPECT_LE(max_relative_difference(logits_of(*by_token), after_prefill), kChunkingTolerance);
  // Both continue alike.
  ASSERT_TRUE(chunked_session->decode(next).ok());
  ASSERT_TRUE(by_token->decode(next).ok());
  EXPECT_LE(max_relative_difference(logits_of(*chunked_session), logits_of(*by_token)), kChunkingTolerance);

  // reset() forgets the context: the same prompt gives the same logits again.
  session->reset();
  EXPECT_EQ(session->position(), 0u);
  ASSERT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_LE(max_relative_difference(logits_of(*session), after_prefill), kChunkingTolerance);
}

// Multi-head attention with rope_theta 500000 and sizes that are multiples of nothing; grouped-query attention
// with a large rms_norm_eps (so that a wrong eps shows) and a tied head.
INSTANTIATE_TEST_SUITE_P(
    Configs, GeneralConfig,
    ::testing::Values(TinyConfig{"mha_theta500k", 36, 70, 2, 3, 3, 77, 40, 500000.0, 1e-6, false},
                      TinyConfig{"gqa_eps0.05_tied", 60, 86, 3, 6, 2, 53, 24, 10000.0, 0.05, true}),
    [](const ::testing::TestParamInfo<TinyConfig>& info) {
      std::string name = info.param.name;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

}  // namespace
}  // namespace edgeformer::testing
