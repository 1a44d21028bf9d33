// GPT-2 end to end against an independent PyTorch reference: tests/reference/make_gpt2_fixture.py builds a seeded
// random-weight checkpoint in the Hugging Face layout (Conv1D weights, fused c_attn, tied head) and computes its
// outputs in float64 with torch.nn.functional; the fixture (tests/fixtures/gpt2-tiny) is committed. Here it is
// converted like any Hugging Face folder and run through prefill and decode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "families/gpt2/gpt2_graph.h"
#include "graph/eft_writer.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

const std::string kFixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/gpt2-tiny";
// f32 logits within this relative error of the float64 reference (measured: below 2e-6).
constexpr double kF32MaxRelativeError = 1e-4;
// int8 weights: cosine similarity of the last logits and greedy top-1 agreement with the reference.
constexpr double kInt8MinCosine = 0.995;

nlohmann::json reference() {
  std::ifstream in(kFixture + "/reference.json");
  return nlohmann::json::parse(in);
}

std::shared_ptr<const Model> convert(const TempDir& temp, converter::WeightFormat weights) {
  converter::GraphOptions options;
  options.weights = weights;
  converter::Graph graph = converter::build_gpt2_graph(converter::read_hf_gpt2(kFixture), options);
  const std::string path = temp.file(weights == converter::WeightFormat::kF32 ? "f32.eft" : "q.eft");
  converter::write_eft(graph, path);
  return open_or_fail(path);
}

TEST(Gpt2, F32LogitsMatchPyTorchAndPrefillEqualsDecode) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().architecture, "gpt2");
  const nlohmann::json ref = reference();
  const int vocab = model->info().vocab_size;
  for (const nlohmann::json& prompt : ref.at("prompts")) {
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    const std::vector<double> want = prompt.at("logits_last").get<std::vector<double>>();
    SCOPED_TRACE("prompt of " + std::to_string(ids.size()) + " tokens");
    ASSERT_EQ(want.size(), size_t(vocab));
    // Whole prompt in one prefill, then token by token: both against the reference.
    for (bool token_by_token : {false, true}) {
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

TEST(Gpt2, GreedyContinuationsAreIdenticalUpToTheLastPosition) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference();  // kept alive: the loop walks a part of it
  for (const nlohmann::json& prompt : ref.at("prompts")) {
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    const std::vector<int32_t> want = prompt.at("greedy").get<std::vector<int32_t>>();
    auto session = session_of(model);
    ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
    const std::vector<int32_t> got = greedy_continuation(*session, want.size());
    EXPECT_EQ(got, want);
    // The context is the learned positions: one more token than they hold is refused, not wrapped.
    if (ids.size() + got.size() >= session->max_context()) {
      EXPECT_EQ(session->decode(got.empty() ? ids.back() : got.back()).code(), StatusCode::kOutOfRange);
    }
  }
}

TEST(Gpt2, Int8StaysWithinItsBudget) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kInt8);
  ASSERT_TRUE(model);
  const int vocab = model->info().vocab_size;
  const nlohmann::json ref = reference();  // kept alive: the loop walks a part of it
  for (const nlohmann::json& prompt : ref.at("prompts")) {
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    const std::vector<double> want = prompt.at("logits_last").get<std::vector<double>>();
    auto session = session_of(model);
    ASSERT_TRUE(session->prefill(ids.data(), ids.size()).ok());
    const double cosine = cosine_similarity(session->logits(), want);
    std::printf("int8 gpt2, %zu-token prompt: cosine %.6f\n", ids.size(), cosine);
    EXPECT_GE(cosine, kInt8MinCosine);
    EXPECT_EQ(argmax(session->logits(), vocab), int32_t(std::max_element(want.begin(), want.end()) - want.begin()));
  }
}

// Configurations this runtime does not run are refused at conversion, naming the key.
TEST(Gpt2, UnsupportedConfigurationsAreRefusedByKey) {
  const std::pair<const char*, nlohmann::json> cases[] = {{"activation_function", "relu"},
                                                          {"add_cross_attention", true},
                                                          {"scale_attn_by_inverse_layer_idx", true},
                                                          {"tie_word_embeddings", false}};
  for (const auto& [key, value] : cases) {
    TempDir temp;
    copy_with_json_key(kFixture, temp, "config.json", key, value);
    expect_refused([&] { converter::read_hf_gpt2(temp.path()); }, key);
  }
}

}  // namespace
}  // namespace edgeformer::testing
