// The byte-level BPE pre-tokenizers (GPT-2, LLaMA-3, Qwen2) against the `regex` module's splits of the same
// patterns (tests/reference/make_pretokenizer_fixture.py; committed as tests/fixtures/pretokenizer/splits.json), and
// the converter recognizing LLaMA-3's and Qwen2's Split pre-tokenizers in a tokenizer.json.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "tokenizer/pre_tokenizer.h"
#include "test_support.h"
#include "tokenizers/hf_tokenizer_reader.h"

namespace edgeformer::testing {
namespace {

const std::string kFixture = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/pretokenizer/splits.json";

nlohmann::json fixture() {
  std::ifstream in(kFixture);
  return nlohmann::json::parse(in);
}

std::vector<std::string> split(PreTokenizerPattern pattern, size_t digits, const std::string& text) {
  std::vector<std::string> pieces;
  split_pre_tokens(pattern, digits, text,
                   [&](size_t begin, size_t end) { pieces.push_back(text.substr(begin, end - begin)); });
  return pieces;
}

TEST(PreTokenizer, ScannersSplitAsTheRegexModuleDoes) {
  const nlohmann::json f = fixture();
  const struct {
    const char* name;
    PreTokenizerPattern pattern;
    size_t digits;
  } patterns[] = {{"gpt2", PreTokenizerPattern::kGpt2, 3},
                  {"llama3", PreTokenizerPattern::kLlama3, 3},
                  {"qwen2", PreTokenizerPattern::kLlama3, 1}};
  size_t checked = 0;
  for (const nlohmann::json& c : f.at("cases")) {
    const std::string text = c.at("text");
    for (const auto& p : patterns) {
      EXPECT_EQ(split(p.pattern, p.digits, text), c.at(p.name).get<std::vector<std::string>>())
          << p.name << " on '" << text << "'";
      ++checked;
    }
  }
  EXPECT_GE(checked, 300u);
}

// The GPT-2 vocabulary with the pre-tokenizer of `pre` in place of its own, read by the converter.
converter::TokenizerData gpt2_with(const nlohmann::json& pre, const TempDir& temp, std::string* why_not) {
  const std::string shared = shared_dir();
  std::ifstream in(shared + "/tokenizers/gpt2/tokenizer.json");
  nlohmann::json tokenizer = nlohmann::json::parse(in);
  tokenizer["pre_tokenizer"] = pre;
  const std::string path = temp.file("tokenizer.json");
  std::ofstream(path) << tokenizer.dump();
  return converter::read_hf_tokenizer(path, 50257, -1, -1, *why_not);
}

nlohmann::json split_then_byte_level(const std::string& regex) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
}

TEST(PreTokenizer, ConverterRecognizesLlama3AndQwen2Splits) {
  if (shared_dir().empty() || !std::ifstream(shared_dir() + "/tokenizers/gpt2/tokenizer.json"))
    GTEST_SKIP() << "../shared/tokenizers/gpt2 not found (set EDGEFORMER_SHARED)";
  const nlohmann::json f = fixture();
  TempDir temp;
  std::string why_not;
  converter::TokenizerData tok = gpt2_with(split_then_byte_level(f["patterns"]["llama3"]), temp, &why_not);
  ASSERT_TRUE(why_not.empty()) << why_not;
  EXPECT_EQ(tok.pre_tokenizer, schema::PreTokenizerPattern::Llama3);
  EXPECT_EQ(tok.digit_group, 3);
  tok = gpt2_with(split_then_byte_level(f["patterns"]["qwen2"]), temp, &why_not);
  ASSERT_TRUE(why_not.empty()) << why_not;
  EXPECT_EQ(tok.digit_group, 1);
  // Another regex, or a ByteLevel step that would split again, is not what the runtime spells out: no tokenizer.
  gpt2_with(split_then_byte_level("\\s+|\\S+"), temp, &why_not);
  EXPECT_NE(why_not.find("pre-tokenizer"), std::string::npos) << why_not;
  nlohmann::json regex_twice = split_then_byte_level(f["patterns"]["llama3"]);
  regex_twice["pretokenizers"][1]["use_regex"] = true;
  why_not.clear();
  gpt2_with(regex_twice, temp, &why_not);
  EXPECT_FALSE(why_not.empty());

  // In a model: the LLaMA-3 split cuts digits in threes, and every text still round-trips byte for byte.
  tok = gpt2_with(split_then_byte_level(f["patterns"]["llama3"]), temp, &why_not);
  converter::LlamaCheckpoint checkpoint =
      converter::synthetic_llama("llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=64,vocab=50257");
  checkpoint.tokenizer = tok;
  converter::Graph graph = converter::build_llama_graph(checkpoint, {});
  converter::write_eft(graph, temp.file("llama3.eft"));
  const auto model = open_or_fail(temp.file("llama3.eft"));
  ASSERT_TRUE(model);
  for (const nlohmann::json& c : f.at("cases")) {
    const std::string text = c.at("text");
    std::vector<int32_t> ids;
    ASSERT_TRUE(model->tokenize(text, false, &ids).ok());
    std::string decoded;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::string piece;
      ASSERT_TRUE(model->detokenize(i ? ids[i - 1] : -1, ids[i], &piece).ok());
      decoded += piece;
    }
    EXPECT_EQ(decoded, text);
  }
  std::vector<int32_t> digits;
  ASSERT_TRUE(model->tokenize("1234567", false, &digits).ok());
  std::vector<int32_t> groups, group;
  for (const char* part : {"123", "456", "7"}) {
    group.clear();
    ASSERT_TRUE(model->tokenize(part, false, &group).ok());
    groups.insert(groups.end(), group.begin(), group.end());
  }
  EXPECT_EQ(digits, groups);
}

}  // namespace
}  // namespace edgeformer::testing
