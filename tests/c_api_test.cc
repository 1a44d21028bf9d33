// The C API: every function with null and invalid arguments returns a status and a message, never crashes;
// generation through it reproduces the golden.
#include "edgeformer/edgeformer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace edgeformer::testing {
namespace {

TEST(CApi, NullArgumentsAreErrors) {
  ef_model* model = reinterpret_cast<ef_model*>(0x1);
  EXPECT_EQ(ef_model_open_file(nullptr, &model), EF_INVALID_ARGUMENT);
  EXPECT_STRNE(ef_last_error(), "");
  EXPECT_EQ(ef_model_open_file("x.eft", nullptr), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_model_open_buffer(nullptr, 10, &model), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_model_open_buffer("abc", 3, nullptr), EF_INVALID_ARGUMENT);
  ef_model_free(nullptr);
  EXPECT_EQ(ef_model_arena_bytes(nullptr), 0u);
  EXPECT_EQ(ef_model_vocab_size(nullptr), 0);
  EXPECT_EQ(ef_model_max_context(nullptr), 0);
  EXPECT_EQ(ef_model_bos_id(nullptr), -1);
  EXPECT_EQ(ef_model_eos_id(nullptr), -1);
  size_t count = 5;
  EXPECT_EQ(ef_model_stop_ids(nullptr, &count), nullptr);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(ef_model_is_stop_id(nullptr, 2), 0);
  int32_t ids[4];
  char text[8];
  EXPECT_EQ(ef_tokenize(nullptr, "a", 1, ids, 4, &count), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_detokenize(nullptr, -1, 3, text, sizeof text, &count), EF_INVALID_ARGUMENT);
  ef_session* session = nullptr;
  EXPECT_EQ(ef_session_create(nullptr, nullptr, &session), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_prefill(nullptr, ids, 1), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_decode(nullptr, 1), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_logits(nullptr), nullptr);
  EXPECT_EQ(ef_session_position(nullptr), 0u);
  ef_session_reset(nullptr);
  ef_session_free(nullptr);
  ef_sampler* sampler = nullptr;
  EXPECT_EQ(ef_sampler_create(10, 0.0f, 0, 1.0f, 0, nullptr), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_create(0, 0.0f, 0, 1.0f, 0, &sampler), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_create(10, -1.0f, 0, 1.0f, 0, &sampler), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_create(10, 1.0f, -3, 1.0f, 0, &sampler), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_create(10, 1.0f, 0, 0.0f, 0, &sampler), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_create(10, NAN, 0, 1.0f, 0, &sampler), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_sampler_sample(nullptr, nullptr), -1);
  ef_sampler_free(nullptr);
}

// Chat: formatting as the C++ API does, a chat that keeps the cache, and errors for what is wrong.
TEST(CApi, ChatFormatsAndKeepsTheCache) {
  TempDir tmp;
  const std::string path = convert_stories260k_chat(tmp);
  if (path.empty()) GTEST_SKIP() << "../shared/models/stories260K or ../shared/chat-templates not found";
  convert_llama2c(stories260k_dir() + "/stories260K.bin", stories260k_dir() + "/tok512.bin", tmp.file("plain.eft"));

  ef_model* model = nullptr;
  ASSERT_EQ(ef_model_open_file(path.c_str(), &model), EF_OK);
  EXPECT_EQ(ef_model_chat_template_status(model), EF_OK);
  const ef_chat_message messages[] = {{EF_CHAT_SYSTEM, "Tell stories."}, {EF_CHAT_USER, "Once upon a time"}};
  size_t count = 0;
  EXPECT_EQ(ef_chat_format(model, messages, 2, 0, nullptr, 0, &count), EF_OUT_OF_RANGE);
  std::vector<int32_t> ids(count);
  ASSERT_EQ(ef_chat_format(model, messages, 2, 0, ids.data(), ids.size(), &count), EF_OK);
  auto cpp = open_or_fail(path);
  std::vector<int32_t> want;
  ASSERT_TRUE(cpp->tokenize_chat({{ChatRole::kSystem, "Tell stories."}, {ChatRole::kUser, "Once upon a time"}},
                                 ChatOptions(), &want).ok());
  EXPECT_EQ(ids, want);
  char text[512];
  size_t length = 0;
  ASSERT_EQ(ef_chat_format_text(model, messages, 2, EF_CHAT_NO_GENERATION_PROMPT, text, sizeof text, &length), EF_OK);
  EXPECT_EQ(std::string(text, length).find("<|assistant|>"), std::string::npos) << text;
  EXPECT_EQ(ef_chat_format_text(model, messages, 2, 0, text, 4, &length), EF_OUT_OF_RANGE);
  const ef_chat_message bad_role[] = {{7, "x"}};
  EXPECT_EQ(ef_chat_format(model, bad_role, 1, 0, ids.data(), ids.size(), &count), EF_INVALID_ARGUMENT);
  const ef_chat_message null_text[] = {{EF_CHAT_USER, nullptr}};
  EXPECT_EQ(ef_chat_format(model, null_text, 1, 0, ids.data(), ids.size(), &count), EF_INVALID_ARGUMENT);

  ef_session* session = nullptr;
  ASSERT_EQ(ef_session_create(model, nullptr, &session), EF_OK);
  ef_chat* chat = nullptr;
  ef_chat_options options = {"Tell stories.", 0.0f, 0, 1.0f, 0, 0, 0};
  EXPECT_EQ(ef_chat_create(model, session, nullptr, nullptr), EF_INVALID_ARGUMENT);
  options.top_p = 0.0f;
  EXPECT_EQ(ef_chat_create(model, session, &options, &chat), EF_INVALID_ARGUMENT);
  options.top_p = 1.0f;
  ASSERT_EQ(ef_chat_create(model, session, &options, &chat), EF_OK);
  int32_t token = -1;
  int done = 0;
  EXPECT_EQ(ef_chat_next(chat, &token, &done), EF_INVALID_ARGUMENT);  // no turn yet
  size_t prompt = 0, reused = 0, dropped = 0;
  ASSERT_EQ(ef_chat_add_user(chat, "Once upon a time", &prompt, &reused, &dropped), EF_OK);
  EXPECT_EQ(prompt, want.size());
  EXPECT_EQ(reused, 0u);
  size_t replied = 0;
  for (; replied < 10; ++replied) {
    ASSERT_EQ(ef_chat_next(chat, &token, &done), EF_OK);
    if (done) break;
  }
  ef_chat_end_reply(chat);
  ASSERT_EQ(ef_chat_add_user(chat, "What next?", &prompt, &reused, &dropped), EF_OK);
  EXPECT_EQ(reused, want.size() + replied - 1);
  EXPECT_EQ(ef_chat_add_user(chat, nullptr, &prompt, &reused, &dropped), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_chat_add_user(nullptr, "x", nullptr, nullptr, nullptr), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_chat_next(chat, nullptr, &done), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_chat_previous(nullptr), -1);
  ef_chat_free(chat);
  ef_chat_free(nullptr);
  ef_chat_end_reply(nullptr);
  ef_session_free(session);
  ef_model_free(model);

  // A model without a template says so, and makes no chat.
  ASSERT_EQ(ef_model_open_file(tmp.file("plain.eft").c_str(), &model), EF_OK);
  EXPECT_EQ(ef_model_chat_template_status(model), EF_UNSUPPORTED);
  EXPECT_NE(std::string(ef_last_error()).find("no chat template"), std::string::npos) << ef_last_error();
  ASSERT_EQ(ef_session_create(model, nullptr, &session), EF_OK);
  EXPECT_EQ(ef_chat_create(model, session, nullptr, &chat), EF_UNSUPPORTED);
  EXPECT_EQ(chat, nullptr);
  EXPECT_EQ(ef_chat_format(model, messages, 2, 0, ids.data(), ids.size(), &count), EF_UNSUPPORTED);
  ef_session_free(session);
  ef_model_free(model);
}

TEST(CApi, BadFilesAreErrorsWithMessages) {
  ef_model* model = nullptr;
  EXPECT_EQ(ef_model_open_file("/nonexistent/model.eft", &model), EF_IO_ERROR);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::strstr(ef_last_error(), "/nonexistent/model.eft"), nullptr) << ef_last_error();
  alignas(64) static const char garbage[64] = "definitely not a model";
  EXPECT_EQ(ef_model_open_buffer(garbage, sizeof garbage, &model), EF_INVALID_MODEL);
  EXPECT_STRNE(ef_last_error(), "");
}

class CApiModel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("m.eft"));
    ASSERT_EQ(ef_model_open_file(tmp_.file("m.eft").c_str(), &model_), EF_OK) << ef_last_error();
  }
  void TearDown() override { ef_model_free(model_); }
  std::string dir_;
  TempDir tmp_;
  ef_model* model_ = nullptr;
};

TEST_F(CApiModel, GreedyGenerationReproducesTheGolden) {
  std::ifstream in(dir_ + "/expected_greedy_256.json");
  const auto golden = nlohmann::json::parse(in).at("output_ids").get<std::vector<int32_t>>();
  ef_session* session = nullptr;
  ef_session_options options = {2, nullptr, 0, 0};
  ASSERT_EQ(ef_session_create(model_, &options, &session), EF_OK) << ef_last_error();
  ef_sampler* sampler = nullptr;
  ASSERT_EQ(ef_sampler_create(ef_model_vocab_size(model_), 0.0f, 0, 1.0f, 0, &sampler), EF_OK);
  int32_t token = ef_model_bos_id(model_);
  ASSERT_EQ(token, 1);
  std::vector<int32_t> generated;
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(ef_session_decode(session, token), EF_OK) << ef_last_error();
    token = ef_sampler_sample(sampler, ef_session_logits(session));
    generated.push_back(token);
  }
  EXPECT_EQ(generated, std::vector<int32_t>(golden.begin(), golden.begin() + 64));
  EXPECT_EQ(ef_session_position(session), 64u);
  ef_session_reset(session);
  EXPECT_EQ(ef_session_position(session), 0u);
  EXPECT_EQ(ef_session_decode(session, 100000), EF_OUT_OF_RANGE);
  EXPECT_EQ(ef_session_prefill(session, &token, 0), EF_INVALID_ARGUMENT);
  ef_sampler_free(sampler);
  ef_session_free(session);
}

TEST_F(CApiModel, ArenaCapRefusesALargerModel) {
  const size_t bytes = ef_model_arena_bytes(model_);
  ef_session* session = nullptr;
  ef_session_options capped = {1, nullptr, 0, bytes - 1};
  EXPECT_EQ(ef_session_create(model_, &capped, &session), EF_OUT_OF_MEMORY);
  EXPECT_EQ(session, nullptr);
  EXPECT_NE(std::strstr(ef_last_error(), "max_arena_bytes"), nullptr) << ef_last_error();
  ef_session_options exact = {1, nullptr, 0, bytes};
  ASSERT_EQ(ef_session_create(model_, &exact, &session), EF_OK) << ef_last_error();
  EXPECT_EQ(ef_session_decode(session, 1), EF_OK);
  ef_session_free(session);
}

TEST_F(CApiModel, CallerOwnedArena) {
  const size_t bytes = ef_model_arena_bytes(model_);
  ASSERT_GT(bytes, 0u);
  void* arena = std::aligned_alloc(64, (bytes + 64) / 64 * 64 + 64);
  ef_session* session = nullptr;
  ef_session_options small = {1, arena, bytes - 1, 0};
  EXPECT_EQ(ef_session_create(model_, &small, &session), EF_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ef_last_error(), "arena"), nullptr) << ef_last_error();
  ef_session_options misaligned = {1, static_cast<char*>(arena) + 8, bytes, 0};
  EXPECT_EQ(ef_session_create(model_, &misaligned, &session), EF_INVALID_ARGUMENT);
  ef_session_options zero_threads = {0, arena, bytes, 0};
  EXPECT_EQ(ef_session_create(model_, &zero_threads, &session), EF_INVALID_ARGUMENT);
  ef_session_options huge_threads = {1 << 20, arena, bytes, 0};
  EXPECT_EQ(ef_session_create(model_, &huge_threads, &session), EF_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ef_last_error(), "threads"), nullptr) << ef_last_error();
  ef_session_options good = {1, arena, bytes, 0};
  ASSERT_EQ(ef_session_create(model_, &good, &session), EF_OK) << ef_last_error();
  EXPECT_EQ(ef_session_decode(session, 1), EF_OK);
  const float* logits = ef_session_logits(session);
  EXPECT_GE(reinterpret_cast<const char*>(logits), static_cast<const char*>(arena));
  EXPECT_LT(reinterpret_cast<const char*>(logits), static_cast<const char*>(arena) + bytes);
  ef_session_free(session);
  std::free(arena);
}

TEST_F(CApiModel, TokenizeReportsTheNeededCapacity) {
  size_t count = 0;
  int32_t ids[2];
  EXPECT_EQ(ef_tokenize(model_, "Once upon a time there was a dog", 1, ids, 2, &count), EF_OUT_OF_RANGE);
  EXPECT_GT(count, 2u);
  std::vector<int32_t> all(count);
  ASSERT_EQ(ef_tokenize(model_, "Once upon a time there was a dog", 1, all.data(), all.size(), &count), EF_OK);
  std::string text;
  char piece[64];
  size_t length = 0;
  for (size_t i = 1; i < count; ++i) {
    ASSERT_EQ(ef_detokenize(model_, all[i - 1], all[i], piece, sizeof piece, &length), EF_OK);
    EXPECT_EQ(std::strlen(piece), length);
    text += piece;
  }
  EXPECT_EQ(text, "Once upon a time there was a dog");
  EXPECT_EQ(ef_detokenize(model_, -1, 400, piece, 1, &length), EF_OUT_OF_RANGE);
  EXPECT_EQ(ef_detokenize(model_, -1, 4000, piece, sizeof piece, &length), EF_OUT_OF_RANGE);
}

TEST_F(CApiModel, OneModelManySessions) {
  ef_session *a = nullptr, *b = nullptr;
  ASSERT_EQ(ef_session_create(model_, nullptr, &a), EF_OK);
  ASSERT_EQ(ef_session_create(model_, nullptr, &b), EF_OK);
  // The model handle may go before its sessions: they keep what they need alive.
  ef_model_free(model_);
  model_ = nullptr;
  ASSERT_EQ(ef_session_decode(a, 1), EF_OK);
  ASSERT_EQ(ef_session_decode(b, 1), EF_OK);
  EXPECT_EQ(std::memcmp(ef_session_logits(a), ef_session_logits(b), 512 * sizeof(float)), 0);
  ef_session_free(a);
  ef_session_free(b);
}

// An encoder through the C API: tokenize with [CLS]/[SEP], encode with a padding mask, read the head's output and
// the labels; bad arguments are statuses.
TEST(CApi, EncoderClassifiesAndReportsItsLabels) {
  const std::string fixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/bert-tiny-classifier";
  TempDir temp;
  convert_hf_bert(fixture, temp.file("bert.eft"));
  ef_model* model = nullptr;
  ASSERT_EQ(ef_model_open_file(temp.file("bert.eft").c_str(), &model), EF_OK) << ef_last_error();
  ASSERT_EQ(ef_model_label_count(model), 3);
  EXPECT_STREQ(ef_model_label(model, 2), "positive");
  EXPECT_EQ(ef_model_label(model, 3), nullptr);
  EXPECT_EQ(ef_model_label(nullptr, 0), nullptr);
  ef_session* session = nullptr;
  ASSERT_EQ(ef_session_create(model, nullptr, &session), EF_OK) << ef_last_error();

  std::ifstream in(fixture + "/reference.json");
  const nlohmann::json text = nlohmann::json::parse(in).at("texts").at(2);
  int32_t ids[16];
  size_t count = 0;
  ASSERT_EQ(ef_tokenize(model, text.at("text").get<std::string>().c_str(), 1, ids, 13, &count), EF_OK);
  ASSERT_EQ(std::vector<int32_t>(ids, ids + count), text.at("ids").get<std::vector<int32_t>>());
  // Padded to 16 rows: the padding changes nothing.
  int32_t mask[16] = {};
  for (size_t i = 0; i < count; ++i) mask[i] = 1;
  for (size_t i = count; i < 16; ++i) ids[i] = 0;
  ASSERT_EQ(ef_session_encode(session, ids, nullptr, mask, 16), EF_OK) << ef_last_error();
  const float* logits = nullptr;
  size_t logit_count = 0;
  ASSERT_EQ(ef_session_output(session, "encode", "logits", &logits, &logit_count), EF_OK) << ef_last_error();
  ASSERT_EQ(logit_count, 3u);
  const std::vector<double> want = text.at("logits").get<std::vector<double>>();
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(logits[i], want[i], 1e-4);
  const float* hidden = nullptr;
  size_t hidden_count = 0;
  ASSERT_EQ(ef_session_output(session, "encode", "hidden", &hidden, &hidden_count), EF_OK);
  EXPECT_EQ(hidden_count, 16u * 32u);

  EXPECT_EQ(ef_session_encode(nullptr, ids, nullptr, mask, 16), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_encode(session, nullptr, nullptr, mask, 16), EF_INVALID_ARGUMENT);
  mask[0] = 0;
  EXPECT_EQ(ef_session_encode(session, ids, nullptr, mask, 16), EF_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ef_last_error(), "mask"), nullptr) << ef_last_error();
  EXPECT_EQ(ef_session_output(session, "encode", "nothing", &logits, &logit_count), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_output(session, "encode", nullptr, &logits, &logit_count), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_output(session, "encode", "logits", nullptr, &logit_count), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_prefill(session, ids, 3), EF_UNSUPPORTED);
  ef_session_free(session);
  ef_model_free(model);
}

// An encoder-decoder through the C API: greedy and beam translations equal the PyTorch reference's.
TEST(CApi, EncoderDecoderTranslates) {
  const std::string fixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/marian-tiny";
  TempDir temp;
  convert_hf_marian(fixture, temp.file("marian.eft"));
  ef_model* model = nullptr;
  ASSERT_EQ(ef_model_open_file(temp.file("marian.eft").c_str(), &model), EF_OK) << ef_last_error();
  ef_session* session = nullptr;
  ASSERT_EQ(ef_session_create(model, nullptr, &session), EF_OK) << ef_last_error();
  std::ifstream in(fixture + "/reference.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const nlohmann::json& translation = ref.at("translations").at(3);
  const auto source = translation.at("source").get<std::vector<int32_t>>();
  int32_t target[64];
  size_t count = 0;
  for (int beams : {1, ref.at("beams").get<int>()}) {
    ASSERT_EQ(ef_session_translate(session, source.data(), source.size(), beams, 12, target, 64, &count), EF_OK)
        << ef_last_error();
    EXPECT_EQ(std::vector<int32_t>(target, target + count),
              translation.at(beams == 1 ? "greedy" : "beam").get<std::vector<int32_t>>());
  }
  EXPECT_EQ(ef_session_translate(session, source.data(), source.size(), 1, 12, target, 2, &count), EF_OUT_OF_RANGE);
  EXPECT_EQ(count, 12u);
  EXPECT_EQ(ef_session_translate(session, source.data(), source.size(), 0, 12, target, 64, &count),
            EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_translate(session, nullptr, 3, 1, 12, target, 64, &count), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_translate(nullptr, source.data(), source.size(), 1, 12, target, 64, &count),
            EF_INVALID_ARGUMENT);
  ef_session_free(session);
  ef_model_free(model);
}

// Attention capture through the C API: a translation's cross-attention rows (target positions over the source) sum
// to 1 over the source's tokens; a short buffer and a bad kind are errors.
TEST(CApi, CapturesCrossAttention) {
  const std::string fixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/marian-tiny";
  TempDir temp;
  convert_hf_marian(fixture, temp.file("marian.eft"));
  ef_model* model = nullptr;
  ASSERT_EQ(ef_model_open_file(temp.file("marian.eft").c_str(), &model), EF_OK) << ef_last_error();
  int layers = 0, heads = 0;
  ASSERT_EQ(ef_model_attention_shape(model, EF_ATTENTION_CROSS, &layers, &heads), EF_OK);
  EXPECT_GT(layers, 0);
  EXPECT_GT(heads, 0);
  EXPECT_EQ(ef_model_attention_shape(model, 7, &layers, &heads), EF_INVALID_ARGUMENT);
  ef_session* session = nullptr;
  ASSERT_EQ(ef_session_create(model, nullptr, &session), EF_OK) << ef_last_error();

  const int32_t source[5] = {12, 30, 41, 7, 0}, target[4] = {63, 20, 31, 9};
  std::vector<float> buffer(size_t(layers) * heads * 4 * 5, -1.0f);
  ef_attention_capture capture = {EF_ATTENTION_CROSS, 0, -1, 0, -1, 4, 5, buffer.data(), buffer.size() - 1};
  EXPECT_EQ(ef_session_capture_attention(session, &capture), EF_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ef_last_error(), std::to_string(buffer.size()).c_str()), nullptr) << ef_last_error();
  capture.buffer_floats = buffer.size();
  ASSERT_EQ(ef_session_capture_attention(session, &capture), EF_OK) << ef_last_error();
  ASSERT_EQ(ef_session_encode(session, source, nullptr, nullptr, 5), EF_OK) << ef_last_error();
  ASSERT_EQ(ef_session_prefill(session, target, 4), EF_OK) << ef_last_error();
  for (size_t row = 0; row < buffer.size() / 5; ++row) {
    double sum = 0.0;
    for (size_t key = 0; key < 5; ++key) sum += buffer[row * 5 + key];
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << row;
  }
  EXPECT_EQ(ef_session_capture_attention(session, nullptr), EF_OK);
  EXPECT_EQ(ef_session_prefill(session, target, 2), EF_OK);  // no capture: nothing to overflow
  capture.kind = 9;
  EXPECT_EQ(ef_session_capture_attention(session, &capture), EF_INVALID_ARGUMENT);
  EXPECT_EQ(ef_session_capture_attention(nullptr, &capture), EF_INVALID_ARGUMENT);
  ef_session_free(session);
  ef_model_free(model);
}

}  // namespace
}  // namespace edgeformer::testing
