// The Hugging Face LLaMA reader on variants of the real stories260K checkpoint (one file, sharded, untied and tied
// heads), and its configuration and tensor errors, which name the file, the key or tensor, and expected vs found.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "checkpoint_files.h"
#include "conversion_errors.h"
#include "model_runs.h"
#include "stories260k_variants.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_F(Stories260kVariants, SingleFileF32ReproducesTheGolden) {
  // The baseline the variants below are measured against: the test's writer round-trips the checkpoint.
  EXPECT_EQ(greedy(f32_model(), golden60_.size()), golden60_);
}

TEST_F(Stories260kVariants, ShardedFolderReproducesTheGolden) {
  const std::string folder = tmp_.file("sharded");
  fs::create_directories(folder);
  std::vector<NamedTensor> first, second;
  json weight_map = json::object();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const bool in_second = i % 2 == 1;
    (in_second ? second : first).push_back(make_tensor(tensors_[i].name, tensors_[i].shape, tensors_[i].values));
    weight_map[tensors_[i].name] = in_second ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
  }
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  write_safetensors(folder + "/model-00001-of-00002.safetensors", first);
  write_safetensors(folder + "/model-00002-of-00002.safetensors", second);
  write_json(folder + "/model.safetensors.index.json", {{"metadata", {{"total_size", 1045000}}}, {"weight_map", weight_map}});
  write_json(folder + "/config.json", config_);
  EXPECT_EQ(greedy(convert(folder), golden60_.size()), golden60_);
}

TEST_F(Stories260kVariants, UntiedLmHeadReproducesTheGolden) {
  const std::string folder = write_folder("untied", "F32", [](std::vector<NamedTensor>& tensors, json& config) {
    config["tie_word_embeddings"] = false;
    for (const NamedTensor& t : tensors)
      if (t.name == "model.embed_tokens.weight") {
        NamedTensor head = t;
        head.name = "lm_head.weight";
        tensors.push_back(head);
        break;
      }
  });
  const std::string path = convert(folder);
  EXPECT_EQ(greedy(path, golden60_.size()), golden60_);
  // The untied head is a tensor of its own: 512 x 64 more parameters than the tied model.
  EXPECT_EQ(open_or_fail(path)->info().params, kStoriesParams + 512u * 64u);
}

TEST_F(Stories260kVariants, UntiedLmHeadIsTheOneUsed) {
  // lm_head = 2 x embedding: the logits must be exactly twice the tied model's (a copy could not tell).
  const std::string folder = write_folder("untied-2x", "F32", [&](std::vector<NamedTensor>& tensors, json& config) {
    config["tie_word_embeddings"] = false;
    std::vector<float> doubled = source("model.embed_tokens.weight");
    for (float& v : doubled) v *= 2.0f;
    tensors.push_back(make_tensor("lm_head.weight", {512, 64}, doubled));
  });
  const std::vector<int32_t> inputs(golden60_.begin(), golden60_.begin() + 8);
  expect_doubled_logits(f32_model(), convert(folder), inputs);
}

TEST_F(Stories260kVariants, TiedCheckpointWithAStoredLmHeadUsesTheEmbedding) {
  // Some tied checkpoints also store lm_head.weight; with tie_word_embeddings=true it must be ignored.
  const std::string folder = write_folder("tied-extra", "F32", [](std::vector<NamedTensor>& tensors, json&) {
    tensors.push_back(make_tensor("lm_head.weight", {512, 64}, std::vector<float>(512 * 64, 0.0f)));
  });
  const std::string path = convert(folder);
  EXPECT_EQ(greedy(path, golden60_.size()), golden60_);
  EXPECT_EQ(open_or_fail(path)->info().params, kStoriesParams);
}

TEST_F(Stories260kVariants, MissingLmHeadWhenUntiedIsAnError) {
  const std::string folder =
      write_folder("untied-missing", "F32", [](std::vector<NamedTensor>&, json& config) { config["tie_word_embeddings"] = false; });
  expect_convert_error([&] { convert(folder); }, {"model.safetensors", "missing tensor", "lm_head.weight", "[512, 64]"});
}

TEST_F(Stories260kVariants, ConfigErrorsNameTheFileAndTheKey) {
  auto folder_with = [&](const std::string& name, const std::function<void(json&)>& edit) {
    return write_folder(name, "F32", [&](std::vector<NamedTensor>&, json& c) { edit(c); });
  };
  const std::string bert = folder_with("bert", [](json& c) { c["model_type"] = "bert"; });
  expect_convert_error([&] { convert(bert); }, {"bert/config.json", "model_type", "\"bert\"", "llama"});

  const std::string scaling = folder_with("scaling", [](json& c) { c["rope_scaling"] = {{"type", "linear"}}; });
  expect_convert_error([&] { convert(scaling); }, {"scaling/config.json", "rope_scaling", "linear", "factor", "missing"});
  const std::string mrope = folder_with("mrope", [](json& c) { c["rope_scaling"] = {{"type", "mrope"}}; });
  expect_convert_error([&] { convert(mrope); }, {"mrope/config.json", "rope_scaling type \"mrope\"", "llama3"});
  const std::string small = folder_with("small", [](json& c) { c["rope_scaling"] = {{"type", "linear"}, {"factor", 0.5}}; });
  expect_convert_error([&] { convert(small); }, {"small/config.json", "factor", "at least 1"});

  const std::string heads = folder_with("heads", [](json& c) { c["num_key_value_heads"] = 3; });
  expect_convert_error([&] { convert(heads); }, {"heads/config.json", "heads 8", "kv heads 3"});

  const std::string no_key = folder_with("no-key", [](json& c) { c.erase("hidden_size"); });
  expect_convert_error([&] { convert(no_key); }, {"no-key/config.json", "missing key", "hidden_size"});

  const std::string wrong_type = folder_with("wrong-type", [](json& c) { c["num_hidden_layers"] = "five"; });
  expect_convert_error([&] { convert(wrong_type); }, {"wrong-type/config.json", "num_hidden_layers", "five"});

  const std::string act = folder_with("gelu", [](json& c) { c["hidden_act"] = "gelu"; });
  expect_convert_error([&] { convert(act); }, {"gelu/config.json", "hidden_act", "gelu", "silu"});

  // Supported keys whose tensors the folder lacks: the missing or misshapen tensor is named.
  const std::string bias = folder_with("bias", [](json& c) { c["attention_bias"] = true; });
  expect_convert_error([&] { convert(bias); }, {"q_proj.bias"});

  const std::string head_dim = folder_with("head-dim", [](json& c) { c["head_dim"] = 16; });
  expect_convert_error([&] { convert(head_dim); }, {"q_proj.weight", "128"});

  const std::string odd_head = folder_with("odd-head", [](json& c) { c["head_dim"] = 7; });
  expect_convert_error([&] { convert(odd_head); }, {"odd-head/config.json", "head dim 7", "even"});

  const std::string bad_json = tmp_.file("bad-json");
  fs::create_directories(bad_json);
  std::ofstream(bad_json + "/config.json") << "{ not json";
  expect_convert_error([&] { convert(bad_json); }, {"bad-json/config.json", "not valid JSON"});

  const std::string no_config = tmp_.file("no-config");
  fs::create_directories(no_config);
  expect_convert_error([&] { convert(no_config); }, {"no-config/config.json", "cannot open"});
}

TEST_F(Stories260kVariants, TensorErrorsNameTheFileTheTensorAndTheShapes) {
  auto folder_with = [&](const std::string& name, const std::function<void(std::vector<NamedTensor>&)>& edit) {
    return write_folder(name, "F32", [&](std::vector<NamedTensor>& t, json&) { edit(t); });
  };
  auto find = [](std::vector<NamedTensor>& t, const std::string& name) -> NamedTensor& {
    for (NamedTensor& x : t)
      if (x.name == name) return x;
    throw std::runtime_error("no " + name);
  };
  const std::string missing = folder_with("missing", [](std::vector<NamedTensor>& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const NamedTensor& x) { return x.name == "model.layers.3.mlp.up_proj.weight"; }),
            t.end());
  });
  expect_convert_error([&] { convert(missing); },
                       {"missing/model.safetensors", "missing tensor model.layers.3.mlp.up_proj.weight", "[172, 64]"});

  const std::string shape = folder_with("shape", [&](std::vector<NamedTensor>& t) {
    find(t, "model.layers.0.self_attn.k_proj.weight").shape = {64, 32};  // transposed: same byte count
  });
  expect_convert_error([&] { convert(shape); }, {"shape/model.safetensors", "model.layers.0.self_attn.k_proj.weight",
                                                 "has shape [64, 32]", "expected [32, 64]"});

  for (const std::string dtype : {"F64", "I64"}) {
    const std::string folder = folder_with("dtype-" + dtype, [&](std::vector<NamedTensor>& t) {
      NamedTensor& x = find(t, "model.norm.weight");
      x.dtype = dtype;
      x.bytes.resize(x.bytes.size() * 2);
    });
    expect_convert_error([&] { convert(folder); }, {"dtype-" + dtype + "/model.safetensors", "model.norm.weight",
                                                    "dtype " + dtype, "F32, F16, BF16"});
  }

  const std::string short_data = folder_with("short-data", [&](std::vector<NamedTensor>& t) {
    find(t, "model.norm.weight").bytes.resize(64 * 4 - 4);  // one float missing, offsets consistent
  });
  expect_convert_error([&] { convert(short_data); }, {"short-data/model.safetensors", "model.norm.weight",
                                                      "holds 252 bytes", "need 256"});

  const std::string empty = tmp_.file("empty-folder");
  fs::create_directories(empty);
  write_json(empty + "/config.json", config_);
  expect_convert_error([&] { convert(empty); }, {"empty-folder", "model.safetensors", "model.safetensors.index.json"});
}

}  // namespace
}  // namespace edgeformer::testing
