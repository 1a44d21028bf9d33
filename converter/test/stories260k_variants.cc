#include "stories260k_variants.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "io/file_bytes.h"
#include "io/safetensors_reader.h"
#include "model_runs.h"

namespace edgeformer::testing {

namespace fs = std::filesystem;
using nlohmann::json;

void Stories260kVariants::SetUp() {
  dir_ = stories260k_dir();
  if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
  config_ = read_json(dir_ + "/hf/config.json");
  golden60_ = read_json(dir_ + "/hf/expected_greedy_60.json").at("greedy_next_token_ids").get<std::vector<int32_t>>();
  ASSERT_EQ(read_json(dir_ + "/hf/expected_greedy_60.json").at("prompt_token_ids"), json::array({kBos}));
  golden256_ = read_json(dir_ + "/expected_greedy_256.json").at("output_ids").get<std::vector<int32_t>>();
  ASSERT_EQ(golden60_.size(), 60u);
  ASSERT_EQ(golden256_.size(), 256u);
  const auto set = converter::SafetensorsSet::open_folder(dir_ + "/hf");
  for (const std::string& name : set.names()) {
    const auto shape = set.shape(name);
    tensors_.push_back({name, shape, set.read_f32(name, shape)});
  }
}

const std::vector<float>& Stories260kVariants::source(const std::string& name) const {
  for (const Source& s : tensors_)
    if (s.name == name) return s.values;
  throw std::runtime_error("no tensor " + name);
}

std::string Stories260kVariants::write_folder(const std::string& name, const std::string& dtype,
                                              const std::function<void(std::vector<NamedTensor>&, json&)>& edit) {
  const std::string folder = tmp_.file(name);
  fs::create_directories(folder);
  std::vector<NamedTensor> tensors;
  for (const auto& [tensor_name, shape, values] : tensors_) tensors.push_back(make_tensor(tensor_name, shape, values, dtype));
  json config = config_;
  if (edit) edit(tensors, config);
  write_json(folder + "/config.json", config);
  write_safetensors(folder + "/model.safetensors", tensors);
  return folder;
}

std::string Stories260kVariants::convert(const std::string& folder, const converter::GraphOptions& options) {
  const std::string path = folder + ".eft";
  convert_hf(folder, path, options);
  return path;
}

const std::string& Stories260kVariants::f32_model() {
  if (f32_model_.empty()) f32_model_ = convert(write_folder("f32-reference", "F32"));
  return f32_model_;
}

std::vector<int32_t> Stories260kVariants::teacher_inputs() const {
  std::vector<int32_t> inputs = {kBos};
  inputs.insert(inputs.end(), golden256_.begin(), golden256_.end() - 1);
  return inputs;
}

Stories260kVariants::Closeness Stories260kVariants::closeness_to_f32(const std::string& model_path) {
  const auto inputs = teacher_inputs();
  const auto reference = teacher_forced(f32_model(), inputs);
  const auto candidate = teacher_forced(model_path, inputs);
  EXPECT_EQ(reference.size(), inputs.size());
  EXPECT_EQ(candidate.size(), inputs.size());
  if (reference.size() != inputs.size() || candidate.size() != inputs.size()) return {0, 0, 0};
  int agree = 0;
  double sum = 0, worst = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    agree += argmax(reference[i]) == argmax(candidate[i]);
    const double c = cosine(reference[i], candidate[i]);
    sum += c;
    worst = std::min(worst, c);
  }
  return {double(agree) / inputs.size(), sum / inputs.size(), worst};
}

int Stories260kVariants::greedy_prefix(const std::string& model_path) {
  const auto ids = greedy(model_path, golden60_.size());
  int prefix = 0;
  while (prefix < int(std::min(ids.size(), golden60_.size())) && ids[prefix] == golden60_[prefix]) ++prefix;
  return prefix;
}

std::string Stories260kVariants::llama2c_with_classifier(const std::string& name, const std::vector<float>& classifier) {
  std::vector<uint8_t> bytes = converter::read_file_bytes(dir_ + "/stories260K.bin");
  int32_t header[7];
  std::memcpy(header, bytes.data(), sizeof header);
  EXPECT_GT(header[5], 0) << "the shared checkpoint has a tied classifier";
  header[5] = -header[5];
  std::memcpy(bytes.data(), header, sizeof header);
  const auto* p = reinterpret_cast<const uint8_t*>(classifier.data());
  bytes.insert(bytes.end(), p, p + classifier.size() * sizeof(float));
  const std::string path = tmp_.file(name);
  write_bytes(path, bytes);
  return path;
}

std::vector<float> Stories260kVariants::llama2c_embedding() const {
  const std::vector<uint8_t> bytes = converter::read_file_bytes(dir_ + "/stories260K.bin");
  int32_t header[7];
  std::memcpy(header, bytes.data(), sizeof header);
  std::vector<float> embedding(size_t(header[0]) * header[5]);
  std::memcpy(embedding.data(), bytes.data() + sizeof header, embedding.size() * sizeof(float));
  return embedding;
}

}  // namespace edgeformer::testing
