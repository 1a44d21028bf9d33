// Added tokens with Hugging Face's AddedToken flags (lstrip, rstrip, single_word, normalized), the expectations
// derived by hand from tokenizers' AddedVocabulary (added_vocabulary.rs: find_matches, extract_and_normalize) and its
// own test cases. The tokenizer is byte-level BPE without merges, so any text outside an added token is its bytes,
// one id each (id = byte value), and the ids show exactly where each token's match begins and ends.
#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "test_support.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::testing {
namespace {

using nlohmann::json;

// GPT-2's bytes_to_unicode: the printable Latin-1 bytes stand for themselves, the others for U+0100 on, in order.
std::string byte_level_spelling(int byte) {
  static std::vector<std::string> spellings = [] {
    std::vector<std::string> out(256);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      const int c = printable ? b : next++;
      out[b] = c < 0x80 ? std::string(1, char(c)) : std::string{char(0xc0 | (c >> 6)), char(0x80 | (c & 0x3f))};
    }
    return out;
  }();
  return spellings[byte];
}

struct Added {
  int id;
  std::string content;
  bool lstrip = false, rstrip = false, single_word = false, normalized = false, special = true;
};

class AddedTokens : public ::testing::Test {
 protected:
  void load(std::initializer_list<Added> tokens) {
    json vocab = json::object();
    for (int b = 0; b < 256; ++b) vocab[byte_level_spelling(b)] = b;
    json added = json::array();
    for (const Added& t : tokens) {
      vocab[t.content] = t.id;
      added.push_back({{"id", t.id}, {"content", t.content}, {"single_word", t.single_word}, {"lstrip", t.lstrip},
                       {"rstrip", t.rstrip}, {"normalized", t.normalized}, {"special", t.special}});
    }
    const json tokenizer = {
        {"added_tokens", added},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                           {"use_regex", true}}},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}}};
    const std::string stem = temp_.file(std::to_string(++loads_));
    const std::string path = stem + ".json";
    std::ofstream(path) << tokenizer.dump();
    converter::LlamaCheckpoint checkpoint =
        converter::synthetic_llama("llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=16,vocab=512");
    std::string why_not;
    checkpoint.tokenizer = converter::read_hf_tokenizer(path, 512, -1, -1, why_not);
    ASSERT_TRUE(why_not.empty()) << why_not;
    flags_ = checkpoint.tokenizer.special_flags;
    converter::Graph graph = converter::build_llama_graph(checkpoint, {});
    converter::write_eft(graph, stem + ".eft");
    model_ = open_or_fail(stem + ".eft");
  }

  std::vector<int32_t> ids(const std::string& text) {
    std::vector<int32_t> out;
    const Status s = model_->tokenize(text, false, &out);
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  // The ids of `parts`: text as its bytes, an int as itself.
  static std::vector<int32_t> expect(std::initializer_list<json> parts) {
    std::vector<int32_t> out;
    for (const json& part : parts) {
      if (part.is_number_integer()) {
        out.push_back(part.get<int32_t>());
        continue;
      }
      for (unsigned char c : part.get<std::string>()) out.push_back(c);
    }
    return out;
  }

  TempDir temp_;
  int loads_ = 0;
  std::shared_ptr<const Model> model_;
  std::vector<schema::AddedTokenFlags> flags_;
};

TEST_F(AddedTokens, TheConverterKeepsEachTokensFlags) {
  load({{300, "<mask>", true, false, false, false, true},
        {301, "<r>", false, true, true, true, false}});
  using F = schema::AddedTokenFlags;
  ASSERT_EQ(flags_.size(), 2u);
  EXPECT_EQ(flags_[0], F::Lstrip | F::Special);
  EXPECT_EQ(flags_[1], F::Rstrip | F::SingleWord | F::Normalized);
}

TEST_F(AddedTokens, LstripTakesTheWhitespaceBeforeIt) {
  // RoBERTa's <mask> (lstrip, special): "Hello <mask>!" -> Hello, <mask> (with the space), !
  load({{300, "<mask>", /*lstrip=*/true}});
  EXPECT_EQ(ids("Hello <mask>!"), expect({"Hello", 300, "!"}));
  // Every whitespace character, of any kind and length: tab, newline, U+2000 EN QUAD, U+3000.
  EXPECT_EQ(ids("a \t\n\xe2\x80\x80\xe3\x80\x80<mask>"), expect({"a", 300}));
  // Only on its left.
  EXPECT_EQ(ids("<mask> x"), expect({300, " x"}));
}

TEST_F(AddedTokens, WithoutFlagsTheMatchIsLiteral) {
  load({{300, "<mask>"}});
  EXPECT_EQ(ids("Hello <mask> !"), expect({"Hello ", 300, " !"}));
}

TEST_F(AddedTokens, RstripTakesTheWhitespaceAfterIt) {
  load({{301, "<r>", false, /*rstrip=*/true}});
  EXPECT_EQ(ids("a <r>  \tb <r>"), expect({"a ", 301, "b ", 301}));
  EXPECT_EQ(ids("<r>\xe2\x80\x80z"), expect({301, "z"}));
}

TEST_F(AddedTokens, SingleWordMatchesOnlyWithoutAWordCharacterBesideIt) {
  // tokenizers' test_single_word_is_correct, with the text left as it is (no Lowercase normalizer here).
  load({{302, "<mask>", false, false, /*single_word=*/true}});
  EXPECT_EQ(ids("<mask> My name <mask> A<mask> <mask>ony <mask>"),
            expect({302, " My name ", 302, " A<mask> <mask>ony ", 302}));
  // Punctuation is not a word character; a digit, an underscore and a combining mark (U+0330) are.
  EXPECT_EQ(ids("<mask>, <mask>- 1<mask> _<mask> \xcc\xb0<mask>"),
            expect({302, ", ", 302, "- 1<mask> _<mask> \xcc\xb0<mask>"}));
  // Letters of any script: the Greek alpha before, the CJK ideograph after.
  EXPECT_EQ(ids("\xce\xb1<mask> <mask>\xe4\xb8\x80"), expect({"\xce\xb1<mask> <mask>\xe4\xb8\x80"}));
}

TEST_F(AddedTokens, AllThreeFlagsAndWhitespaceAlreadyTaken) {
  // tokenizers' test_lstrip_unicode_space: the second <mask>'s rstrip took the tab that the third's lstrip would.
  load({{303, "<mask>", true, true, true}});
  EXPECT_EQ(ids("Hi <mask> there\t<mask>\t<mask>\xe2\x80\x80"), expect({"Hi", 303, "there", 303, 303}));
}

TEST_F(AddedTokens, ADiscardedMatchHidesTheTextItCovers) {
  // Matches are leftmost-longest and never overlap: "xy" (single_word) is found at 1 and discarded (a word before
  // it), and the search goes on after it, so "y!" at 2 is never a match.
  load({{304, "xy", false, false, true}, {305, "y!"}});
  EXPECT_EQ(ids("axy!"), expect({"axy!"}));
  EXPECT_EQ(ids("a y!"), expect({"a ", 305}));
}

TEST_F(AddedTokens, NormalizedTokensMatchAfterTheOthers) {
  // The non-normalized "<a>" is cut out of the whole text first; the normalized "x<a", which starts further left,
  // is then looked for only in the text between, where it is no longer whole.
  load({{306, "<a>"}, {307, "x<a", false, false, false, /*normalized=*/true, /*special=*/false}});
  EXPECT_EQ(ids("x<a>"), expect({"x", 306}));
  EXPECT_EQ(ids("x<ab"), expect({307, "b"}));
  // single_word looks at the stretch it is searched in: after <a> is cut out, "x<a" starts its stretch.
  load({{306, "<a>"}, {308, "x<a", false, false, true, true, false}});
  EXPECT_EQ(ids("<a>x<a "), expect({306, 308, " "}));
}

TEST_F(AddedTokens, LongestAtTheLeftmostPosition) {
  load({{309, "<|a|>"}, {310, "<|a|><|b|>"}, {311, "|>"}});
  EXPECT_EQ(ids("<|a|><|b|><|a|>|>"), expect({310, 309, 311}));
}

}  // namespace
}  // namespace edgeformer::testing
