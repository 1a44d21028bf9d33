// The byte-level BPE (GPT-2) and WordPiece (all-MiniLM-L6-v2) tokenizers against outside test vectors: llama.cpp's
// 46 strings per vocabulary, with the ids Hugging Face's tokenizers give them (../shared/tokenizers/*/test-vectors).
// Each tokenizer.json is converted into a small synthetic model with the converter's reader, and the runtime
// tokenizes from the .eft, as an app would.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "test_support.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct TestVector {
  std::string text;
  std::vector<int32_t> ids;
};

// .inp: each string followed by a line "__ggml_vocab_test__"; .out: one line of ids per string.
std::vector<TestVector> read_vectors(const std::string& stem) {
  const std::string inputs = read_file(stem + ".inp"), outputs = read_file(stem + ".out");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<TestVector> vectors;
  for (size_t at = 0; at < inputs.size();) {
    const size_t end = inputs.find(separator, at);
    if (end == std::string::npos) break;
    vectors.push_back({inputs.substr(at, end - at), {}});
    at = end + separator.size();
  }
  std::istringstream lines(outputs);
  std::string line;
  for (TestVector& vector : vectors) {
    if (!std::getline(lines, line)) break;
    std::istringstream numbers(line);
    for (int32_t id; numbers >> id;) vector.ids.push_back(id);
  }
  return vectors;
}

// A one-layer synthetic model carrying the tokenizer.json (or, with from_vocab_txt, the vocab.txt) of `folder`.
std::shared_ptr<const Model> model_with_tokenizer(const std::string& folder, int vocab, const TempDir& temp,
                                                  bool from_vocab_txt = false) {
  converter::LlamaCheckpoint checkpoint = converter::synthetic_llama(
      "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=64,vocab=" + std::to_string(vocab));
  std::string why_not;
  checkpoint.tokenizer = from_vocab_txt
                             ? converter::read_wordpiece_vocab(folder + "/vocab.txt", vocab)
                             : converter::read_hf_tokenizer(folder + "/tokenizer.json", vocab, -1, -1, why_not);
  EXPECT_TRUE(why_not.empty()) << why_not;
  const std::string path = temp.file("model.eft");
  converter::Graph graph = converter::build_llama_graph(checkpoint, {});
  converter::write_eft(graph, path);
  return open_or_fail(path);
}

class TokenizerVectors : public ::testing::Test {
 protected:
  std::string folder(const std::string& name) {
    const std::string shared = shared_dir();
    const std::string dir = shared.empty() ? std::string() : shared + "/tokenizers/" + name;
    if (dir.empty() || !std::filesystem::exists(dir + "/tokenizer.json")) return {};
    return dir;
  }
  TempDir temp_;
};

TEST_F(TokenizerVectors, Gpt2ByteLevelBpeMatchesAndRoundTrips) {
  const std::string dir = folder("gpt2");
  if (dir.empty()) GTEST_SKIP() << "../shared/tokenizers/gpt2 not found (set EDGEFORMER_SHARED)";
  const auto model = model_with_tokenizer(dir, 50257, temp_);
  ASSERT_TRUE(model);
  const auto vectors = read_vectors(dir + "/test-vectors/ggml-vocab-gpt-2.gguf");
  ASSERT_EQ(vectors.size(), 46u);
  for (const TestVector& v : vectors) {
    SCOPED_TRACE("text: '" + v.text + "'");
    std::vector<int32_t> ids;
    ASSERT_TRUE(model->tokenize(v.text, false, &ids).ok());
    EXPECT_EQ(ids, v.ids);
    // Byte-level BPE is lossless.
    std::string decoded, piece;
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(model->detokenize(i > 0 ? ids[i - 1] : -1, ids[i], &piece).ok());
      decoded += piece;
    }
    EXPECT_EQ(decoded, v.text);
  }
}

TEST_F(TokenizerVectors, Gpt2EndOfTextIsOneTokenInsideText) {
  const std::string dir = folder("gpt2");
  if (dir.empty()) GTEST_SKIP() << "../shared/tokenizers/gpt2 not found (set EDGEFORMER_SHARED)";
  const auto model = model_with_tokenizer(dir, 50257, temp_);
  ASSERT_TRUE(model);
  std::vector<int32_t> ids;
  ASSERT_TRUE(model->tokenize("Hello<|endoftext|> world", false, &ids).ok());
  // "Hello" 15496, <|endoftext|> 50256, " world" 995.
  EXPECT_EQ(ids, (std::vector<int32_t>{15496, 50256, 995}));
}

// The same vectors through tokenizer.json and through vocab.txt + tokenizer_config.json.
TEST_F(TokenizerVectors, MiniLmWordPieceMatches) {
  const std::string dir = folder("minilm");
  if (dir.empty()) GTEST_SKIP() << "../shared/tokenizers/minilm not found (set EDGEFORMER_SHARED)";
  const auto vectors = read_vectors(dir + "/test-vectors/ggml-vocab-bert-bge.gguf");
  ASSERT_EQ(vectors.size(), 46u);
  for (bool from_vocab_txt : {false, true}) {
    SCOPED_TRACE(from_vocab_txt ? "vocab.txt" : "tokenizer.json");
    const auto from_file = model_with_tokenizer(dir, 30522, temp_, from_vocab_txt);
    ASSERT_TRUE(from_file);
    for (const TestVector& v : vectors) {
      SCOPED_TRACE("text: '" + v.text + "'");
      std::vector<int32_t> ids;
      ASSERT_TRUE(from_file->tokenize(v.text, false, &ids).ok());
      EXPECT_EQ(ids, v.ids);
    }
  }
  const auto model = model_with_tokenizer(dir, 30522, temp_);
  ASSERT_TRUE(model);
  // With add_bos, WordPiece frames the text as BERT expects: [CLS] 101 ... [SEP] 102.
  std::vector<int32_t> framed;
  ASSERT_TRUE(model->tokenize("hello world", true, &framed).ok());
  EXPECT_EQ(framed, (std::vector<int32_t>{101, 7592, 2088, 102}));
  std::string first, second;
  ASSERT_TRUE(model->detokenize(101, 7592, &first).ok());
  ASSERT_TRUE(model->detokenize(7592, 2088, &second).ok());
  EXPECT_EQ(first + second, "hello world");
}

// Whisper's byte-level BPE (other merges, 1,607 added tokens such as <|en|> and <|0.00|>): the same strings
// round-trip, and an added token inside text is one id.
TEST_F(TokenizerVectors, WhisperByteLevelBpeRoundTrips) {
  const std::string dir = folder("whisper"), gpt2 = folder("gpt2");
  if (dir.empty() || gpt2.empty()) GTEST_SKIP() << "../shared/tokenizers/{whisper,gpt2} not found";
  const auto model = model_with_tokenizer(dir, 51865, temp_);
  ASSERT_TRUE(model);
  for (const TestVector& v : read_vectors(gpt2 + "/test-vectors/ggml-vocab-gpt-2.gguf")) {
    SCOPED_TRACE("text: '" + v.text + "'");
    std::vector<int32_t> ids;
    ASSERT_TRUE(model->tokenize(v.text, false, &ids).ok());
    std::string decoded, piece;
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(model->detokenize(i > 0 ? ids[i - 1] : -1, ids[i], &piece).ok());
      decoded += piece;
    }
    EXPECT_EQ(decoded, v.text);
  }
  std::vector<int32_t> ids;
  ASSERT_TRUE(model->tokenize("<|en|>hi", false, &ids).ok());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], 50259);  // <|en|>
}

}  // namespace
}  // namespace edgeformer::testing
