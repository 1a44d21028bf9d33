#pragma once
// The fixture of the tests on variants of the real stories260K checkpoint (sharded, untied, F16/BF16, a separate
// llama2.c classifier, corrupt files): its tensors, its goldens, and writers of variant folders and files in a
// temporary folder. Tests skip when the shared data is absent.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkpoint_files.h"
#include "graph/graph_options.h"
#include "test_support.h"

namespace edgeformer::testing {

constexpr uint64_t kStoriesParams = 260032;  // stories260K, tied: measured by the converter and by llama2.c

class Stories260kVariants : public ::testing::Test {
 protected:
  void SetUp() override;

  const std::vector<float>& source(const std::string& name) const;

  // Writes the checkpoint as a folder with the given dtype; `edit` may change the tensors and the config first.
  std::string write_folder(const std::string& name, const std::string& dtype,
                           const std::function<void(std::vector<NamedTensor>&, nlohmann::json&)>& edit = {});

  std::string convert(const std::string& folder, const converter::GraphOptions& options = {});

  const std::string& f32_model();

  // Inputs of teacher forcing: BOS then the llama2.c golden but its last token.
  std::vector<int32_t> teacher_inputs() const;

  struct Closeness {
    double agreement, mean_cosine, worst_cosine;
  };
  // Teacher-forced over the golden: top-1 agreement and logits cosine against the f32 model.
  Closeness closeness_to_f32(const std::string& model_path);

  // How many of the first greedy ids equal the golden's before the first difference.
  int greedy_prefix(const std::string& model_path);

  // stories260K.bin with a negative vocab and `classifier` appended after the freq_cis tables.
  std::string llama2c_with_classifier(const std::string& name, const std::vector<float>& classifier);

  std::vector<float> llama2c_embedding() const;

  struct Source {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
  };
  std::string dir_;
  TempDir tmp_;
  nlohmann::json config_;
  std::vector<Source> tensors_;
  std::vector<int32_t> golden60_, golden256_;
  std::string f32_model_;
};

}  // namespace edgeformer::testing
