// The converter on variants of the real stories260K checkpoint (sharded, untied, F16/BF16, separate llama2.c
// classifier), on a random model of a different configuration, and on every class of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "convert_error.h"
#include "eft_writer.h"
#include "file_bytes.h"
#include "hf_llama_reader.h"
#include "llama2c_reader.h"
#include "safetensors_reader.h"
#include "synthetic_llama.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Measured on stories260K, 256 teacher-forced positions vs f32: top-1 agreement F16 1.0, BF16 0.9961; mean cosine
// of the logits F16 1.0000000, BF16 0.9999961.
constexpr double kMinF16Agreement = 0.97;
constexpr double kMinBf16Agreement = 0.93;
constexpr double kMinF16Cosine = 0.9999;
constexpr double kMinBf16Cosine = 0.999;
constexpr float kChunkingTolerance = 1e-5f;

struct NamedTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

uint16_t to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

uint16_t to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint32_t sign = (bits >> 16) & 0x8000;
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffff;
  if (exponent >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (exponent <= 0) {  // subnormal or zero
    if (exponent < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000;
    const int shift = 14 - exponent;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // may carry into the exponent: still correct
  return static_cast<uint16_t>(sign | half);
}

NamedTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values,
                       const std::string& dtype = "F32") {
  NamedTensor t{name, dtype, std::move(shape), {}};
  if (dtype == "F32") {
    t.bytes.resize(values.size() * 4);
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  } else {
    for (float v : values) {
      const uint16_t h = dtype == "F16" ? to_f16(v) : to_bf16(v);
      t.bytes.push_back(static_cast<uint8_t>(h & 0xff));
      t.bytes.push_back(static_cast<uint8_t>(h >> 8));
    }
  }
  return t;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << text;
  for (const NamedTensor& t : tensors) out.write(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
}

void write_json(const std::string& path, const json& value) { std::ofstream(path) << value.dump(2); }

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<int32_t> greedy(const std::string& model_path, size_t steps) {
  auto model = open_or_fail(model_path);
  std::unique_ptr<Session> session;
  EXPECT_TRUE(Session::create(model, {}, &session).ok());
  Sampler sampler(session->vocab_size(), {});
  std::vector<int32_t> out;
  int32_t token = 1;
  for (size_t i = 0; i < steps; ++i) {
    EXPECT_TRUE(session->decode(token).ok());
    out.push_back(token = sampler.sample(session->logits()));
  }
  return out;
}

class Stories260kVariants : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    config_ = read_json(dir_ + "/hf/config.json");
    golden60_ = read_json(dir_ + "/hf/expected_greedy_60.json").at("greedy_next_token_ids").get<std::vector<int32_t>>();
    golden256_ = read_json(dir_ + "/expected_greedy_256.json").at("output_ids").get<std::vector<int32_t>>();
    const auto set = converter::SafetensorsSet::open_folder(dir_ + "/hf");
    for (const std::string& name : set.names()) {
      const auto shape = set.shape(name);
      tensors_.push_back({name, shape, set.read_f32(name, shape)});
    }
  }

  // Writes the checkpoint as a folder with the given dtype; `edit` may change the tensors and the config first.
  std::string write_folder(const std::string& name, const std::string& dtype,
                           const std::function<void(std::vector<NamedTensor>&, json&)>& edit = {}) {
    const std::string folder = tmp_.file(name);
    fs::create_directories(folder);
    std::vector<NamedTensor> tensors;
    for (const auto& [tensor_name, shape, values] : tensors_) tensors.push_back(f32_tensor(tensor_name, shape, values, dtype));
    json config = config_;
    if (edit) edit(tensors, config);
    write_json(folder + "/config.json", config);
    write_safetensors(folder + "/model.safetensors", tensors);
    return folder;
  }

  std::string convert(const std::string& folder) {
    const std::string path = folder + ".eft";
    convert_hf(folder, path);
    return path;
  }

  // Teacher-forced over the llama2.c golden: top-1 agreement and mean logits cosine against the f32 model.
  std::pair<double, double> agreement_with_f32(const std::string& model_path) {
    auto reference = open_or_fail(convert(write_folder("f32-reference", "F32")));
    auto candidate = open_or_fail(model_path);
    std::unique_ptr<Session> a, b;
    EXPECT_TRUE(Session::create(reference, {}, &a).ok());
    EXPECT_TRUE(Session::create(candidate, {}, &b).ok());
    std::vector<int32_t> inputs = {1};
    inputs.insert(inputs.end(), golden256_.begin(), golden256_.end() - 1);
    int agree = 0;
    double cosine_sum = 0;
    for (int32_t id : inputs) {
      EXPECT_TRUE(a->decode(id).ok());
      EXPECT_TRUE(b->decode(id).ok());
      const float *x = a->logits(), *y = b->logits();
      const int n = a->vocab_size();
      agree += std::max_element(x, x + n) - x == std::max_element(y, y + n) - y;
      double dot = 0, xx = 0, yy = 0;
      for (int i = 0; i < n; ++i) {
        dot += double(x[i]) * y[i];
        xx += double(x[i]) * x[i];
        yy += double(y[i]) * y[i];
      }
      cosine_sum += dot / std::sqrt(xx * yy);
    }
    return {double(agree) / inputs.size(), cosine_sum / inputs.size()};
  }

  struct Source {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
  };
  std::string dir_;
  TempDir tmp_;
  json config_;
  std::vector<Source> tensors_;
  std::vector<int32_t> golden60_, golden256_;
};

TEST_F(Stories260kVariants, ShardedFolderReproducesTheGolden) {
  const std::string folder = tmp_.file("sharded");
  fs::create_directories(folder);
  std::vector<NamedTensor> first, second;
  json weight_map = json::object();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const std::string shard = i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    (i % 2 ? second : first).push_back(f32_tensor(tensors_[i].name, tensors_[i].shape, tensors_[i].values));
    weight_map[tensors_[i].name] = shard;
  }
  write_safetensors(folder + "/model-00001-of-00002.safetensors", first);
  write_safetensors(folder + "/model-00002-of-00002.safetensors", second);
  write_json(folder + "/model.safetensors.index.json", {{"metadata", json::object()}, {"weight_map", weight_map}});
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
  EXPECT_EQ(open_or_fail(path)->info().params, 260032u + 512u * 64u);
}

TEST_F(Stories260kVariants, MissingLmHeadWhenUntiedIsAnError) {
  const std::string folder =
      write_folder("untied-missing", "F32", [](std::vector<NamedTensor>&, json& config) { config["tie_word_embeddings"] = false; });
  try {
    convert(folder);
    FAIL() << "expected a ConvertError";
  } catch (const converter::ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find("lm_head.weight"), std::string::npos) << e.what();
  }
}

TEST_F(Stories260kVariants, F16WeightsStayCloseToF32) {
  const auto [agreement, cosine] = agreement_with_f32(convert(write_folder("f16", "F16")));
  std::printf("F16 vs F32: top-1 agreement %.4f, mean logits cosine %.7f\n", agreement, cosine);
  EXPECT_GE(agreement, kMinF16Agreement);
  EXPECT_GE(cosine, kMinF16Cosine);
}

TEST_F(Stories260kVariants, Bf16WeightsStayCloseToF32) {
  const auto [agreement, cosine] = agreement_with_f32(convert(write_folder("bf16", "BF16")));
  std::printf("BF16 vs F32: top-1 agreement %.4f, mean logits cosine %.7f\n", agreement, cosine);
  EXPECT_GE(agreement, kMinBf16Agreement);
  EXPECT_GE(cosine, kMinBf16Cosine);
}

TEST_F(Stories260kVariants, Llama2cSeparateClassifierReproducesTheGolden) {
  std::vector<uint8_t> bytes = converter::read_file_bytes(dir_ + "/stories260K.bin");
  int32_t header[7];
  std::memcpy(header, bytes.data(), sizeof header);
  header[5] = -header[5];  // negative vocab: the classifier follows the weights
  std::memcpy(bytes.data(), header, sizeof header);
  const size_t embedding_bytes = size_t(header[0]) * (-header[5]) * sizeof(float);
  bytes.insert(bytes.end(), bytes.begin() + sizeof header, bytes.begin() + sizeof header + embedding_bytes);
  const std::string checkpoint = tmp_.file("separate.bin");
  std::ofstream(checkpoint, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  convert_llama2c(checkpoint, dir_ + "/tok512.bin", tmp_.file("separate.eft"));
  EXPECT_EQ(greedy(tmp_.file("separate.eft"), golden256_.size()), golden256_);
}

TEST_F(Stories260kVariants, Int8HalvesTheWeightsAndKeepsTheParameterCount) {
  converter::LlamaGraphOptions int8;
  int8.weights = converter::WeightFormat::kInt8;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("f32.eft"));
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("int8.eft"), int8);
  const ModelInfo f32 = open_or_fail(tmp_.file("f32.eft"))->info();
  const ModelInfo q8 = open_or_fail(tmp_.file("int8.eft"))->info();
  EXPECT_EQ(f32.params, q8.params);
  EXPECT_EQ(f32.params, 260032u);
  EXPECT_LT(double(q8.weight_bytes) / f32.weight_bytes, 0.5);
}

TEST_F(Stories260kVariants, MaxContextSizesTheKvCache) {
  converter::LlamaGraphOptions options;
  options.max_context = 64;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("short.eft"), options);
  const ModelInfo info = open_or_fail(tmp_.file("short.eft"))->info();
  EXPECT_EQ(info.max_context, 64);
  const uint64_t kv_dim = 64 / 8 * 4;
  EXPECT_EQ(info.state_bytes, 5u * 2u * 64u * kv_dim * sizeof(float));
}

// Errors name the file and the key or tensor, and expected vs found.
void expect_convert_error(const std::function<void()>& convert, std::initializer_list<std::string> fragments) {
  try {
    convert();
    ADD_FAILURE() << "expected a ConvertError";
  } catch (const converter::ConvertError& e) {
    for (const std::string& fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "'" << fragment << "' not in: " << e.what();
  }
}

TEST_F(Stories260kVariants, ErrorsNameWhatIsWrong) {
  auto folder_with = [&](const std::string& name, const std::function<void(std::vector<NamedTensor>&, json&)>& edit) {
    return write_folder(name, "F32", edit);
  };
  const std::string bert = folder_with("bert", [](auto&, json& c) { c["model_type"] = "bert"; });
  expect_convert_error([&] { convert(bert); }, {"config.json", "model_type", "bert"});

  const std::string missing = folder_with("missing", [](std::vector<NamedTensor>& t, json&) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const NamedTensor& x) { return x.name == "model.layers.3.mlp.up_proj.weight"; }),
            t.end());
  });
  expect_convert_error([&] { convert(missing); }, {"model.layers.3.mlp.up_proj.weight", "missing"});

  const std::string shape = folder_with("shape", [](std::vector<NamedTensor>& t, json&) {
    for (NamedTensor& x : t)
      if (x.name == "model.layers.0.self_attn.k_proj.weight") x.shape = {64, 32};
  });
  expect_convert_error([&] { convert(shape); }, {"model.layers.0.self_attn.k_proj.weight", "[64, 32]", "[32, 64]"});

  const std::string dtype = folder_with("dtype", [](std::vector<NamedTensor>& t, json&) {
    for (NamedTensor& x : t)
      if (x.name == "model.norm.weight") {
        x.dtype = "F64";
        x.bytes.resize(x.bytes.size() * 2);
      }
  });
  expect_convert_error([&] { convert(dtype); }, {"model.norm.weight", "F64"});

  const std::string scaling = folder_with("scaling", [](auto&, json& c) { c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; });
  expect_convert_error([&] { convert(scaling); }, {"rope_scaling"});

  const std::string heads = folder_with("heads", [](auto&, json& c) { c["num_key_value_heads"] = 3; });
  expect_convert_error([&] { convert(heads); }, {"kv heads 3"});

  const std::string no_key = folder_with("no-key", [](auto&, json& c) { c.erase("hidden_size"); });
  expect_convert_error([&] { convert(no_key); }, {"hidden_size"});

  const std::string bad_json = tmp_.file("bad-json");
  fs::create_directories(bad_json);
  std::ofstream(bad_json + "/config.json") << "{ not json";
  expect_convert_error([&] { convert(bad_json); }, {"config.json", "JSON"});

  const std::string empty = tmp_.file("empty-folder");
  fs::create_directories(empty);
  write_json(empty + "/config.json", config_);
  expect_convert_error([&] { convert(empty); }, {"model.safetensors"});
}

TEST_F(Stories260kVariants, CorruptSafetensorsAreErrors) {
  const std::string folder = write_folder("corrupt", "F32");
  const std::string file = folder + "/model.safetensors";
  std::vector<uint8_t> bytes = converter::read_file_bytes(file);
  auto rewrite = [&](const std::vector<uint8_t>& content) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(content.data()), content.size());
  };
  std::vector<uint8_t> huge_header = bytes;
  const uint64_t too_long = bytes.size();
  std::memcpy(huge_header.data(), &too_long, 8);
  rewrite(huge_header);
  expect_convert_error([&] { convert(folder); }, {"model.safetensors", "header"});

  rewrite(std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));  // data cut in half
  expect_convert_error([&] { convert(folder); }, {"outside the file"});

  rewrite(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 5));
  expect_convert_error([&] { convert(folder); }, {"too small"});
}

TEST_F(Stories260kVariants, CorruptLlama2cFilesAreErrors) {
  const std::vector<uint8_t> bytes = converter::read_file_bytes(dir_ + "/stories260K.bin");
  const std::string path = tmp_.file("bad.bin");
  auto write = [&](const std::vector<uint8_t>& content) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(content.data()), content.size());
  };
  auto convert_bad = [&] { convert_llama2c(path, dir_ + "/tok512.bin", tmp_.file("bad.eft")); };
  write(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 1000));
  expect_convert_error(convert_bad, {"bad.bin", "bytes"});
  write(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 12));
  expect_convert_error(convert_bad, {"truncated", "header"});
  std::vector<uint8_t> heads = bytes;
  const int32_t seven = 7;
  std::memcpy(heads.data() + 12, &seven, 4);  // 64 is not a multiple of 7 heads
  write(heads);
  expect_convert_error(convert_bad, {"heads 7"});
  std::vector<uint8_t> extra = bytes;
  extra.resize(extra.size() + 4);
  write(extra);
  expect_convert_error(convert_bad, {"unexpected bytes"});
  EXPECT_FALSE(fs::exists(tmp_.file("bad.eft")));
  expect_convert_error([&] { converter::read_llama2c_tokenizer(dir_ + "/stories260K.bin", 512); }, {"stories260K.bin"});
}

TEST_F(Stories260kVariants, FailedWriteLeavesNoPartialFile) {
  converter::Graph graph = converter::build_llama_graph(
      converter::read_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin"), {});
  expect_convert_error([&] { converter::write_eft(graph, tmp_.file("no/such/folder/m.eft")); }, {"cannot create"});
  EXPECT_FALSE(fs::exists(tmp_.file("no/such/folder/m.eft.partial")));
  // A good write replaces an existing file whole and leaves no .partial behind.
  std::ofstream(tmp_.file("m.eft")) << "old";
  converter::write_eft(graph, tmp_.file("m.eft"));
  EXPECT_FALSE(fs::exists(tmp_.file("m.eft.partial")));
  EXPECT_TRUE(open_or_fail(tmp_.file("m.eft")) != nullptr);
}

// A random LLaMA of another shape: multi-head (kv_heads == heads), rope_theta 500000, sizes that are multiples of
// nothing. Prefill in one call, in chunks of 2 and token by token must agree.
TEST(GeneralConfig, ChunkedPrefillAgreesWithOneCall) {
  TempDir tmp;
  const int dim = 36, heads = 3, hidden = 70, vocab = 77, layers = 2;
  const json config = {{"model_type", "llama"}, {"hidden_size", dim}, {"intermediate_size", hidden},
                       {"num_hidden_layers", layers}, {"num_attention_heads", heads}, {"num_key_value_heads", heads},
                       {"vocab_size", vocab}, {"max_position_embeddings", 40}, {"rms_norm_eps", 1e-6},
                       {"rope_theta", 500000.0}, {"tie_word_embeddings", false}, {"hidden_act", "silu"}};
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  auto random = [&](std::vector<int64_t> shape) {
    size_t count = 1;
    for (int64_t d : shape) count *= d;
    std::vector<float> values(count);
    for (float& v : values) v = normal(rng);
    return values;
  };
  std::vector<NamedTensor> tensors = {
      f32_tensor("model.embed_tokens.weight", {vocab, dim}, random({vocab, dim})),
      f32_tensor("model.norm.weight", {dim}, random({dim})),
      f32_tensor("lm_head.weight", {vocab, dim}, random({vocab, dim}))};
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
             {"input_layernorm.weight", {dim}}, {"post_attention_layernorm.weight", {dim}},
             {"self_attn.q_proj.weight", {dim, dim}}, {"self_attn.k_proj.weight", {dim, dim}},
             {"self_attn.v_proj.weight", {dim, dim}}, {"self_attn.o_proj.weight", {dim, dim}},
             {"mlp.gate_proj.weight", {hidden, dim}}, {"mlp.up_proj.weight", {hidden, dim}},
             {"mlp.down_proj.weight", {dim, hidden}}})
      tensors.push_back(f32_tensor(p + name, shape, random(shape)));
  }
  write_json(tmp.file("config.json"), config);
  write_safetensors(tmp.file("model.safetensors"), tensors);

  converter::LlamaGraphOptions chunked;
  chunked.prefill_rows = 2;
  convert_hf(tmp.path(), tmp.file("big.eft"));
  convert_hf(tmp.path(), tmp.file("chunked.eft"), chunked);
  const std::vector<int32_t> prompt = {5, 76, 0, 33, 12, 12, 40};
  std::vector<std::vector<float>> results;
  for (const char* name : {"big.eft", "chunked.eft"}) {
    auto model = open_or_fail(tmp.file(name));
    EXPECT_EQ(model->info().max_context, 40);
    std::unique_ptr<Session> session;
    ASSERT_TRUE(Session::create(model, {}, &session).ok());
    ASSERT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
    results.emplace_back(session->logits(), session->logits() + vocab);
    session->reset();
    for (int32_t id : prompt) ASSERT_TRUE(session->decode(id).ok());
    results.emplace_back(session->logits(), session->logits() + vocab);
  }
  for (size_t r = 1; r < results.size(); ++r)
    for (int i = 0; i < vocab; ++i)
      EXPECT_NEAR(results[r][i], results[0][i], kChunkingTolerance * (1.0f + std::fabs(results[0][i]))) << r << " " << i;
  // The logits depend on the prompt (the model is not degenerate).
  auto model = open_or_fail(tmp.file("big.eft"));
  std::unique_ptr<Session> session;
  ASSERT_TRUE(Session::create(model, {}, &session).ok());
  const std::vector<int32_t> other = {6, 76, 0, 33, 12, 12, 40};
  ASSERT_TRUE(session->prefill(other.data(), other.size()).ok());
  EXPECT_NE(std::vector<float>(session->logits(), session->logits() + vocab), results[0]);
}

TEST(Synthetic, BuildsTheRequestedShape) {
  TempDir tmp;
  const auto ckpt = converter::synthetic_llama("llama:dim=48,layers=3,heads=6,kv_heads=2,ffn=100,vocab=300,context=64");
  EXPECT_EQ(ckpt.config.kv_heads, 2);
  converter::Graph graph = converter::build_llama_graph(ckpt, {});
  converter::write_eft(graph, tmp.file("s.eft"));
  auto model = open_or_fail(tmp.file("s.eft"));
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.layers, 3);
  EXPECT_EQ(info.hidden_size, 48);
  EXPECT_EQ(info.vocab_size, 300);
  EXPECT_EQ(info.max_context, 64);
  // embedding + classifier + per layer (q, o: 48x48; k, v: 16x48; 3 x 100x48; 2 norms) + final norm
  EXPECT_EQ(info.params, 2u * 300 * 48 + 3u * (2 * 48 * 48 + 2 * 16 * 48 + 3 * 100 * 48 + 2 * 48) + 48);
  std::unique_ptr<Session> session;
  ASSERT_TRUE(Session::create(model, {}, &session).ok());
  const std::vector<int32_t> prompt = {1, 5, 299};
  EXPECT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_EQ(model->bos_id(), 1);
}

TEST(Synthetic, BadSpecsAreErrors) {
  expect_convert_error([] { converter::synthetic_llama("bert:dim=8"); }, {"bert"});
  expect_convert_error([] { converter::synthetic_llama("llama:dim=x"); }, {"dim"});
  expect_convert_error([] { converter::synthetic_llama("llama:depth=3"); }, {"depth"});
  expect_convert_error([] { converter::synthetic_llama("llama:dim=50,heads=4"); }, {"heads"});
}

}  // namespace
}  // namespace edgeformer::testing
