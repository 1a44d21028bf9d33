// End to end on real weights: stories260K converted from llama2.c and from Hugging Face reproduces the published
// greedy goldens exactly in f32; int8 stays within measured budgets of f32.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace edgeformer::testing {
namespace {

// Measured on stories260K (256 teacher-forced positions): top-1 agreement 0.9805, mean KL 0.00092 nats;
// the budgets leave room for other summation orders (SIMD kernels) without hiding a broken quantizer.
constexpr double kMinInt8Top1Agreement = 0.95;
constexpr double kMaxInt8MeanKl = 0.005;
// int4 (group 32, f16 scales) costs more on a model this small (dim 64): measured top-1 0.8672, mean KL 0.0979.
constexpr double kMinInt4Top1Agreement = 0.80;
constexpr double kMaxInt4MeanKl = 0.15;
// KV caches (f32 weights): f16 measured top-1 1.0000, KL < 0.000005; int8 (scale per position and head) 0.9883,
// KL 0.00074. int8 weights with an int8 cache: 0.9844, KL 0.00186 (held to the int8 budgets).
constexpr double kMinHalfKvTop1Agreement = 0.99;
constexpr double kMaxHalfKvMeanKl = 0.0005;
constexpr double kMinInt8KvTop1Agreement = 0.95;
constexpr double kMaxInt8KvMeanKl = 0.005;

std::vector<int32_t> read_ids(const std::string& path, const char* key) {
  std::ifstream in(path);
  return nlohmann::json::parse(in).at(key).get<std::vector<int32_t>>();
}

std::unique_ptr<Session> new_session(const std::shared_ptr<const Model>& model, int threads = 1) {
  std::unique_ptr<Session> session;
  SessionOptions options;
  options.threads = threads;
  const Status s = Session::create(model, options, &session);
  EXPECT_TRUE(s.ok()) << s.message();
  return session;
}

// Greedy ids from `prompt`, stopping at BOS as llama2.c's run.c does.
std::vector<int32_t> greedy(Session& session, std::vector<int32_t> prompt, size_t steps) {
  std::vector<int32_t> out;
  Sampler sampler(session.vocab_size(), {});
  EXPECT_TRUE(session.prefill(prompt.data(), prompt.size()).ok());
  for (size_t i = 0; i < steps; ++i) {
    const int32_t next = sampler.sample(session.logits());
    out.push_back(next);
    if (next == 1 || i + 1 == steps) break;
    const Status s = session.decode(next);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) break;
  }
  return out;
}

std::vector<double> softmax(const float* logits, int n) {
  std::vector<double> p(n);
  const double max = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += p[i] = std::exp(double(logits[i]) - max);
  for (double& v : p) v /= sum;
  return p;
}

class Stories260k : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    golden_ = read_ids(dir_ + "/expected_greedy_256.json", "output_ids");
  }
  std::string convert(converter::WeightFormat format,
                      converter::KvCacheFormat kv_cache = converter::KvCacheFormat::kF32) {
    const std::string path = tmp_.file("w" + std::to_string(int(format)) + "_kv" + std::to_string(int(kv_cache)) + ".eft");
    converter::GraphOptions options;
    options.weights = format;
    options.kv_cache = kv_cache;
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", path, options);
    return path;
  }
  std::string dir_;
  std::vector<int32_t> golden_;
  TempDir tmp_;
};

TEST_F(Stories260k, Llama2cF32GreedyReproducesGolden256) {
  auto model = open_or_fail(convert(converter::WeightFormat::kF32));
  ASSERT_EQ(golden_.size(), 256u);
  EXPECT_EQ(greedy(*new_session(model), {1}, golden_.size()), golden_);
}

TEST_F(Stories260k, HuggingFaceF32GreedyReproducesGolden60) {
  const std::string path = tmp_.file("hf.eft");
  convert_hf(dir_ + "/hf", path);
  auto model = open_or_fail(path);
  // No tokenizer.json in this folder: no pieces, but config.json's special ids are kept.
  EXPECT_FALSE(model->has_tokenizer());
  EXPECT_EQ(model->bos_id(), 1);
  EXPECT_EQ(model->eos_id(), 2);
  const auto expected = read_ids(dir_ + "/hf/expected_greedy_60.json", "greedy_next_token_ids");
  EXPECT_EQ(greedy(*new_session(model), {1}, expected.size()), expected);
}

TEST_F(Stories260k, TwoThreadsGiveTheSameTokens) {
  auto model = open_or_fail(convert(converter::WeightFormat::kF32));
  EXPECT_EQ(greedy(*new_session(model, 2), {1}, golden_.size()), golden_);
}

size_t thread_count() {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) count += entry.is_directory();
  return count;
}

TEST_F(Stories260k, OneThreadCreatesNoThread) {
  auto model = open_or_fail(convert(converter::WeightFormat::kF32));
  const size_t before = thread_count();
  auto single = new_session(model, 1);
  ASSERT_TRUE(single->prefill(golden_.data(), 20).ok());
  EXPECT_EQ(thread_count(), before);
  auto pair = new_session(model, 2);
  EXPECT_EQ(thread_count(), before + 1);  // the caller is the other thread
}

TEST_F(Stories260k, PrefillOfThePromptEqualsTokenByTokenDecode) {
  auto model = open_or_fail(convert(converter::WeightFormat::kF32));
  std::vector<int32_t> prompt = {1};
  prompt.insert(prompt.end(), golden_.begin(), golden_.begin() + 40);
  auto batched = new_session(model);
  ASSERT_TRUE(batched->prefill(prompt.data(), prompt.size()).ok());
  auto stepwise = new_session(model);
  for (int32_t id : prompt) ASSERT_TRUE(stepwise->decode(id).ok());
  EXPECT_EQ(batched->position(), stepwise->position());
  for (int i = 0; i < batched->vocab_size(); ++i)
    EXPECT_NEAR(batched->logits()[i], stepwise->logits()[i], 1e-4f * (1.0f + std::fabs(stepwise->logits()[i])));
}

// Teacher-forced over the golden: top-1 agreement and mean KL(f32 || quantized) of the next-token distributions.
struct Agreement {
  double top1, mean_kl;
};

Agreement teacher_forced(const std::shared_ptr<const Model>& f32, const std::shared_ptr<const Model>& quantized_model,
                         const std::vector<int32_t>& inputs) {
  auto reference = new_session(f32);
  auto quantized = new_session(quantized_model);
  int agree = 0;
  double kl_sum = 0;
  for (int32_t id : inputs) {
    EXPECT_TRUE(reference->decode(id).ok());
    EXPECT_TRUE(quantized->decode(id).ok());
    const int n = reference->vocab_size();
    const float* a = reference->logits();
    const float* b = quantized->logits();
    agree += std::max_element(a, a + n) - a == std::max_element(b, b + n) - b;
    const auto p = softmax(a, n), q = softmax(b, n);
    for (int i = 0; i < n; ++i)
      if (p[i] > 0) kl_sum += p[i] * std::log(p[i] / std::max(q[i], 1e-30));
  }
  return {double(agree) / inputs.size(), kl_sum / inputs.size()};
}

TEST_F(Stories260k, QuantizedTeacherForcedAgreesWithF32) {
  auto f32 = open_or_fail(convert(converter::WeightFormat::kF32));
  std::vector<int32_t> inputs = {1};
  inputs.insert(inputs.end(), golden_.begin(), golden_.end() - 1);
  using converter::KvCacheFormat;
  using converter::WeightFormat;
  const struct {
    WeightFormat format;
    KvCacheFormat kv_cache;
    const char* name;
    double min_top1, max_kl;
  } cases[] = {{WeightFormat::kInt8, KvCacheFormat::kF32, "int8", kMinInt8Top1Agreement, kMaxInt8MeanKl},
               {WeightFormat::kInt4, KvCacheFormat::kF32, "int4", kMinInt4Top1Agreement, kMaxInt4MeanKl},
               {WeightFormat::kF32, KvCacheFormat::kF16, "f32 + f16 KV cache", kMinHalfKvTop1Agreement,
                kMaxHalfKvMeanKl},
               {WeightFormat::kF32, KvCacheFormat::kInt8, "f32 + int8 KV cache", kMinInt8KvTop1Agreement,
                kMaxInt8KvMeanKl},
               {WeightFormat::kInt8, KvCacheFormat::kInt8, "int8 + int8 KV cache", kMinInt8Top1Agreement,
                kMaxInt8MeanKl}};
  for (const auto& c : cases) {
    auto quantized = open_or_fail(convert(c.format, c.kv_cache));
    const Agreement a = teacher_forced(f32, quantized, inputs);
    std::printf("%s vs f32 over %zu positions: top-1 agreement %.4f, mean KL %.5f nats\n", c.name, inputs.size(),
                a.top1, a.mean_kl);
    EXPECT_GE(a.top1, c.min_top1) << c.name;
    EXPECT_LE(a.mean_kl, c.max_kl) << c.name;
  }
}

TEST_F(Stories260k, ContextOverflowIsAnErrorThatChangesNothing) {
  converter::GraphOptions options;
  options.max_context = 16;
  const std::string path = tmp_.file("short.eft");
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", path, options);
  auto model = open_or_fail(path);
  auto session = new_session(model);
  EXPECT_EQ(session->max_context(), 16u);
  std::vector<int32_t> prompt(10, 300);
  ASSERT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  const std::vector<float> before(session->logits(), session->logits() + session->vocab_size());
  const Status s = session->prefill(prompt.data(), prompt.size());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("context"), std::string::npos) << s.message();
  EXPECT_EQ(session->position(), 10u);
  EXPECT_EQ(std::vector<float>(session->logits(), session->logits() + session->vocab_size()), before);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(session->decode(300).ok());
  EXPECT_EQ(session->decode(300).code(), StatusCode::kOutOfRange);
  session->reset();
  EXPECT_TRUE(session->decode(1).ok());
}

TEST_F(Stories260k, TokenIdsOutsideTheVocabularyAreRejected) {
  auto model = open_or_fail(convert(converter::WeightFormat::kF32));
  auto session = new_session(model);
  for (int32_t bad : {-1, 512, INT32_MAX}) {
    const Status s = session->decode(bad);
    EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << bad;
    EXPECT_EQ(session->position(), 0u);
  }
}

}  // namespace
}  // namespace edgeformer::testing
