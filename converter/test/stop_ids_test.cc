// Stop ids (the EOS set) of Hugging Face folders: the converter takes the union of generation_config.json's and
// config.json's eos_token_id (an int or a list) and tokenizer_config.json's eos_token, the runtime exposes it, and
// generation stops at any of them. On a folder of the real stories260K checkpoint, whose greedy ids are known.
#include <gtest/gtest.h>

#include <algorithm>

#include "checkpoint_files.h"
#include "conversion.h"
#include "conversion_errors.h"
#include "edgeformer/edgeformer.h"
#include "model_runs.h"
#include "stories260k_variants.h"

namespace edgeformer::testing {
namespace {

using nlohmann::json;

// A SentencePiece-BPE tokenizer.json with a few pieces: enough for tokenizer_config.json's eos_token to name one.
json small_tokenizer() {
  return {{"model",
           {{"type", "BPE"},
            {"byte_fallback", true},
            {"vocab", {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {"<|im_end|>", 9}, {"\xe2\x96\x81" "a", 10}}},
            {"merges", json::array()}}},
          {"added_tokens",
           {{{"id", 9}, {"content", "<|im_end|>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
             {"normalized", false}, {"special", true}}}}};
}

class StopIds : public Stories260kVariants {
 protected:
  // Converts `folder` as edgeformer-convert does.
  std::shared_ptr<const Model> convert_folder(const std::string& folder,
                                             converter::ConversionSummary* summary = nullptr) {
    converter::ConversionRequest request;
    request.input = folder;
    request.output = folder + ".eft";
    const converter::ConversionSummary result = converter::convert_model(request, nullptr);
    if (summary) *summary = result;
    return open_or_fail(request.output);
  }
};

TEST_F(StopIds, AreTheUnionOfTheFolderFilesInOrder) {
  const std::string folder = write_folder("union", "F32", [](std::vector<NamedTensor>&, json& config) {
    config["eos_token_id"] = {2, 3};  // eos_id is the first
  });
  write_json(folder + "/generation_config.json", {{"bos_token_id", 1}, {"eos_token_id", {2, 7, 5}}});
  write_json(folder + "/tokenizer_config.json", {{"eos_token", {{"content", "<|im_end|>"}, {"special", true}}}});
  write_json(folder + "/tokenizer.json", small_tokenizer());
  converter::ConversionSummary summary;
  const auto model = convert_folder(folder, &summary);
  EXPECT_EQ(model->eos_id(), 2);
  const std::vector<int32_t> want = {2, 7, 5, 3, 9};
  EXPECT_EQ(model->stop_ids(), want);
  EXPECT_EQ(model->info().stop_ids, want);
  for (int32_t id : want) EXPECT_TRUE(model->is_stop_id(id)) << id;
  EXPECT_FALSE(model->is_stop_id(1));
  EXPECT_EQ(summary.stop_ids, "2 \"</s>\", 7, 5, 3, 9 \"<|im_end|>\"");

  ef_model* c_model = nullptr;
  ASSERT_EQ(ef_model_open_file((folder + ".eft").c_str(), &c_model), EF_OK) << ef_last_error();
  size_t count = 0;
  const int32_t* ids = ef_model_stop_ids(c_model, &count);
  ASSERT_EQ(count, want.size());
  EXPECT_EQ(std::vector<int32_t>(ids, ids + count), want);
  EXPECT_EQ(ef_model_is_stop_id(c_model, 9), 1);
  EXPECT_EQ(ef_model_is_stop_id(c_model, 4), 0);
  ef_model_free(c_model);
}

TEST_F(StopIds, AnIntOrNothingBesideConfigJson) {
  const std::string single = write_folder("single", "F32");
  write_json(single + "/generation_config.json", {{"eos_token_id", 7}});
  EXPECT_EQ(convert_folder(single)->stop_ids(), std::vector<int32_t>({2, 7}));
  // config.json's eos_token_id alone, and no tokenizer: the ids still end generation.
  const auto plain = convert_folder(write_folder("plain", "F32"));
  EXPECT_FALSE(plain->has_tokenizer());
  EXPECT_EQ(plain->stop_ids(), std::vector<int32_t>({2}));
}

TEST_F(StopIds, FilesWithoutThemStopAtEos) {
  // The readers alone (as before stop ids existed) write no stop_ids field: EOS is the whole set.
  const auto model = open_or_fail(convert(write_folder("old", "F32")));
  EXPECT_EQ(model->stop_ids(), std::vector<int32_t>({2}));
}

TEST_F(StopIds, OutsideTheVocabularyOrNotIntsAreErrors) {
  const std::string folder = write_folder("bad", "F32");
  write_json(folder + "/generation_config.json", {{"eos_token_id", {2, 512}}});
  expect_convert_error([&] { convert_folder(folder); }, {"generation_config.json", "eos_token_id", "512", "[0, 512)"});
  write_json(folder + "/generation_config.json", {{"eos_token_id", "</s>"}});
  expect_convert_error([&] { convert_folder(folder); }, {"generation_config.json", "eos_token_id", "an int or a list"});
}

TEST_F(StopIds, GenerationStopsAtTheSecondStopId) {
  // The second stop id is a token the greedy continuation reaches at step `at`, and not before.
  const size_t at = 10;
  const int32_t second = golden60_[at];
  ASSERT_EQ(std::find(golden60_.begin(), golden60_.begin() + at, second), golden60_.begin() + at);
  ASSERT_NE(second, 2);
  const std::string folder = write_folder("generate", "F32");
  write_json(folder + "/generation_config.json", {{"eos_token_id", {2, second}}});
  const auto model = convert_folder(folder);
  ASSERT_EQ(model->stop_ids(), std::vector<int32_t>({2, second}));
  std::unique_ptr<Session> session = session_of(model);
  ASSERT_TRUE(session);
  Generator generator(*session, *model, SamplerOptions{});
  const int32_t prompt = kBos;
  ASSERT_TRUE(generator.start(&prompt, 1).ok());
  std::vector<int32_t> generated;
  Generator::Stop stop = Generator::Stop::kNone;
  while (generated.size() < golden60_.size()) {
    int32_t token = -1;
    ASSERT_TRUE(generator.next(&token, &stop).ok());
    if (stop != Generator::Stop::kNone) break;
    generated.push_back(token);
  }
  EXPECT_EQ(stop, Generator::Stop::kEos);
  EXPECT_EQ(generated, std::vector<int32_t>(golden60_.begin(), golden60_.begin() + at));
}

}  // namespace
}  // namespace edgeformer::testing
