// After a session is created, prefill and decode make no heap allocation: every allocation function of the
// process is replaced by one that counts while a flag is set.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "test_support.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* ptr);
}

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void note() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* malloc(size_t size) {
  note();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  note();
  return __libc_calloc(count, size);
}
void* realloc(void* ptr, size_t size) {
  note();
  return __libc_realloc(ptr, size);
}
void* memalign(size_t alignment, size_t size) {
  note();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  note();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  note();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* ptr) { __libc_free(ptr); }
}

namespace edgeformer::testing {
namespace {

constexpr int kDecodeSteps = 200;

void expect_no_allocations(int threads, converter::WeightFormat format, bool capture = false) {
  const std::string dir = stories260k_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
  TempDir tmp;
  converter::GraphOptions options;
  options.weights = format;
  convert_llama2c(dir + "/stories260K.bin", dir + "/tok512.bin", tmp.file("m.eft"), options);
  auto model = open_or_fail(tmp.file("m.eft"));
  std::unique_ptr<Session> session;
  SessionOptions session_options;
  session_options.threads = threads;
  ASSERT_TRUE(Session::create(model, session_options, &session).ok());
  Sampler sampler(session->vocab_size(), {0.8f, 40, 0.9f, 5});
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 432};
  std::vector<float> captured;
  if (capture) {
    AttentionCapture c;
    c.head_begin = 1;
    c.max_queries = c.max_keys = prompt.size() + kDecodeSteps;
    const AttentionShape shape = model->attention_shape(AttentionKind::kDecoder);
    captured.resize(size_t(shape.layers) * size_t(shape.heads - 1) * c.max_queries * c.max_keys);
    c.buffer = captured.data();
    c.buffer_floats = captured.size();
    ASSERT_TRUE(session->capture_attention(c).ok());
  }

  allocations = 0;
  counting = true;
  bool ok = session->prefill(prompt.data(), prompt.size()).ok();
  for (int i = 0; ok && i < kDecodeSteps; ++i) ok = session->decode(sampler.sample(session->logits())).ok();
  counting = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(session->position(), prompt.size() + kDecodeSteps);
  EXPECT_EQ(allocations.load(), 0) << "heap allocations during prefill/decode";
}

TEST(ZeroAllocation, CounterSeesAllocations) {
  allocations = 0;
  counting = true;
  void* p = std::malloc(100);
  auto* q = new std::vector<int>(10);
  counting = false;
  delete q;
  std::free(p);
  EXPECT_GE(allocations.load(), 3);
}

TEST(ZeroAllocation, DecodeF32OneThread) { expect_no_allocations(1, converter::WeightFormat::kF32); }
TEST(ZeroAllocation, DecodeInt8OneThread) { expect_no_allocations(1, converter::WeightFormat::kInt8); }
TEST(ZeroAllocation, DecodeF32TwoThreads) { expect_no_allocations(2, converter::WeightFormat::kF32); }
// Capturing attention writes into the caller's buffer only.
TEST(ZeroAllocation, CapturedDecodeTwoThreads) { expect_no_allocations(2, converter::WeightFormat::kF32, true); }

// An encoder's encode, and reading its outputs, allocate nothing either (int8: the activation quantization too).
TEST(ZeroAllocation, EncodeBertInt8TwoThreads) {
  TempDir tmp;
  converter::GraphOptions options;
  options.weights = converter::WeightFormat::kInt8;
  convert_hf_bert(std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/bert-tiny-classifier", tmp.file("b.eft"),
                  options);
  auto model = open_or_fail(tmp.file("b.eft"));
  std::unique_ptr<Session> session;
  SessionOptions session_options;
  session_options.threads = 2;
  ASSERT_TRUE(Session::create(model, session_options, &session).ok());
  const int32_t ids[8] = {2, 11, 12, 14, 15, 11, 16, 3}, mask[8] = {1, 1, 1, 1, 1, 1, 0, 0};
  allocations = 0;
  counting = true;
  bool ok = true;
  for (int i = 0; ok && i < 20; ++i) ok = session->encode(ids, nullptr, i % 2 ? mask : nullptr, 8).ok();
  const void* logits = nullptr;
  size_t bytes = 0;
  ok = ok && session->output("encode", "logits", &logits, &bytes).ok();
  counting = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations.load(), 0) << "heap allocations during encode";
}

// A chat's reply (every token after the turn's prefill) allocates nothing either, on the first turn and on a later
// one that reuses the cache. (Laying out and tokenizing the turn, in add_user, allocates its working buffers.)
TEST(ZeroAllocation, ChatReplyTwoThreads) {
  TempDir tmp;
  const std::string path = convert_stories260k_chat(tmp);
  if (path.empty()) GTEST_SKIP() << "../shared/models/stories260K or ../shared/chat-templates not found";
  auto model = open_or_fail(path);
  auto session = session_of(model, 2);
  Chat::Options options;
  options.sampling = {0.8f, 40, 0.9f, 5};
  Chat chat(*session, *model, options);
  chat.set_system("Tell stories.");
  for (const char* user : {"Once upon a time", "And then?"}) {
    ASSERT_TRUE(chat.add_user(user, nullptr).ok());
    allocations = 0;
    counting = true;
    bool ok = true;
    int32_t token;
    Generator::Stop stop = Generator::Stop::kNone;
    for (int i = 0; ok && stop == Generator::Stop::kNone && i < 60; ++i) ok = chat.next(&token, &stop).ok();
    counting = false;
    chat.end_reply();
    EXPECT_TRUE(ok);
    EXPECT_EQ(allocations.load(), 0) << "heap allocations during a chat reply";
  }
}

}  // namespace
}  // namespace edgeformer::testing
