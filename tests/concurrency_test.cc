// One opened model shared read-only by sessions on parallel threads (each with its own arena and KV cache) gives
// bit-identical results to the same sessions run one after another. The suite also runs under ThreadSanitizer
// (scripts/test.sh), which proves the sharing free of data races, not just lucky.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "edgeformer/edgeformer.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

constexpr size_t kSessions = 4;
constexpr size_t kGeneratedTokens = 40;

struct Generation {
  std::vector<int32_t> ids;
  std::vector<float> last_logits;
  std::string error;
};

// Greedy generation in a fresh session; everything is returned rather than asserted, so that it can run on any
// thread.
Generation generate(const std::shared_ptr<const Model>& model, const std::string& prompt, int threads) {
  Generation run;
  SessionOptions options;
  options.threads = threads;
  std::unique_ptr<Session> session;
  if (Status s = Session::create(model, options, &session); !s.ok()) return {{}, {}, s.message()};
  std::vector<int32_t> tokens;
  if (Status s = model->tokenize(prompt, true, &tokens); !s.ok()) return {{}, {}, s.message()};
  if (Status s = session->prefill(tokens.data(), tokens.size()); !s.ok()) return {{}, {}, s.message()};
  Sampler sampler(session->vocab_size(), {});
  for (size_t i = 0; i < kGeneratedTokens; ++i) {
    run.ids.push_back(sampler.sample(session->logits()));
    if (Status s = session->decode(run.ids.back()); !s.ok()) return {{}, {}, s.message()};
  }
  run.last_logits.assign(session->logits(), session->logits() + session->vocab_size());
  return run;
}

class Concurrency : public ::testing::TestWithParam<converter::WeightFormat> {};

TEST_P(Concurrency, SessionsSharingOneModelOnParallelThreadsMatchRunningAlone) {
  EDGEFORMER_REQUIRE_STORIES260K(dir);
  TempDir tmp;
  converter::GraphOptions graph;
  graph.weights = GetParam();
  convert_llama2c(dir + "/stories260K.bin", dir + "/tok512.bin", tmp.file("m.eft"), graph);
  const auto model = open_or_fail(tmp.file("m.eft"));
  const std::string prompts[kSessions] = {"Once upon a time", "Lily and Ben went to the park",
                                          "The little dog was sad because", "One day, a big red ball"};
  // Inside one session work is also split over a thread pool; the Debian pthreadpool is not instrumented, so
  // under ThreadSanitizer its hand-offs would look like races: there each session runs on its own thread only.
  const int threads_per_session[kSessions] = {1, kThreadSanitizer ? 1 : 2, 1, kThreadSanitizer ? 1 : 2};

  Generation alone[kSessions], together[kSessions];
  for (size_t i = 0; i < kSessions; ++i) alone[i] = generate(model, prompts[i], threads_per_session[i]);
  std::vector<std::thread> workers;
  for (size_t i = 0; i < kSessions; ++i)
    workers.emplace_back([&, i] { together[i] = generate(model, prompts[i], threads_per_session[i]); });
  for (std::thread& worker : workers) worker.join();

  for (size_t i = 0; i < kSessions; ++i) {
    ASSERT_EQ(alone[i].error, "");
    ASSERT_EQ(together[i].error, "");
    EXPECT_EQ(together[i].ids, alone[i].ids) << prompts[i];
    ASSERT_EQ(together[i].last_logits.size(), alone[i].last_logits.size());
    EXPECT_EQ(std::memcmp(together[i].last_logits.data(), alone[i].last_logits.data(),
                          alone[i].last_logits.size() * sizeof(float)),
              0)
        << prompts[i];
  }
  // Different prompts, different continuations: the sessions did not share a KV cache.
  EXPECT_NE(alone[0].ids, alone[1].ids);
}

INSTANTIATE_TEST_SUITE_P(Quantizations, Concurrency,
                         ::testing::Values(converter::WeightFormat::kF32, converter::WeightFormat::kInt8),
                         [](const auto& info) { return info.param == converter::WeightFormat::kF32 ? "f32" : "int8"; });

// ef_last_error() is per thread: failures on parallel threads each read their own message.
TEST(ConcurrencyCApi, LastErrorIsPerThread) {
  constexpr int kThreads = 4;
  std::string messages[kThreads];
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i)
    workers.emplace_back([&, i] {
      const std::string path = "/nonexistent/model-" + std::to_string(i) + ".eft";
      ef_model* model = nullptr;
      for (int repeat = 0; repeat < 100; ++repeat) {
        if (ef_model_open_file(path.c_str(), &model) != EF_IO_ERROR) return;
        messages[i] = ef_last_error();
      }
    });
  for (std::thread& worker : workers) worker.join();
  for (int i = 0; i < kThreads; ++i)
    EXPECT_NE(messages[i].find("model-" + std::to_string(i) + ".eft"), std::string::npos) << messages[i];
}

}  // namespace
}  // namespace edgeformer::testing
