// Conversion options on stories260K: int8 weights keep the parameter count and shrink the file; --max-seq sizes
// the KV cache, and a prompt longer than it is refused without changing the session.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "graph/graph_options.h"
#include "model_runs.h"
#include "stories260k_variants.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

// int8 weights are ~1/4 of f32 plus per-row scales and the f32 norms.
constexpr double kMaxInt8WeightRatio = 0.5;

TEST_F(Stories260kVariants, Int8ShrinksTheWeightsAndKeepsTheParameterCount) {
  converter::GraphOptions int8;
  int8.weights = converter::WeightFormat::kInt8;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("f32.eft"));
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("int8.eft"), int8);
  const ModelInfo f32 = open_or_fail(tmp_.file("f32.eft"))->info();
  const ModelInfo q8 = open_or_fail(tmp_.file("int8.eft"))->info();
  std::printf("weight bytes: f32 %llu, int8 %llu (ratio %.3f)\n", (unsigned long long)f32.weight_bytes,
              (unsigned long long)q8.weight_bytes, double(q8.weight_bytes) / f32.weight_bytes);
  EXPECT_EQ(f32.params, kStoriesParams);
  EXPECT_EQ(q8.params, f32.params);
  EXPECT_GE(f32.weight_bytes, 4 * f32.params);  // every f32 parameter is stored
  EXPECT_LT(double(q8.weight_bytes) / f32.weight_bytes, kMaxInt8WeightRatio);
  EXPECT_EQ(f32.quantization, "f32");
  EXPECT_EQ(q8.quantization, "int8");
}

TEST_F(Stories260kVariants, MaxContextSizesTheKvCache) {
  converter::GraphOptions options;
  options.max_context = 64;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("short.eft"), options);
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("full.eft"));
  const uint64_t layers = 5, kv_dim = 64 / 8 * 4;
  const ModelInfo info = open_or_fail(tmp_.file("short.eft"))->info();
  EXPECT_EQ(info.max_context, 64);
  EXPECT_EQ(info.state_bytes, layers * 2 * 64 * kv_dim * sizeof(float));
  const ModelInfo full = open_or_fail(tmp_.file("full.eft"))->info();
  EXPECT_EQ(full.max_context, 512);  // seq_len of the header
  EXPECT_EQ(full.state_bytes, layers * 2 * 512 * kv_dim * sizeof(float));
}

TEST_F(Stories260kVariants, PromptLongerThanTheContextChangesNothing) {
  converter::GraphOptions options;
  options.max_context = 64;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("short.eft"), options);
  auto model = open_or_fail(tmp_.file("short.eft"));
  auto session = new_session(model);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->max_context(), 64u);
  std::vector<int32_t> prompt = {kBos};
  prompt.insert(prompt.end(), golden256_.begin(), golden256_.begin() + 64);  // 65 tokens
  Status s = session->prefill(prompt.data(), prompt.size());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.message();
  EXPECT_EQ(session->position(), 0u);

  ASSERT_TRUE(session->prefill(prompt.data(), 10).ok());
  EXPECT_EQ(session->position(), 10u);
  const std::vector<float> before = logits_of(*session);
  s = session->prefill(prompt.data() + 10, 55);  // 10 + 55 = 65 > 64
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.message();
  EXPECT_EQ(session->position(), 10u);
  EXPECT_EQ(logits_of(*session), before);
  // The session goes on where it was: up to exactly 64 tokens, then full.
  ASSERT_TRUE(session->prefill(prompt.data() + 10, 54).ok());
  EXPECT_EQ(session->position(), 64u);
  // The 64th token's logits equal an uninterrupted run's, so the failed call wrote nothing into the KV cache.
  auto fresh = new_session(model);
  ASSERT_TRUE(fresh->prefill(prompt.data(), 64).ok());
  EXPECT_LE(max_relative_difference(logits_of(*session), logits_of(*fresh)), kChunkingTolerance);
  s = session->decode(prompt[64]);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.message();
  EXPECT_EQ(session->position(), 64u);
}

}  // namespace
}  // namespace edgeformer::testing
