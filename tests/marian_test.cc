// Marian end to end against an independent PyTorch reference: tests/reference/make_marian_fixture.py builds a seeded
// random-weight MarianMTModel checkpoint in the Hugging Face layout and computes its encoder output, teacher-forced
// decoder logits, greedy and beam-search translations in float64 with torch.nn.functional; the fixture
// (tests/fixtures/marian-tiny) is committed. Here it is converted like any Hugging Face folder and run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "families/marian/marian_graph.h"
#include "graph/eft_writer.h"
#include "test_support.h"
#include "tokenizers/sentencepiece_reader.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/marian-tiny";
// f32 outputs within this relative error (of the largest reference value) of the float64 reference.
constexpr double kF32MaxRelativeError = 1e-4;
// int8 weights: cosine similarity of encoder states and logits, and top-1 agreement of teacher-forced steps.
constexpr double kInt8MinCosine = 0.995;
constexpr double kInt8MinTop1Agreement = 0.95;

nlohmann::json reference() {
  std::ifstream in(kFixture + "/reference.json");
  return nlohmann::json::parse(in);
}

std::shared_ptr<const Model> convert(const TempDir& temp, converter::WeightFormat weights,
                                     converter::KvCacheFormat kv = converter::KvCacheFormat::kF32) {
  converter::GraphOptions options;
  options.weights = weights;
  options.kv_cache = kv;
  converter::Graph graph = converter::build_marian_graph(converter::read_hf_marian(kFixture), options);
  const std::string path = temp.file(std::string(converter::weight_format_name(weights)) + ".eft");
  converter::write_eft(graph, path);
  return open_or_fail(path);
}

void expect_near(const float* got, const std::vector<double>& want, const std::string& what) {
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], kF32MaxRelativeError * scale) << what << " element " << i;
}

double cosine(const float* a, const std::vector<double>& b) {
  double dot = 0.0, aa = 0.0, bb = 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    dot += a[i] * b[i];
    aa += double(a[i]) * a[i];
    bb += b[i] * b[i];
  }
  return dot / std::sqrt(aa * bb);
}

std::vector<float> hidden(const Session& session) {
  const void* data = nullptr;
  size_t bytes = 0;
  EXPECT_TRUE(session.output("encode", "hidden", &data, &bytes).ok());
  const float* floats = static_cast<const float*>(data);
  return std::vector<float>(floats, floats + bytes / sizeof(float));
}

// The encoder over a padded batch: a one-token source, short ones and one at the maximum length, every row.
TEST(Marian, EncoderMatchesPyTorchOnAPaddedBatch) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().architecture, "marian");
  const nlohmann::json ref = reference();
  const nlohmann::json& encoder = ref.at("encoder");
  auto session = session_of(model);
  for (size_t b = 0; b < encoder.at("ids").size(); ++b) {
    SCOPED_TRACE("source " + std::to_string(b));
    const auto ids = encoder.at("ids")[b].get<std::vector<int32_t>>();
    const auto mask = encoder.at("mask")[b].get<std::vector<int32_t>>();
    ASSERT_TRUE(session->encode(ids.data(), nullptr, mask.data(), ids.size()).ok());
    expect_near(hidden(*session).data(), encoder.at("hidden")[b].get<std::vector<double>>(), "hidden");
  }
}

// Teacher forcing: after encoding each source, its target fed token by token (decode) and as one prefill gives
// the reference logits at every position; encoding another source in between changes nothing once re-encoded.
TEST(Marian, TeacherForcedLogitsMatchPyTorch) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference();
  auto session = session_of(model);
  const std::vector<int32_t> other = {5, 6, 7, 0};
  for (const nlohmann::json& forced : ref.at("teacher_forced")) {
    const auto source = forced.at("source").get<std::vector<int32_t>>();
    const auto target = forced.at("target").get<std::vector<int32_t>>();
    SCOPED_TRACE("source of " + std::to_string(source.size()) + " tokens");
    ASSERT_EQ(target.front(), model->bos_id());
    ASSERT_TRUE(session->encode(other.data(), nullptr, nullptr, other.size()).ok());
    ASSERT_TRUE(session->encode(source.data(), nullptr, nullptr, source.size()).ok());
    EXPECT_EQ(session->position(), 0u);
    for (size_t t = 0; t < target.size(); ++t) {
      ASSERT_TRUE(session->decode(target[t]).ok());
      expect_near(session->logits(), forced.at("logits")[t].get<std::vector<double>>(), "step " + std::to_string(t));
    }
    ASSERT_TRUE(session->encode(source.data(), nullptr, nullptr, source.size()).ok());
    ASSERT_TRUE(session->prefill(target.data(), target.size()).ok());
    expect_near(session->logits(), forced.at("logits").back().get<std::vector<double>>(), "prefill");
  }
}

// Greedy and beam search give the reference's translations exactly, on one thread and on two.
TEST(Marian, TranslationsAreIdenticalToTheReferenceGreedyAndBeam) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference();
  for (int threads : {1, 2}) {
    auto session = session_of(model, threads);
    for (const nlohmann::json& translation : ref.at("translations")) {
      const auto source = translation.at("source").get<std::vector<int32_t>>();
      SCOPED_TRACE("source of " + std::to_string(source.size()) + " tokens, " + std::to_string(threads) + " threads");
      Session::TranslateOptions options;
      options.max_tokens = ref.at("max_new_tokens").get<size_t>();
      std::vector<int32_t> got;
      ASSERT_TRUE(session->translate(source.data(), source.size(), options, &got).ok());
      EXPECT_EQ(got, translation.at("greedy").get<std::vector<int32_t>>());
      options.beams = ref.at("beams").get<int>();
      ASSERT_TRUE(session->translate(source.data(), source.size(), options, &got).ok());
      EXPECT_EQ(got, translation.at("beam").get<std::vector<int32_t>>());
    }
  }
}

// Text in, text out: source.spm + vocab.json give MarianTokenizer's ids (EOS last, unknown pieces as <unk>), and
// the translations decode to the reference's text.
TEST(Marian, TextTranslationsMatchTheReference) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  if (!converter::have_sentencepiece()) GTEST_SKIP() << "built without libsentencepiece-dev";
  ASSERT_EQ(model->info().tokenizer_kind, "sentencepiece_unigram");
  const nlohmann::json ref = reference();
  auto session = session_of(model);
  for (const nlohmann::json& text : ref.at("texts")) {
    SCOPED_TRACE(text.at("text").get<std::string>());
    std::vector<int32_t> source;
    ASSERT_TRUE(model->tokenize(text.at("text"), true, &source).ok());
    ASSERT_EQ(source, text.at("source").get<std::vector<int32_t>>());
    for (const char* kind : {"greedy", "beam"}) {
      Session::TranslateOptions options;
      options.max_tokens = ref.at("max_new_tokens").get<size_t>();
      options.beams = std::string(kind) == "beam" ? ref.at("beams").get<int>() : 1;
      std::vector<int32_t> target;
      ASSERT_TRUE(session->translate(source.data(), source.size(), options, &target).ok());
      ASSERT_EQ(target, text.at(kind).get<std::vector<int32_t>>());
      std::string decoded;
      for (size_t i = 0; i < target.size(); ++i) {
        std::string piece;
        ASSERT_TRUE(model->detokenize(i == 0 ? model->bos_id() : target[i - 1], target[i], &piece).ok());
        decoded += piece;
      }
      while (!decoded.empty() && decoded.back() == ' ') decoded.pop_back();
      EXPECT_EQ(decoded, text.at(std::string(kind) + "_text").get<std::string>());
    }
  }
}

TEST(Marian, Int8StaysWithinItsBudgets) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kInt8, converter::KvCacheFormat::kInt8);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference();
  auto session = session_of(model);
  double worst = 1.0;
  const nlohmann::json& encoder = ref.at("encoder");
  for (size_t b = 0; b < encoder.at("ids").size(); ++b) {
    const auto ids = encoder.at("ids")[b].get<std::vector<int32_t>>();
    const auto mask = encoder.at("mask")[b].get<std::vector<int32_t>>();
    ASSERT_TRUE(session->encode(ids.data(), nullptr, mask.data(), ids.size()).ok());
    worst = std::min(worst, cosine(hidden(*session).data(), encoder.at("hidden")[b].get<std::vector<double>>()));
  }
  size_t agree = 0, steps = 0;
  for (const nlohmann::json& forced : ref.at("teacher_forced")) {
    const auto source = forced.at("source").get<std::vector<int32_t>>();
    const auto target = forced.at("target").get<std::vector<int32_t>>();
    ASSERT_TRUE(session->encode(source.data(), nullptr, nullptr, source.size()).ok());
    for (size_t t = 0; t < target.size(); ++t, ++steps) {
      ASSERT_TRUE(session->decode(target[t]).ok());
      const auto want = forced.at("logits")[t].get<std::vector<double>>();
      worst = std::min(worst, cosine(session->logits(), want));
      const int vocab = session->vocab_size();
      agree += std::max_element(session->logits(), session->logits() + vocab) - session->logits() ==
               std::max_element(want.begin(), want.end()) - want.begin();
    }
  }
  std::printf("int8 marian (int8 KV cache): worst cosine %.6f, top-1 agreement %zu of %zu\n", worst, agree, steps);
  EXPECT_GE(worst, kInt8MinCosine);
  EXPECT_GE(double(agree) / double(steps), kInt8MinTop1Agreement);
}

TEST(Marian, BadCallsAreRefusedWithAReason) {
  TempDir temp;
  const auto model = convert(temp, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  auto session = session_of(model);
  // Decoding before any source is encoded.
  Status s = session->decode(model->bos_id());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("encode"), std::string::npos) << s.message();
  const std::vector<int32_t> source = {5, 0}, too_long(33, 5);
  std::vector<int32_t> target;
  Session::TranslateOptions options;
  options.beams = 0;
  EXPECT_EQ(session->translate(source.data(), source.size(), options, &target).code(), StatusCode::kInvalidArgument);
  options.beams = 2;
  EXPECT_EQ(session->translate(source.data(), source.size(), options, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(session->translate(too_long.data(), too_long.size(), options, &target).code(), StatusCode::kOutOfRange);
  const std::vector<int32_t> bad = {64, 0};
  EXPECT_EQ(session->translate(bad.data(), bad.size(), options, &target).code(), StatusCode::kOutOfRange);
  // Still usable after every refusal.
  EXPECT_TRUE(session->translate(source.data(), source.size(), options, &target).ok());
}

// Configurations this runtime does not run are refused at conversion, naming the key.
TEST(Marian, UnsupportedConfigurationsAreRefusedByKey) {
  const std::pair<const char*, nlohmann::json> cases[] = {{"normalize_before", true},
                                                          {"add_final_layer_norm", true},
                                                          {"share_encoder_decoder_embeddings", false},
                                                          {"activation_function", "tanh"},
                                                          {"decoder_vocab_size", 65}};
  for (const auto& [key, value] : cases) {
    TempDir temp;
    copy_with_json_key(kFixture, temp, "config.json", key, value);
    expect_refused([&] { converter::read_hf_marian(temp.path()); }, key);
  }
}

}  // namespace
}  // namespace edgeformer::testing
