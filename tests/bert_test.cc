// BERT end to end against an independent PyTorch reference: tests/reference/make_bert_fixture.py builds two seeded
// random-weight checkpoints in the Hugging Face layouts (a BertForSequenceClassification folder and a
// sentence-transformers folder) and computes their outputs in float64 with torch.nn.functional; the fixtures
// (tests/fixtures/bert-tiny-*) are committed. Here they are converted like any Hugging Face folder and encoded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "families/bert/bert_graph.h"
#include "graph/eft_writer.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;

const std::string kClassifier = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/bert-tiny-classifier";
const std::string kSentence = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/bert-tiny-sentence";
// f32 outputs within this relative error (of the largest reference value) of the float64 reference.
constexpr double kF32MaxRelativeError = 1e-4;
// int8 weights: cosine similarity of hidden states and embeddings, and top-1 agreement of the classifier.
constexpr double kInt8MinCosine = 0.995;
constexpr double kInt8MinTop1Agreement = 0.95;

nlohmann::json reference(const std::string& fixture) {
  std::ifstream in(fixture + "/reference.json");
  return nlohmann::json::parse(in);
}

std::shared_ptr<const Model> convert(const TempDir& temp, const std::string& fixture, converter::WeightFormat weights,
                                     int max_context = 0) {
  converter::GraphOptions options;
  options.weights = weights;
  options.max_context = max_context;
  converter::Graph graph = converter::build_bert_graph(converter::read_hf_bert(fixture), options);
  const std::string path = temp.file(fs::path(fixture).filename().string() + "." +
                                     converter::weight_format_name(weights) + ".eft");
  converter::write_eft(graph, path);
  return open_or_fail(path);
}

std::vector<float> output(const Session& session, const char* name) {
  const void* data = nullptr;
  size_t bytes = 0;
  EXPECT_TRUE(session.output("encode", name, &data, &bytes).ok()) << name;
  const float* floats = static_cast<const float*>(data);
  return std::vector<float>(floats, floats + bytes / sizeof(float));
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], kF32MaxRelativeError * scale) << what << " element " << i;
}

double cosine(const std::vector<float>& a, const std::vector<double>& b) { return cosine_similarity(a.data(), b); }

template <typename T>
size_t argmax(const std::vector<T>& v) {
  return size_t(std::max_element(v.begin(), v.end()) - v.begin());
}

// [CLS] text [SEP] cut to `max_tokens` with [SEP] kept last, as the CLI and Hugging Face truncation do.
std::vector<int32_t> tokens_of(const Model& model, const std::string& text, size_t max_tokens) {
  std::vector<int32_t> ids;
  EXPECT_TRUE(model.tokenize(text, true, &ids).ok()) << text;
  if (ids.size() > max_tokens) {
    const int32_t sep = ids.back();
    ids.resize(max_tokens);
    ids.back() = sep;
  }
  return ids;
}

struct BatchItem {
  std::vector<int32_t> ids, types, mask;
  size_t tokens;
};

std::vector<BatchItem> batch_of(const nlohmann::json& batch) {
  std::vector<BatchItem> items;
  for (size_t b = 0; b < batch.at("ids").size(); ++b) {
    BatchItem item;
    item.ids = batch.at("ids")[b].get<std::vector<int32_t>>();
    item.types = batch.contains("token_types") ? batch.at("token_types")[b].get<std::vector<int32_t>>()
                                               : std::vector<int32_t>(item.ids.size(), 0);
    item.mask = batch.at("mask")[b].get<std::vector<int32_t>>();
    item.tokens = size_t(std::count(item.mask.begin(), item.mask.end(), 1));
    items.push_back(item);
  }
  return items;
}

// Every row of a padded batch (padding rows too, as BertModel computes them), the pooler and the classifier: one
// sequence at the maximum length, a sentence pair with token types, a single token.
TEST(Bert, ClassifierF32MatchesPyTorchOnAPaddedBatch) {
  TempDir temp;
  const auto model = convert(temp, kClassifier, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().architecture, "bert");
  EXPECT_EQ(model->info().labels, (std::vector<std::string>{"negative", "neutral", "positive"}));
  EXPECT_FALSE(model->info().multi_label);
  const nlohmann::json ref = reference(kClassifier);
  const nlohmann::json& batch = ref.at("batch");
  const std::vector<BatchItem> items = batch_of(batch);
  ASSERT_EQ(items[0].tokens, size_t(model->info().max_context));  // the maximum length
  ASSERT_EQ(items[2].tokens, 1u);                                 // a single token
  auto session = session_of(model);
  for (size_t b = 0; b < items.size(); ++b) {
    SCOPED_TRACE("batch item " + std::to_string(b));
    const BatchItem& item = items[b];
    ASSERT_TRUE(session->encode(item.ids.data(), item.types.data(), item.mask.data(), item.ids.size()).ok());
    expect_near(output(*session, "hidden"), batch.at("hidden")[b].get<std::vector<double>>(), "hidden");
    expect_near(output(*session, "pooled"), batch.at("pooled")[b].get<std::vector<double>>(), "pooled");
    expect_near(output(*session, "logits"), batch.at("logits")[b].get<std::vector<double>>(), "logits");
    // Unpadded, the sequence gives the same token rows and head.
    const std::vector<float> padded_hidden = output(*session, "hidden");
    const std::vector<float> padded_logits = output(*session, "logits");
    ASSERT_TRUE(session->encode(item.ids.data(), item.types.data(), nullptr, item.tokens).ok());
    const std::vector<float> hidden = output(*session, "hidden");
    ASSERT_EQ(hidden.size(), item.tokens * size_t(model->info().hidden_size));
    for (size_t i = 0; i < hidden.size(); ++i) ASSERT_EQ(hidden[i], padded_hidden[i]) << i;
    EXPECT_EQ(output(*session, "logits"), padded_logits);
  }
}

TEST(Bert, ClassifierTextsGiveTheReferenceProbabilities) {
  TempDir temp;
  const auto model = convert(temp, kClassifier, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  auto session = session_of(model);
  const nlohmann::json ref = reference(kClassifier);
  for (const nlohmann::json& text : ref.at("texts")) {
    SCOPED_TRACE(text.at("text").get<std::string>());
    const std::vector<int32_t> ids = tokens_of(*model, text.at("text"), size_t(model->info().max_context));
    ASSERT_EQ(ids, text.at("ids").get<std::vector<int32_t>>());
    ASSERT_TRUE(session->encode(ids.data(), nullptr, nullptr, ids.size()).ok());
    expect_near(output(*session, "logits"), text.at("logits").get<std::vector<double>>(), "logits");
  }
}

TEST(Bert, SentenceEmbeddingsMatchPyTorchIncludingATruncatedText) {
  TempDir temp;
  const auto model = convert(temp, kSentence, converter::WeightFormat::kF32);
  ASSERT_TRUE(model);
  const nlohmann::json ref = reference(kSentence);
  // sentence_bert_config.json's max_seq_length, not the 32 learned positions, bounds the sequence.
  ASSERT_EQ(model->info().max_context, ref.at("max_seq_length").get<int>());
  auto session = session_of(model);
  bool truncated = false;
  for (const nlohmann::json& text : ref.at("texts")) {
    SCOPED_TRACE(text.at("text").get<std::string>());
    std::vector<int32_t> full;
    ASSERT_TRUE(model->tokenize(text.at("text"), true, &full).ok());
    truncated |= full.size() > size_t(model->info().max_context);
    const std::vector<int32_t> ids = tokens_of(*model, text.at("text"), size_t(model->info().max_context));
    ASSERT_EQ(ids, text.at("ids").get<std::vector<int32_t>>());
    ASSERT_TRUE(session->encode(ids.data(), nullptr, nullptr, ids.size()).ok());
    const std::vector<float> embedding = output(*session, "embedding");
    expect_near(embedding, text.at("embedding").get<std::vector<double>>(), "embedding");
    double norm = 0.0;
    for (float x : embedding) norm += double(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);  // the Normalize module
  }
  EXPECT_TRUE(truncated) << "the fixture should hold a text longer than max_seq_length";
  // The padded batch: mean pooling skips the padding rows, whose hidden states still match.
  const nlohmann::json& batch = ref.at("batch");
  const std::vector<BatchItem> items = batch_of(batch);
  for (size_t b = 0; b < items.size(); ++b) {
    SCOPED_TRACE("batch item " + std::to_string(b));
    ASSERT_TRUE(session->encode(items[b].ids.data(), nullptr, items[b].mask.data(), items[b].ids.size()).ok());
    expect_near(output(*session, "hidden"), batch.at("hidden")[b].get<std::vector<double>>(), "hidden");
    expect_near(output(*session, "embedding"), ref.at("texts")[b].at("embedding").get<std::vector<double>>(),
                "embedding");
  }
}

TEST(Bert, Int8StaysWithinItsBudgets) {
  TempDir temp;
  const auto classifier = convert(temp, kClassifier, converter::WeightFormat::kInt8);
  const auto sentence = convert(temp, kSentence, converter::WeightFormat::kInt8);
  ASSERT_TRUE(classifier && sentence);
  const nlohmann::json classifier_ref = reference(kClassifier), sentence_ref = reference(kSentence);
  double worst = 1.0;
  size_t agree = 0, total = 0;
  auto session = session_of(classifier);
  const std::vector<BatchItem> items = batch_of(classifier_ref.at("batch"));
  for (size_t b = 0; b < items.size(); ++b) {
    const BatchItem& item = items[b];
    ASSERT_TRUE(session->encode(item.ids.data(), item.types.data(), item.mask.data(), item.ids.size()).ok());
    worst = std::min(worst, cosine(output(*session, "hidden"),
                                   classifier_ref.at("batch").at("hidden")[b].get<std::vector<double>>()));
    ++total;
    agree += argmax(output(*session, "logits")) ==
             argmax(classifier_ref.at("batch").at("logits")[b].get<std::vector<double>>());
  }
  for (const nlohmann::json& text : classifier_ref.at("texts")) {
    const std::vector<int32_t> ids = text.at("ids").get<std::vector<int32_t>>();
    ASSERT_TRUE(session->encode(ids.data(), nullptr, nullptr, ids.size()).ok());
    ++total;
    agree += argmax(output(*session, "logits")) == argmax(text.at("logits").get<std::vector<double>>());
  }
  auto sentence_session = session_of(sentence);
  for (const nlohmann::json& text : sentence_ref.at("texts")) {
    const std::vector<int32_t> ids = text.at("ids").get<std::vector<int32_t>>();
    ASSERT_TRUE(sentence_session->encode(ids.data(), nullptr, nullptr, ids.size()).ok());
    worst = std::min(worst, cosine(output(*sentence_session, "embedding"),
                                   text.at("embedding").get<std::vector<double>>()));
  }
  std::printf("int8 bert: worst cosine %.6f, top-1 agreement %zu of %zu\n", worst, agree, total);
  EXPECT_GE(worst, kInt8MinCosine);
  EXPECT_GE(double(agree) / double(total), kInt8MinTop1Agreement);
}

// Work split over two threads (heads x row tiles, output channels) gives the same bits as one thread.
TEST(Bert, TwoThreadsGiveTheSameBits) {
  TempDir temp;
  const auto model = convert(temp, kClassifier, converter::WeightFormat::kInt8);
  ASSERT_TRUE(model);
  const BatchItem item = batch_of(reference(kClassifier).at("batch"))[0];
  auto one = session_of(model, 1), two = session_of(model, 2);
  ASSERT_TRUE(one->encode(item.ids.data(), item.types.data(), nullptr, item.ids.size()).ok());
  ASSERT_TRUE(two->encode(item.ids.data(), item.types.data(), nullptr, item.ids.size()).ok());
  EXPECT_EQ(output(*one, "hidden"), output(*two, "hidden"));
  EXPECT_EQ(output(*one, "logits"), output(*two, "logits"));
}

TEST(Bert, BadInputsAreRefusedWithAReason) {
  TempDir temp;
  const auto model = convert(temp, kClassifier, converter::WeightFormat::kF32, 8);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().max_context, 8);
  auto session = session_of(model);
  const std::vector<int32_t> ids = {2, 11, 12, 14, 3, 0, 0, 0};
  const std::vector<int32_t> hole = {1, 1, 0, 1, 1, 0, 0, 0}, none(8, 0), two(8, 2), types_out(8, 2);
  Status s = session->encode(ids.data(), nullptr, hole.data(), ids.size());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("mask"), std::string::npos) << s.message();
  EXPECT_EQ(session->encode(ids.data(), nullptr, none.data(), ids.size()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(session->encode(ids.data(), nullptr, two.data(), ids.size()).code(), StatusCode::kInvalidArgument);
  s = session->encode(ids.data(), types_out.data(), nullptr, ids.size());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("token_type"), std::string::npos) << s.message();
  const std::vector<int32_t> long_ids(9, 11), bad_id = {2, 50, 3};
  EXPECT_EQ(session->encode(long_ids.data(), nullptr, nullptr, long_ids.size()).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(session->encode(bad_id.data(), nullptr, nullptr, bad_id.size()).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(session->encode(ids.data(), nullptr, nullptr, 0).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(session->encode(nullptr, nullptr, nullptr, 3).code(), StatusCode::kInvalidArgument);
  // An encoder has no generation entries, and the session still works after every refusal.
  EXPECT_EQ(session->prefill(ids.data(), 3).code(), StatusCode::kUnsupported);
  ASSERT_TRUE(session->encode(ids.data(), nullptr, nullptr, 5).ok());
  EXPECT_EQ(output(*session, "logits").size(), 3u);
}

// Configurations this runtime does not run are refused at conversion, naming the key or the module.
TEST(Bert, UnsupportedConfigurationsAreRefusedByKey) {
  const std::pair<const char*, nlohmann::json> cases[] = {{"position_embedding_type", "relative_key"},
                                                          {"add_cross_attention", true},
                                                          {"is_decoder", true},
                                                          {"hidden_act", "relu"},
                                                          {"problem_type", "regression"},
                                                          {"architectures", {"BertForTokenClassification"}}};
  for (const auto& [key, value] : cases) {
    TempDir temp;
    copy_with_json_key(kClassifier, temp, "config.json", key, value);
    const std::string word = key == std::string("architectures") ? "BertForTokenClassification" : key;
    expect_refused([&] { converter::read_hf_bert(temp.path()); }, word);
  }
  {  // sentence-transformers: a pooling other than cls or mean, and a module the runtime does not have
    TempDir temp;
    copy_with_json_key(kSentence, temp, "1_Pooling/config.json", "pooling_mode_max_tokens", true);
    expect_refused([&] { converter::read_hf_bert(temp.path()); }, "pooling_mode_max_tokens");
  }
  {
    TempDir temp;
    fs::copy(kSentence, temp.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::ofstream(temp.file("modules.json")) << R"([{"path": "", "type": "sentence_transformers.models.Transformer"},
      {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
      {"path": "2_Dense", "type": "sentence_transformers.models.Dense"}])";
    expect_refused([&] { converter::read_hf_bert(temp.path()); }, "sentence_transformers.models.Dense");
  }
}

}  // namespace
}  // namespace edgeformer::testing
