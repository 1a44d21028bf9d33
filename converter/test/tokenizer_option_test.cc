// --tokenizer: every file is used, or refused with an error naming the kinds the input takes, and no output is left.
#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint_files.h"
#include "conversion.h"
#include "conversion_errors.h"
#include "stories260k_variants.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;

class TokenizerOption : public Stories260kVariants {
 protected:
  converter::ConversionSummary convert_with(const std::string& input, const std::string& synthetic,
                                            const std::string& tokenizer) {
    converter::ConversionRequest request;
    request.input = input;
    request.synthetic = synthetic;
    request.tokenizer = tokenizer;
    request.output = output();
    return converter::convert_model(request, nullptr);
  }
  std::string output() const { return tmp_.file("out.eft"); }
  std::string tok512() const { return dir_ + "/tok512.bin"; }
};

TEST_F(TokenizerOption, Llama2cTokenizerWithAFolderIsRefused) {
  const std::string folder = write_folder("folder", "F32");
  expect_convert_error([&] { convert_with(folder, "", tok512()); },
                       {"--tokenizer", "tok512.bin", "Hugging Face folder", "tokenizer.json", "vocab.txt", ".model",
                        "tok*.bin goes with a llama2.c checkpoint"});
  EXPECT_FALSE(fs::exists(output()));
}

TEST_F(TokenizerOption, Llama2cTokenizerWithASyntheticModelIsRefused) {
  expect_convert_error(
      [&] { convert_with("", "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=16,vocab=512", tok512()); },
      {"--tokenizer", "--synthetic model", "tokenizer.json"});
  EXPECT_FALSE(fs::exists(output()));
}

TEST_F(TokenizerOption, EachInputTakesItsKinds) {
  // llama2.c's tok*.bin with its checkpoint.
  EXPECT_EQ(convert_with(dir_ + "/stories260K.bin", "", tok512()).tokenizer, "SentencePieceBpe");
  // A tokenizer.json in place of a folder's own (it has none), and with a synthetic model.
  const std::string tokenizer = tmp_.file("tokenizer.json");
  write_json(tokenizer, {{"model",
                          {{"type", "BPE"},
                           {"byte_fallback", true},
                           {"vocab", {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}}},
                           {"merges", nlohmann::json::array()}}}});
  EXPECT_EQ(convert_with(write_folder("replaced", "F32"), "", tokenizer).tokenizer, "SentencePieceBpe");
  EXPECT_EQ(convert_with("", "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=16,vocab=512", tokenizer)
                .tokenizer,
            "SentencePieceBpe");
  // The other kinds with a llama2.c checkpoint are refused by its reader, naming the one it takes.
  expect_convert_error([&] { convert_with(dir_ + "/stories260K.bin", "", tokenizer); }, {"tok*.bin"});
}

}  // namespace
}  // namespace edgeformer::testing
