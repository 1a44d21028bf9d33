// The runtime's SentencePiece unigram tokenizer against libsentencepiece itself (Debian's, an outside
// implementation): unigram models are trained here with its trainer on this repository's documents, with the
// default nmt_nfkc normalization (a precompiled character map) and with the identity rules and whitespace kept, then
// read by the converter into a small model. Every test string must give the library's ids, unknown characters
// included.
#include <gtest/gtest.h>

#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#endif

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "test_support.h"
#include "tokenizers/hf_tokenizer_reader.h"
#include "tokenizers/sentencepiece_reader.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;

#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// This repository's documents (README.md, then docs/*.md in name order): real English prose with code, numbers,
// tables and Unicode, to train the test's models on and to draw strings from.
std::string documents_corpus() {
  std::string corpus = read_file(std::string(EDGEFORMER_SOURCE_DIR) + "/README.md");
  std::vector<fs::path> docs;
  for (const auto& entry : fs::directory_iterator(std::string(EDGEFORMER_SOURCE_DIR) + "/docs"))
    if (entry.path().extension() == ".md") docs.push_back(entry.path());
  std::sort(docs.begin(), docs.end());
  for (const fs::path& doc : docs) corpus += "\n" + read_file(doc.string());
  return corpus;
}

// Strings to tokenize: the lines of the documents, the outside test-vector strings when ../shared has them, and
// whitespace, Unicode and unknown-character cases.
std::vector<std::string> test_strings(const std::string& corpus) {
  std::vector<std::string> strings = {
      "", " ", "   ", "hello world", "  leading and trailing  ", "tabs\tand\nnewlines\r\n", "double  spaces   here",
      "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "ﬁligature ﬂow", "café naïve Ångström", "\xe2\x80\x8b zero width",
      "日本語のテキスト", "emoji 🦙🚀 mixed", "∮ E⋅da = Q", "ÀÁÂ àáâ", "x\xc2\xa0nbsp", "Ⅻ ① ㎏", "qzxj qqqq",
      "\xe2\x96\x81 the marker itself", "a", "the the the"};
  std::istringstream lines(corpus);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && strings.size() < 400) strings.push_back(line);
  const std::string shared = shared_dir();
  for (const char* stem : {"gpt2/test-vectors/ggml-vocab-gpt-2.gguf", "minilm/test-vectors/ggml-vocab-bert-bge.gguf"}) {
    const std::string inputs = read_file(shared + "/tokenizers/" + stem + ".inp");
    const std::string separator = "\n__ggml_vocab_test__\n";
    for (size_t at = 0; at < inputs.size();) {
      const size_t end = inputs.find(separator, at);
      if (end == std::string::npos) break;
      strings.push_back(inputs.substr(at, end - at));
      at = end + separator.size();
    }
  }
  return strings;
}


// A one-layer synthetic model carrying the .spm file's tokenizer, opened from its .eft.
std::shared_ptr<const Model> model_with_spm(const std::string& spm, int vocab, const TempDir& temp) {
  converter::LlamaCheckpoint checkpoint = converter::synthetic_llama(
      "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=64,vocab=" + std::to_string(vocab));
  checkpoint.tokenizer = converter::read_sentencepiece_model(spm, vocab);
  converter::Graph graph = converter::build_llama_graph(checkpoint, {});
  const std::string path = temp.file(fs::path(spm).stem().string() + ".eft");
  converter::write_eft(graph, path);
  return open_or_fail(path);
}

class SentencePieceUnigram : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencePieceUnigram, IdsEqualLibsentencepiece) {
  TempDir temp;
  const std::string corpus_path = temp.file("corpus.txt");
  const std::string corpus = documents_corpus();
  ASSERT_FALSE(corpus.empty());
  std::ofstream(corpus_path) << corpus;
  const std::string prefix = temp.file("spm");
  // character_coverage below 1 leaves rare characters out of the vocabulary: they must become unknown tokens.
  const auto trained = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + corpus_path + " --model_prefix=" + prefix + " --model_type=unigram --vocab_size=500" +
      " --character_coverage=0.995 --minloglevel=2 " + GetParam());
  ASSERT_TRUE(trained.ok()) << trained.ToString();
  sentencepiece::SentencePieceProcessor processor;
  ASSERT_TRUE(processor.Load(prefix + ".model").ok());
  const auto model = model_with_spm(prefix + ".model", processor.GetPieceSize(), temp);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().tokenizer_kind, "sentencepiece_unigram");
  size_t checked = 0, with_unknown = 0;
  for (const std::string& text : test_strings(corpus)) {
    std::vector<int> want;
    ASSERT_TRUE(processor.Encode(text, &want).ok());
    std::vector<int32_t> got;
    ASSERT_TRUE(model->tokenize(text, false, &got).ok()) << text;
    size_t first_difference = 0;
    while (first_difference < std::min(got.size(), want.size()) && got[first_difference] == want[first_difference])
      ++first_difference;
    ASSERT_EQ(got, std::vector<int32_t>(want.begin(), want.end()))
        << "text: '" << text << "', first difference at " << first_difference << ": piece '"
        << (first_difference < want.size() ? processor.IdToPiece(want[first_difference]) : "") << "' wanted";
    ++checked;
    with_unknown += std::count(want.begin(), want.end(), processor.unk_id()) > 0;
    // Decoding joins the pieces; the library's decoding of the same ids is the reference.
    std::string decoded;
    for (size_t i = 0; i < got.size(); ++i) {
      std::string piece;
      ASSERT_TRUE(model->detokenize(i == 0 ? model->bos_id() : got[i - 1], got[i], &piece).ok());
      decoded += piece;
    }
    std::string library_decoded;
    ASSERT_TRUE(processor.Decode(want, &library_decoded).ok());
    if (std::count(want.begin(), want.end(), processor.unk_id()) == 0) {
      EXPECT_EQ(decoded, library_decoded) << text;
    }
  }
  std::printf("%zu strings tokenized as libsentencepiece does (%zu with unknown characters)\n", checked, with_unknown);
  EXPECT_GT(with_unknown, 0u) << "the strings should exercise unknown characters";
}

INSTANTIATE_TEST_SUITE_P(Normalizations, SentencePieceUnigram,
                         ::testing::Values("", "--normalization_rule_name=identity --remove_extra_whitespaces=false",
                                           "--add_dummy_prefix=false"),
                         [](const auto& info) {
                           return info.index == 0 ? std::string("NmtNfkc")
                                                  : info.index == 1 ? std::string("IdentityKeepingSpaces")
                                                                    : std::string("NoDummyPrefix");
                         });

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t chunk = 0;
    for (size_t k = 0; k < 3; ++k) chunk = chunk << 8 | (k < n ? bytes[i + k] : 0);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// The same trained model as a tokenizer.json in Hugging Face's layout for SentencePiece unigram models (XLM-R,
// multilingual MiniLM): [piece, score] pairs, the Precompiled character map and a Replace of repeated spaces, the
// Metaspace pre-tokenizer, <s> ... </s> from RobertaProcessing. On text without leading, trailing or repeated
// whitespace (where Hugging Face's pipeline and SentencePiece's agree), the ids are libsentencepiece's.
TEST(SentencePieceReader, HuggingFaceUnigramJsonTokenizesAsLibsentencepiece) {
  TempDir temp;
  const std::string corpus = documents_corpus();
  std::ofstream(temp.file("corpus.txt")) << corpus;
  const std::string prefix = temp.file("spm");
  ASSERT_TRUE(sentencepiece::SentencePieceTrainer::Train("--input=" + temp.file("corpus.txt") + " --model_prefix=" +
                                                         prefix + " --model_type=unigram --vocab_size=500 " +
                                                         "--character_coverage=0.995 --minloglevel=2")
                  .ok());
  sentencepiece::SentencePieceProcessor processor;
  ASSERT_TRUE(processor.Load(prefix + ".model").ok());
  const int count = processor.GetPieceSize();
  nlohmann::json vocab = nlohmann::json::array();
  for (int id = 0; id < count; ++id) vocab.push_back({processor.IdToPiece(id), processor.GetScore(id)});
  nlohmann::json added = nlohmann::json::array();
  for (int id : {processor.unk_id(), processor.bos_id(), processor.eos_id()})
    added.push_back({{"id", id}, {"content", processor.IdToPiece(id)}, {"special", true}});
  const std::vector<uint8_t> charsmap =
      converter::read_sentencepiece_model(prefix + ".model", count).precompiled_charsmap;
  const nlohmann::json tokenizer = {
      {"added_tokens", added},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsmap)}},
          {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}}},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "\xe2\x96\x81"}, {"prepend_scheme", "always"},
                         {"split", true}}},
      {"post_processor",
       {{"type", "RobertaProcessing"},
        {"sep", {processor.IdToPiece(processor.eos_id()), processor.eos_id()}},
        {"cls", {processor.IdToPiece(processor.bos_id()), processor.bos_id()}}}},
      {"model", {{"type", "Unigram"}, {"unk_id", processor.unk_id()}, {"vocab", vocab}, {"byte_fallback", false}}}};
  std::ofstream(temp.file("tokenizer.json")) << tokenizer.dump();
  converter::LlamaCheckpoint checkpoint = converter::synthetic_llama(
      "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=64,vocab=" + std::to_string(count));
  std::string why_not;
  checkpoint.tokenizer = converter::read_hf_tokenizer(temp.file("tokenizer.json"), count, -1, -1, why_not);
  ASSERT_TRUE(why_not.empty()) << why_not;
  converter::Graph graph = converter::build_llama_graph(checkpoint, {});
  converter::write_eft(graph, temp.file("json.eft"));
  const auto model = open_or_fail(temp.file("json.eft"));
  ASSERT_TRUE(model);
  size_t checked = 0;
  for (const std::string& text : test_strings(corpus)) {
    // Text spelling a special token (<s>) is that token to Hugging Face, plain characters to SentencePiece.
    bool spells_special = false;
    for (int id : {processor.unk_id(), processor.bos_id(), processor.eos_id()})
      spells_special |= text.find(processor.IdToPiece(id)) != std::string::npos;
    const bool plain = !text.empty() && text.front() != ' ' && text.back() != ' ' && !spells_special &&
                       text.find("  ") == std::string::npos && text.find_first_of("\t\r\n") == std::string::npos;
    if (!plain) continue;
    std::vector<int> want;
    ASSERT_TRUE(processor.Encode(text, &want).ok());
    std::vector<int32_t> got;
    ASSERT_TRUE(model->tokenize(text, true, &got).ok()) << text;
    ASSERT_EQ(got.front(), processor.bos_id());
    ASSERT_EQ(got.back(), processor.eos_id());
    EXPECT_EQ(std::vector<int32_t>(got.begin() + 1, got.end() - 1), std::vector<int32_t>(want.begin(), want.end()))
        << text;
    ++checked;
  }
  std::printf("%zu strings through the tokenizer.json as libsentencepiece tokenizes them\n", checked);
  EXPECT_GT(checked, 250u);
}

TEST(SentencePieceReader, RefusesWhatTheRuntimeDoesNotApply) {
  TempDir temp;
  const std::string corpus_path = temp.file("corpus.txt");
  std::ofstream(corpus_path) << documents_corpus();
  for (const auto& [options, word] : {std::pair<std::string, std::string>{"--model_type=bpe", "model_type"},
                                      {"--byte_fallback=true", "byte_fallback"}}) {
    const std::string prefix = temp.file("refused");
    ASSERT_TRUE(sentencepiece::SentencePieceTrainer::Train("--input=" + corpus_path + " --model_prefix=" + prefix +
                                                           " --vocab_size=400 --minloglevel=2 " + options)
                    .ok());
    try {
      converter::read_sentencepiece_model(prefix + ".model", 1000);
      ADD_FAILURE() << options << " was accepted";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  }
  std::ofstream(temp.file("garbage.model")) << "not a model";
  EXPECT_THROW(converter::read_sentencepiece_model(temp.file("garbage.model"), 1000), std::exception);
}

#else

TEST(SentencePieceUnigram, IdsEqualLibsentencepiece) {
  GTEST_SKIP() << "built without libsentencepiece-dev: no reference to compare with";
}

#endif

}  // namespace
}  // namespace edgeformer::testing
