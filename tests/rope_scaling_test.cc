// Scaled RoPE (config.json's rope_scaling) end to end against independent PyTorch references:
// tests/reference/make_rope_scaling_fixture.py holds one seeded random-weight LlamaForCausalLM checkpoint and, per
// scaling type (linear, dynamic, llama3, yarn, longrope), the config keys to set and the float64 outputs of the
// model with them, on prompts past the original context. The references make the forward calls transformers makes
// (the prompt in one call, then one call per token), which is what the frequencies of dynamic and longrope follow.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "conversion.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

const std::string kFixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/llama-rope-tiny";
constexpr double kF32MaxRelativeError = 1e-4;
constexpr double kInt8MinCosine = 0.995;

const nlohmann::json& reference() {
  static const nlohmann::json ref = nlohmann::json::parse(std::ifstream(kFixture + "/reference.json"));
  return ref;
}

std::shared_ptr<const Model> convert(const TempDir& temp, const nlohmann::json& variant,
                                     converter::WeightFormat weights,
                                     converter::KvCacheFormat kv = converter::KvCacheFormat::kF32) {
  copy_with_json_keys(kFixture, temp, "config.json", variant.at("config"));
  converter::ConversionRequest request;
  request.input = temp.path();
  request.output = temp.file("model.eft");
  request.options.weights = weights;
  request.options.kv_cache = kv;
  request.options.max_context = reference().at("max_context").get<int>();
  converter::convert_model(request, nullptr);
  return open_or_fail(request.output);
}

class RopeScaling : public ::testing::TestWithParam<std::string> {
 protected:
  const nlohmann::json& variant() const {
    for (const nlohmann::json& v : reference().at("variants"))
      if (v.at("name") == GetParam()) return v;
    throw std::runtime_error("no variant " + GetParam());
  }
};

TEST_P(RopeScaling, F32LogitsAndGreedyIdsMatchPyTorch) {
  for (converter::KvCacheFormat kv : {converter::KvCacheFormat::kF32, converter::KvCacheFormat::kF16}) {
    TempDir temp;
    const auto model = convert(temp, variant(), converter::WeightFormat::kF32, kv);
    ASSERT_TRUE(model);
    for (const nlohmann::json& prompt : variant().at("prompts")) {
      const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
      SCOPED_TRACE("prompt of " + std::to_string(ids.size()) + " tokens" +
                   (kv == converter::KvCacheFormat::kF16 ? ", f16 cache" : ""));
      auto session = session_of(model);
      ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
      if (kv == converter::KvCacheFormat::kF32)
        expect_logits_near(session->logits(), prompt.at("logits_last").get<std::vector<double>>(),
                           kF32MaxRelativeError);
      const std::vector<int32_t> want = prompt.at("greedy").get<std::vector<int32_t>>();
      EXPECT_EQ(greedy_continuation(*session, want.size()), want);
    }
  }
}

TEST_P(RopeScaling, Int8StaysWithinItsBudget) {
  for (converter::KvCacheFormat kv : {converter::KvCacheFormat::kF32, converter::KvCacheFormat::kInt8}) {
    TempDir temp;
    const auto model = convert(temp, variant(), converter::WeightFormat::kInt8, kv);
    ASSERT_TRUE(model);
    for (const nlohmann::json& prompt : variant().at("prompts")) {
      const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
      auto session = session_of(model);
      ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
      EXPECT_GE(cosine_similarity(session->logits(), prompt.at("logits_last").get<std::vector<double>>()),
                kInt8MinCosine)
          << "prompt of " << ids.size() << (kv == converter::KvCacheFormat::kInt8 ? ", int8 cache" : "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, RopeScaling, ::testing::Values("linear", "dynamic", "llama3", "yarn", "longrope"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace edgeformer::testing
