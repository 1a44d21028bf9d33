#pragma once
// Helpers shared by the tests: the shared data folder, temporary folders, in-process conversion.
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "edgeformer/edgeformer.hpp"
#include "families/llama/llama_graph.h"

namespace edgeformer::testing {

// EDGEFORMER_SHARED, else ../shared beside the project. Empty if it does not exist.
std::string shared_dir();
// stories260K's folder, or "" (after a message) when the shared data is absent; tests then GTEST_SKIP.
std::string stories260k_dir();

// A fresh folder under the system temp dir, removed with its contents when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Converts a llama2.c checkpoint or a Hugging Face folder to `output` (as edgeformer-convert does).
void convert_llama2c(const std::string& checkpoint, const std::string& tokenizer, const std::string& output,
                     const converter::GraphOptions& options = {});
void convert_hf(const std::string& folder, const std::string& output, const converter::GraphOptions& options = {});
void convert_hf_marian(const std::string& folder, const std::string& output,
                       const converter::GraphOptions& options = {});
void convert_hf_bert(const std::string& folder, const std::string& output, const converter::GraphOptions& options = {});

// stories260K with TinyLlama's chat template (../shared/chat-templates) converted into `tmp`: its path, or "" when
// the shared data is absent.
std::string convert_stories260k_chat(const TempDir& tmp, const converter::GraphOptions& options = {});

std::shared_ptr<const Model> open_or_fail(const std::string& path);
// A session on `model` with `threads` threads (null, and a test failure, if it cannot be made).
std::unique_ptr<Session> session_of(const std::shared_ptr<const Model>& model, int threads = 1);

// Copies the Hugging Face folder `folder` into `temp`, then sets `key` of its JSON file `file` to `value`.
void copy_with_json_key(const std::string& folder, const TempDir& temp, const std::string& file, const std::string& key,
                        const nlohmann::json& value);
// The same with several keys set at once (an object of key: value).
void copy_with_json_keys(const std::string& folder, const TempDir& temp, const std::string& file,
                         const nlohmann::json& keys);
// The id of the largest of `vocab` logits.
int32_t argmax(const float* logits, int vocab);
// Every logit within `relative_error` times the reference's largest magnitude (a test failure naming the first not).
void expect_logits_near(const float* got, const std::vector<double>& want, double relative_error);
// `steps` greedy ids from a session whose logits are current, decoding each but the last (a test failure, and
// fewer ids, if a decode fails).
std::vector<int32_t> greedy_continuation(Session& session, size_t steps);

// Cosine similarity of a result (`count` floats) and its float64 reference: how int8 budgets are stated.
double cosine_similarity(const float* got, const std::vector<double>& want);

// Expects `read` (a converter reader) to throw, with `word` in the message.
void expect_refused(const std::function<void()>& read, const std::string& word);

}  // namespace edgeformer::testing

// Skips the current test with a message when the shared data folder is missing.
#define EDGEFORMER_REQUIRE_STORIES260K(dir)                                                          \
  const std::string dir = ::edgeformer::testing::stories260k_dir();                                 \
  if (dir.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)"
