// The tokenizer inside the .eft (against stories260K's published sample text) and the sampler.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace edgeformer::testing {
namespace {

// Sampling frequencies over this many draws are within this of the probabilities (about 5 sigma).
constexpr int kDraws = 20000;
constexpr double kFrequencyTolerance = 0.02;

class Tokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("m.eft"));
    model_ = open_or_fail(tmp_.file("m.eft"));
    ASSERT_TRUE(model_->has_tokenizer());
  }
  std::string decode(const std::vector<int32_t>& ids) {
    std::string text, piece;
    for (size_t i = 0; i < ids.size(); ++i) {
      const Status s = model_->detokenize(i ? ids[i - 1] : -1, ids[i], &piece);
      EXPECT_TRUE(s.ok()) << s.message();
      text += piece;
    }
    return text;
  }
  std::vector<int32_t> encode(const std::string& text, bool bos = true) {
    std::vector<int32_t> ids;
    const Status s = model_->tokenize(text, bos, &ids);
    EXPECT_TRUE(s.ok()) << s.message();
    return ids;
  }
  std::string dir_;
  TempDir tmp_;
  std::shared_ptr<const Model> model_;
};

// The model card's temperature-0 sample, printed by llama2.c's run.c: an outside reference for decoding.
TEST_F(Tokenizer, GoldenIdsDecodeToTheModelCardSample) {
  std::ifstream card(dir_ + "/stories260K.md");
  std::stringstream buffer;
  buffer << card.rdbuf();
  const std::string md = buffer.str();
  const std::string marker = "-t 0.0\n";
  const size_t begin = md.find(marker);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = md.find("\n```", begin);
  const std::string sample = md.substr(begin + marker.size(), end - begin - marker.size());
  std::ifstream golden(dir_ + "/expected_greedy_256.json");
  std::vector<int32_t> ids = {1};
  const auto output = nlohmann::json::parse(golden).at("output_ids").get<std::vector<int32_t>>();
  ids.insert(ids.end(), output.begin(), output.end());
  EXPECT_EQ(decode(ids), sample);
}

TEST_F(Tokenizer, EncodeStartsWithBosAndTheDummyPrefix) {
  const auto ids = encode("Once upon a time");
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], model_->bos_id());
  EXPECT_EQ(encode("").size(), 1u);
  EXPECT_TRUE(encode("", false).empty());
  // The merges are greedy by score, so frequent words become few pieces.
  EXPECT_LT(ids.size(), std::string("Once upon a time").size() / 2);
}

TEST_F(Tokenizer, RoundTripsAnyValidUtf8ThroughByteFallback) {
  const std::vector<std::string> texts = {
      "Once upon a time, there was a little girl named Lily.",
      "  leading and trailing spaces  ",
      "tabs\tand\nnewlines\r\n",
      "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",  // accents, CJK, emoji
      std::string("nul\0inside", 10),
      "\xf4\x8f\xbf\xbf \xef\xbf\xbf \xc2\x80 \xe0\xa0\x80 \xf0\x90\x80\x80",  // the ends of each length
      std::string(2000, 'a'),
  };
  for (const std::string& text : texts) {
    const auto ids = encode(text);
    std::string decoded = decode(ids);
    EXPECT_EQ(decoded, text) << "ids: " << ids.size();
  }
}

TEST_F(Tokenizer, RefusesInvalidUtf8AndSaysWhere) {
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"ok \xff", 3},                  // never a UTF-8 byte
      {"\x80 lone continuation", 0},
      {"ab\xc3", 2},                   // cut at the end
      {"\xc3(", 0},                    // continuation missing
      {"x\xc0\x80", 1},               // overlong NUL
      {"\xe0\x80\xaf", 0},            // overlong '/'
      {"\xed\xa0\x80", 0},            // UTF-16 surrogate
      {"\xf4\x90\x80\x80", 0},        // above U+10FFFF
      {"\xf5\x80\x80\x80", 0},
  };
  for (const auto& [text, offset] : cases) {
    std::vector<int32_t> ids = {7};
    const Status s = model_->tokenize(text, true, &ids);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.message().find("UTF-8 (byte " + std::to_string(offset) + ")"), std::string::npos) << s.message();
    EXPECT_EQ(ids, std::vector<int32_t>{7}) << "a refused text leaves the ids as they were";
  }
}

// Merging is O(n log n): a megabyte of text tokenizes in well under the test's timeout and still round-trips.
TEST_F(Tokenizer, LongTextTokenizesAndRoundTrips) {
  std::string text;
  while (text.size() < (1u << 20)) text += "Once upon a time, a little dog named Max ran to the park. ";
  const auto ids = encode(text);
  EXPECT_LT(ids.size(), text.size() / 2);
  EXPECT_EQ(decode(ids), text);
}

TEST_F(Tokenizer, DetokenizeRejectsIdsOutsideTheVocabulary) {
  std::string text;
  EXPECT_EQ(model_->detokenize(-1, -5, &text).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(model_->detokenize(-1, 512, &text).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(model_->detokenize(-1, 5, nullptr).code(), StatusCode::kInvalidArgument);
}

// tok512.bin as a Hugging Face tokenizer.json (LLaMA 1/2 kind: BPE, byte_fallback, "▁" for spaces), converted the
// way Hugging Face converts SentencePiece models (merges ranked by the merged piece's score), with `added_tokens`.
nlohmann::json tok512_as_tokenizer_json(const std::string& dir, const nlohmann::json& added_tokens) {
  std::ifstream in(dir + "/tok512.bin", std::ios::binary);
  int32_t max_length = 0;
  in.read(reinterpret_cast<char*>(&max_length), 4);
  std::vector<std::string> pieces;
  std::vector<float> scores;
  for (int i = 0; i < 512; ++i) {
    float score;
    int32_t length;
    in.read(reinterpret_cast<char*>(&score), 4);
    in.read(reinterpret_cast<char*>(&length), 4);
    std::string piece(length, '\0');
    in.read(&piece[0], length);
    pieces.push_back(piece);
    scores.push_back(score);
  }
  if (!in.good()) throw std::runtime_error("cannot read tok512.bin");
  const auto to_sentencepiece = [](std::string text) {
    std::string out;
    for (char c : text) out += c == ' ' ? std::string("\xe2\x96\x81") : std::string(1, c);
    return out;
  };
  nlohmann::json vocab = nlohmann::json::object();
  std::map<std::string, int> ids;
  for (int i = 0; i < 512; ++i) {
    const std::string piece = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : to_sentencepiece(pieces[i]);
    vocab[piece] = i;
    ids[piece] = i;
  }
  std::vector<std::tuple<float, int, std::string, std::string>> merges;
  for (const auto& [piece, id] : ids) {
    if (id < 259) continue;  // specials and bytes are never merge results
    for (size_t split = 1; split < piece.size(); ++split) {
      const std::string left = piece.substr(0, split), right = piece.substr(split);
      if (ids.count(left) && ids.count(right)) merges.emplace_back(-scores[id], id, left, right);
    }
  }
  std::sort(merges.begin(), merges.end());
  nlohmann::json merge_list = nlohmann::json::array();
  for (const auto& [score, id, left, right] : merges) merge_list.push_back(left + " " + right);
  const nlohmann::json tokenizer = {
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"}, {"vocab", vocab},
                 {"merges", merge_list}}},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}},
                                                            {{"type", "Replace"}}}}}},
      {"added_tokens", added_tokens}};
  return tokenizer;
}

// A Hugging Face tokenizer.json (LLaMA 1/2 kind: BPE, byte_fallback, "▁" for spaces) built from tok512.bin the
// way Hugging Face converts SentencePiece models (merges ranked by the merged piece's score) must tokenize exactly
// as the llama2.c file does.
TEST_F(Tokenizer, HuggingFaceTokenizerJsonEncodesLikeTheLlama2cTokenizer) {
  const nlohmann::json tokenizer = tok512_as_tokenizer_json(dir_, nlohmann::json::array());
  TempDir hf;
  std::filesystem::copy_file(dir_ + "/hf/config.json", hf.file("config.json"));
  std::filesystem::create_symlink(dir_ + "/hf/model.safetensors", hf.file("model.safetensors"));
  std::ofstream(hf.file("tokenizer.json")) << tokenizer.dump();
  convert_hf(hf.path(), hf.file("m.eft"));
  auto hf_model = open_or_fail(hf.file("m.eft"));
  ASSERT_TRUE(hf_model->has_tokenizer());
  EXPECT_EQ(hf_model->bos_id(), 1);
  EXPECT_EQ(hf_model->eos_id(), 2);
  for (const std::string text : {"Once upon a time, there was a little girl named Lily.",
                                 "She said, \"I'm sorry, mom.\"", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80",
                                 "  two  spaces\n\nand lines"}) {
    std::vector<int32_t> expected, actual;
    ASSERT_TRUE(model_->tokenize(text, true, &expected).ok());
    ASSERT_TRUE(hf_model->tokenize(text, true, &actual).ok());
    EXPECT_EQ(actual, expected) << text;
  }
}

TEST(Sampler, TemperatureZeroIsArgmax) {
  const std::vector<float> logits = {0.1f, 2.0f, -3.0f, 1.9f};
  Sampler sampler(4, {});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(sampler.sample(logits.data()), 1);
}

TEST(Sampler, TopKOfOneIsArgmaxAtAnyTemperature) {
  const std::vector<float> logits = {0.1f, 2.0f, -3.0f, 1.9f};
  Sampler sampler(4, {5.0f, 1, 1.0f, 7});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sampler.sample(logits.data()), 1);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  const std::vector<double> p = {0.5, 0.3, 0.15, 0.05};
  std::vector<float> logits;
  for (double v : p) logits.push_back(static_cast<float>(std::log(v)));
  Sampler sampler(4, {1.0f, 0, 1.0f, 42});
  std::vector<int> counts(4, 0);
  for (int i = 0; i < kDraws; ++i) ++counts.at(sampler.sample(logits.data()));
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(counts[i] / double(kDraws), p[i], kFrequencyTolerance) << i;
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  Sampler sampler(4, {1.0f, 0, 0.7f, 3});
  std::vector<int> counts(4, 0);
  for (int i = 0; i < kDraws; ++i) ++counts.at(sampler.sample(logits.data()));
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_NEAR(counts[0] / double(kDraws), 0.5 / 0.8, kFrequencyTolerance);
}

TEST(Sampler, SameSeedSameSequence) {
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[i] = std::sin(float(i));
  Sampler a(100, {0.8f, 40, 0.95f, 1234}), b(100, {0.8f, 40, 0.95f, 1234}), c(100, {0.8f, 40, 0.95f, 99});
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    const int32_t x = a.sample(logits.data());
    EXPECT_EQ(x, b.sample(logits.data()));
    differ += x != c.sample(logits.data());
  }
  EXPECT_GT(differ, 0);
}

// Added tokens of a SentencePiece BPE tokenizer.json are cut out of the text first, as Hugging Face does, and its
// Prepend normalizer then runs on each stretch between them (each gets the space marker); rstrip takes the spaces
// after a token into it. Expected ids: the llama2.c tokenizer's for each stretch alone.
TEST_F(Tokenizer, AddedTokensSplitTheTextAndEachStretchGetsThePrefix) {
  const nlohmann::json added = nlohmann::json::array(
      {{{"id", 1}, {"content", "<s>"}, {"special", true}, {"normalized", false}, {"lstrip", false}, {"rstrip", false},
        {"single_word", false}},
       {{"id", 2}, {"content", "</s>"}, {"special", true}, {"normalized", false}, {"lstrip", false}, {"rstrip", true},
        {"single_word", false}}});
  TempDir hf;
  std::filesystem::copy_file(dir_ + "/hf/config.json", hf.file("config.json"));
  std::filesystem::create_symlink(dir_ + "/hf/model.safetensors", hf.file("model.safetensors"));
  std::ofstream(hf.file("tokenizer.json")) << tok512_as_tokenizer_json(dir_, added).dump();
  convert_hf(hf.path(), hf.file("m.eft"));
  auto hf_model = open_or_fail(hf.file("m.eft"));
  const auto llama2c = [&](const std::string& text, bool bos) {
    std::vector<int32_t> ids;
    EXPECT_TRUE(model_->tokenize(text, bos, &ids).ok());
    return ids;
  };
  const auto concat = [](std::vector<std::vector<int32_t>> parts) {
    std::vector<int32_t> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
  };
  std::vector<int32_t> got;
  ASSERT_TRUE(hf_model->tokenize("Once upon</s>   a time<s>Lily", true, &got).ok());
  EXPECT_EQ(got, concat({llama2c("Once upon", true), {2}, llama2c("a time", false), {1}, llama2c("Lily", false)}));
  got.clear();
  ASSERT_TRUE(hf_model->tokenize("<s> a cat", false, &got).ok());
  EXPECT_EQ(got, concat({{1}, llama2c(" a cat", false)}));
}

}  // namespace
}  // namespace edgeformer::testing
