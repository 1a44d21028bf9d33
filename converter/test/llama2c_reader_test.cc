// The llama2.c reader: a separate classifier (negative vocab size, appended after the freq_cis tables) on
// stories260K, and corrupt checkpoints, refused with the file named and no output left behind.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "checkpoint_files.h"
#include "conversion_errors.h"
#include "families/llama/llama2c_reader.h"
#include "io/file_bytes.h"
#include "model_runs.h"
#include "stories260k_variants.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;

TEST_F(Stories260kVariants, Llama2cSeparateClassifierReproducesTheGolden) {
  const std::string checkpoint = llama2c_with_classifier("separate.bin", llama2c_embedding());
  convert_llama2c(checkpoint, dir_ + "/tok512.bin", tmp_.file("separate.eft"));
  const auto ids = greedy(tmp_.file("separate.eft"), golden256_.size());
  ASSERT_GE(ids.size(), 64u);
  // The first 64 exactly (the brief's floor), then the whole golden.
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + 64), std::vector<int32_t>(golden256_.begin(), golden256_.begin() + 64));
  EXPECT_EQ(ids, golden256_);
  EXPECT_EQ(open_or_fail(tmp_.file("separate.eft"))->info().params, kStoriesParams + 512u * 64u);
}

TEST_F(Stories260kVariants, Llama2cSeparateClassifierIsReadFromTheEnd) {
  // Classifier = 2 x embedding, appended after the two freq_cis tables: logits exactly twice the tied model's.
  std::vector<float> doubled = llama2c_embedding();
  for (float& v : doubled) v *= 2.0f;
  convert_llama2c(llama2c_with_classifier("doubled.bin", doubled), dir_ + "/tok512.bin", tmp_.file("doubled.eft"));
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("tied.eft"));
  const std::vector<int32_t> inputs(golden256_.begin(), golden256_.begin() + 8);
  expect_doubled_logits(tmp_.file("tied.eft"), tmp_.file("doubled.eft"), inputs);
}

TEST_F(Stories260kVariants, CorruptLlama2cFilesAreErrors) {
  const std::vector<uint8_t> bytes = converter::read_file_bytes(dir_ + "/stories260K.bin");
  const std::string path = tmp_.file("bad.bin");
  auto convert_bad = [&] { convert_llama2c(path, dir_ + "/tok512.bin", tmp_.file("bad.eft")); };
  // Truncated in the weights: the header's sizes do not fit in the file.
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 1000));
  expect_convert_error(convert_bad, {"bad.bin", "header describes", "file has 972"});
  // Truncated in the header.
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 12));
  expect_convert_error(convert_bad, {"bad.bin", "truncated at header", "file has 12"});
  // Truncated in the freq_cis tables (the weights fit, the tables do not).
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 4));
  expect_convert_error(convert_bad, {"bad.bin", "truncated at freq_cis"});
  // Negative vocab (a separate classifier) but none appended.
  std::vector<uint8_t> no_classifier = bytes;
  const int32_t minus_vocab = -512;
  std::memcpy(no_classifier.data() + 20, &minus_vocab, 4);
  write_bytes(path, no_classifier);
  expect_convert_error(convert_bad, {"bad.bin", "truncated at wcls"});
  // Heads that do not divide dim.
  std::vector<uint8_t> heads = bytes;
  const int32_t seven = 7;
  std::memcpy(heads.data() + 12, &seven, 4);
  write_bytes(path, heads);
  expect_convert_error(convert_bad, {"bad.bin", "hidden size 64", "not a multiple of heads 7"});
  // kv heads that do not divide heads; a zero dimension.
  std::vector<uint8_t> kv = bytes;
  const int32_t three = 3, zero = 0;
  std::memcpy(kv.data() + 16, &three, 4);
  write_bytes(path, kv);
  expect_convert_error(convert_bad, {"bad.bin", "heads 8 is not a multiple of kv heads 3"});
  std::vector<uint8_t> no_layers = bytes;
  std::memcpy(no_layers.data() + 8, &zero, 4);
  write_bytes(path, no_layers);
  expect_convert_error(convert_bad, {"bad.bin", "layers 0"});
  // Bytes after the last tensor.
  std::vector<uint8_t> extra = bytes;
  extra.resize(extra.size() + 4);
  write_bytes(path, extra);
  expect_convert_error(convert_bad, {"bad.bin", "4 unexpected bytes"});
  EXPECT_FALSE(fs::exists(tmp_.file("bad.eft")));
  EXPECT_FALSE(fs::exists(tmp_.file("bad.eft.partial")));
  // A checkpoint given as the tokenizer; a missing checkpoint.
  expect_convert_error([&] { converter::read_llama2c_tokenizer(dir_ + "/stories260K.bin", 512); }, {"stories260K.bin"});
  expect_convert_error([&] { converter::read_llama2c(tmp_.file("absent.bin"), dir_ + "/tok512.bin"); },
                       {"absent.bin", "cannot open"});
}

}  // namespace
}  // namespace edgeformer::testing
