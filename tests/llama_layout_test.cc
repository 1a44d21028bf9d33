// Decoders in LLaMA's layout with more biases, another head size, sliding windows or fused projections, end to end
// against independent PyTorch references: tests/reference/make_llama_layout_fixture.py builds seeded random-weight checkpoints in the Hugging
// Face layout and computes their outputs in float64 with torch.nn.functional (checked there for causality, against
// a KV-cache formulation, and for every feature mattering). qwen2-tiny: Qwen2ForCausalLM (q, k, v biases, tied
// embeddings, grouped-query heads, rope_theta 1e6); qwen3-tiny: Qwen3ForCausalLM (q and k normed per head before
// RoPE, head_dim 16 where hidden / heads is 12); llama-bias-tiny: LlamaForCausalLM with attention_bias,
// mlp_bias and head_dim 16 where hidden / heads is 12; mistral-tiny: MistralForCausalLM with a sliding window of 8
// (prompts of 40 run through the ring caches); phi3-tiny: Phi3ForCausalLM (fused qkv and gate_up, half the head
// rotary, LongRoPE, a sliding window of 24); gemma-tiny, gemma2-tiny, gemma3-tiny (tests/reference/
// make_gemma_fixture.py): GemmaForCausalLM, Gemma2ForCausalLM and Gemma3ForCausalLM ((1 + weight) norms, scaled
// embeddings, GeGLU; output norms, query_pre_attn_scalar, soft-capping, alternating sliding and global layers,
// per-head q/k norms, a local RoPE base). Converted like any Hugging Face folder (the family table).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "conversion.h"
#include "families/llama/hf_llama_reader.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

const std::string kFixtures = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/";
// f32 logits within this relative error of the float64 reference, as for GPT-2 and LLaMA.
constexpr double kF32MaxRelativeError = 1e-4;
// int8 weights (and an int8 KV cache): cosine similarity of the last logits; top-1 agreement where the reference's
// top two logits are further apart than int8 rounding moves them (a margin below that is a coin toss).
constexpr double kInt8MinCosine = 0.995;
constexpr double kInt8MinTop1Margin = 0.1;
// int4 (4 bits, groups of 32) on these random weights at peaked-attention scales measured cosines of 0.84-0.98
// (qwen2 .. gemma3, Zen 3); a broken int4 path lands near 0.
constexpr double kInt4MinCosine = 0.8;

nlohmann::json reference(const std::string& fixture) {
  std::ifstream in(kFixtures + fixture + "/reference.json");
  return nlohmann::json::parse(in);
}

std::shared_ptr<const Model> convert(const TempDir& temp, const std::string& fixture, converter::WeightFormat weights,
                                     converter::KvCacheFormat kv = converter::KvCacheFormat::kF32) {
  converter::ConversionRequest request;
  request.input = kFixtures + fixture;
  request.output = temp.file(fixture + ".eft");
  request.options.weights = weights;
  request.options.kv_cache = kv;
  converter::convert_model(request, nullptr);
  return open_or_fail(request.output);
}

class LlamaLayout : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaLayout, F32LogitsMatchPyTorchInPrefillAndTokenByToken) {
  TempDir temp;
  const auto model = convert(temp, GetParam(), converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference(GetParam());
  const int vocab = model->info().vocab_size;
  for (const nlohmann::json& prompt : ref.at("prompts")) {
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    const std::vector<double> want = prompt.at("logits_last").get<std::vector<double>>();
    SCOPED_TRACE("prompt of " + std::to_string(ids.size()) + " tokens");
    ASSERT_EQ(want.size(), size_t(vocab));
    for (bool token_by_token : {false, true}) {
      // One call per token is not one call over the prompt once LongRoPE's long factors apply (the reference says).
      if (token_by_token && !prompt.at("token_by_token").get<bool>()) continue;
      auto session = session_of(model);
      if (token_by_token) {
        for (int32_t id : ids) ASSERT_TRUE(session->decode(id).ok());
      } else {
        ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
      }
      expect_logits_near(session->logits(), want, kF32MaxRelativeError);
    }
  }
}

TEST_P(LlamaLayout, GreedyContinuationsAreIdentical) {
  TempDir temp;
  for (converter::KvCacheFormat kv : {converter::KvCacheFormat::kF32, converter::KvCacheFormat::kF16}) {
    const auto model = convert(temp, GetParam(), converter::WeightFormat::kF32, kv);
    ASSERT_TRUE(model);
    const nlohmann::json ref = reference(GetParam());
    for (const nlohmann::json& prompt : ref.at("prompts")) {
      const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
      const std::vector<int32_t> want = prompt.at("greedy").get<std::vector<int32_t>>();
      auto session = session_of(model);
      ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
      const std::vector<int32_t> got = greedy_continuation(*session, want.size());
      EXPECT_EQ(got, want) << "prompt of " << ids.size() << (kv == converter::KvCacheFormat::kF16 ? ", f16 cache" : "");
    }
  }
}

TEST_P(LlamaLayout, Int8StaysWithinItsBudget) {
  TempDir temp;
  for (converter::KvCacheFormat kv : {converter::KvCacheFormat::kF32, converter::KvCacheFormat::kInt8}) {
    const auto model = convert(temp, GetParam(), converter::WeightFormat::kInt8, kv);
    ASSERT_TRUE(model);
    const int vocab = model->info().vocab_size;
    const nlohmann::json ref = reference(GetParam());
    for (const nlohmann::json& prompt : ref.at("prompts")) {
      const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
      const std::vector<double> want = prompt.at("logits_last").get<std::vector<double>>();
      auto session = session_of(model);
      ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
      const double cosine = cosine_similarity(session->logits(), want);
      std::printf("int8 %s, %zu-token prompt%s: cosine %.6f\n", GetParam().c_str(), ids.size(),
                  kv == converter::KvCacheFormat::kInt8 ? ", int8 cache" : "", cosine);
      EXPECT_GE(cosine, kInt8MinCosine);
      std::vector<double> sorted = want;
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<double>());
      if (sorted[0] - sorted[1] > kInt8MinTop1Margin) {
        EXPECT_EQ(argmax(session->logits(), vocab), int32_t(std::max_element(want.begin(), want.end()) - want.begin()));
      }
    }
  }
}

// int4 weights (group-quantized, f16 group scales): the cosine of the last logits, at a lower budget than int8's.
TEST_P(LlamaLayout, Int4StaysWithinItsBudget) {
  TempDir temp;
  const auto model = convert(temp, GetParam(), converter::WeightFormat::kInt4);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference(GetParam());
  for (const nlohmann::json& prompt : ref.at("prompts")) {
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    auto session = session_of(model);
    ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
    const double cosine = cosine_similarity(session->logits(), prompt.at("logits_last").get<std::vector<double>>());
    std::printf("int4 %s, %zu-token prompt: cosine %.6f\n", GetParam().c_str(), ids.size(), cosine);
    EXPECT_GE(cosine, kInt4MinCosine);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaLayout,
                         ::testing::Values("qwen2-tiny", "qwen3-tiny", "llama-bias-tiny", "mistral-tiny", "phi3-tiny",
                                           "gemma-tiny", "gemma2-tiny", "gemma3-tiny"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find("-tiny"));
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

// A sliding-window layer's caches hold its window, not the context: mistral-tiny's 8 positions of each layer.
TEST(SlidingWindow, CachesHoldTheWindowAndBoundNoContext) {
  TempDir temp;
  const auto model = convert(temp, "mistral-tiny", converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json config = nlohmann::json::parse(std::ifstream(kFixtures + "mistral-tiny/config.json"));
  const int64_t kv_dim = config.at("num_key_value_heads").get<int64_t>() * config.at("head_dim").get<int64_t>();
  const int64_t window = config.at("sliding_window").get<int64_t>(), layers = config.at("num_hidden_layers");
  EXPECT_EQ(model->info().state_bytes, uint64_t(layers * 2 * window * kv_dim * sizeof(float)));
  auto session = session_of(model);
  EXPECT_EQ(session->max_context(), config.at("max_position_embeddings").get<size_t>());
}

// Qwen2's windows are on the layers from max_window_layers on, or where layer_types says so.
TEST(SlidingWindow, Qwen2LayersFollowMaxWindowLayersAndLayerTypes) {
  const nlohmann::json keys = {{"use_sliding_window", true}, {"sliding_window", 16}, {"max_window_layers", 1}};
  TempDir by_count, by_type;
  copy_with_json_keys(kFixtures + "qwen2-tiny", by_count, "config.json", keys);
  EXPECT_EQ(converter::read_hf_qwen2(by_count.path()).config.sliding_windows, (std::vector<int>{0, 16}));
  nlohmann::json typed = keys;
  typed["layer_types"] = {"sliding_attention", "full_attention"};
  copy_with_json_keys(kFixtures + "qwen2-tiny", by_type, "config.json", typed);
  EXPECT_EQ(converter::read_hf_qwen2(by_type.path()).config.sliding_windows, (std::vector<int>{16, 0}));
}

// What these families do not run yet is refused at conversion, naming the key (or the rope_scaling type).
TEST(LlamaLayoutRefusals, UnsupportedKeysAreRefusedByName) {
  const std::tuple<const char*, const char*, nlohmann::json, const char*> cases[] = {
      {"qwen2-tiny", "rope_scaling", {{"rope_type", "mrope"}, {"mrope_section", {2, 3, 3}}}, "mrope"},
      {"qwen2-tiny", "partial_rotary_factor", 0.5, "partial_rotary_factor"},
      {"qwen3-tiny", "use_sliding_window", true, "use_sliding_window"},
      {"llama-bias-tiny", "rope_scaling",
       {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
        {"original_max_position_embeddings", 8}, {"beta_fast", 32}},
       "beta_fast"},
      {"llama-bias-tiny", "hidden_act", "gelu", "hidden_act"}};
  for (const auto& [fixture, key, value, word] : cases) {
    TempDir temp;
    copy_with_json_key(kFixtures + fixture, temp, "config.json", key, value);
    const std::string name = fixture;
    expect_refused([&] {
      name == "qwen2-tiny"   ? converter::read_hf_qwen2(temp.path())
      : name == "qwen3-tiny" ? converter::read_hf_qwen3(temp.path())
                             : converter::read_hf_llama(temp.path());
    }, word);
  }
}

}  // namespace
}  // namespace edgeformer::testing
