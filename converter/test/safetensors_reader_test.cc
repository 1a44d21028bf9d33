// The safetensors reader on broken stories260K folders: sharded indexes that name a missing shard or tensor or
// escape the folder, and corrupt files (header lengths, data offsets, malformed headers), each refused with the
// file named and nothing left mapped.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "checkpoint_files.h"
#include "conversion_errors.h"
#include "io/file_bytes.h"
#include "stories260k_variants.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_F(Stories260kVariants, ShardedErrorsNameTheShard) {
  auto sharded = [&](const std::string& name, const json& weight_map, bool drop_tensor) {
    const std::string folder = tmp_.file(name);
    fs::create_directories(folder);
    std::vector<NamedTensor> all;
    for (const Source& s : tensors_)
      if (!drop_tensor || s.name != "model.layers.3.mlp.up_proj.weight") all.push_back(make_tensor(s.name, s.shape, s.values));
    const std::vector<NamedTensor> first(all.begin(), all.begin() + all.size() / 2), second(all.begin() + all.size() / 2, all.end());
    write_safetensors(folder + "/model-00001-of-00002.safetensors", first);
    write_safetensors(folder + "/model-00002-of-00002.safetensors", second);
    write_json(folder + "/model.safetensors.index.json", {{"weight_map", weight_map}});
    write_json(folder + "/config.json", config_);
    return folder;
  };
  json weight_map = json::object();
  for (size_t i = 0; i < tensors_.size(); ++i)
    weight_map[tensors_[i].name] = i < tensors_.size() / 2 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";

  // The index names a shard that is not there.
  json ghost = weight_map;
  ghost["model.norm.weight"] = "model-00003-of-00003.safetensors";
  const std::string ghost_folder = sharded("ghost", ghost, false);
  expect_convert_error([&] { convert(ghost_folder); }, {"model-00003-of-00003.safetensors", "cannot open"});

  // A tensor of the index is in no shard.
  const std::string dropped = sharded("dropped", weight_map, true);
  expect_convert_error([&] { convert(dropped); }, {"missing tensor model.layers.3.mlp.up_proj.weight"});

  // The index escapes the folder.
  json escape = weight_map;
  escape["model.norm.weight"] = "../model.safetensors";
  const std::string escape_folder = sharded("escape", escape, false);
  expect_convert_error([&] { convert(escape_folder); }, {"model.safetensors.index.json", "../model.safetensors", "plain file name"});

  // The index is not JSON, or has no weight_map.
  const std::string bad_index = sharded("bad-index", weight_map, false);
  std::ofstream(bad_index + "/model.safetensors.index.json", std::ios::trunc) << "{\"weight_map\": ";
  expect_convert_error([&] { convert(bad_index); }, {"bad-index/model.safetensors.index.json", "malformed index"});
  const std::string no_map = sharded("no-map", weight_map, false);
  write_json(no_map + "/model.safetensors.index.json", {{"metadata", json::object()}});
  expect_convert_error([&] { convert(no_map); }, {"no-map/model.safetensors.index.json", "weight_map"});
}

TEST_F(Stories260kVariants, CorruptSafetensorsAreErrors) {
  const std::string folder = write_folder("corrupt", "F32");
  const std::string file = folder + "/model.safetensors";
  const std::vector<uint8_t> bytes = converter::read_file_bytes(file);
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  const json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_length);

  // Header length larger than the file.
  std::vector<uint8_t> huge_header = bytes;
  const uint64_t too_long = bytes.size();
  std::memcpy(huge_header.data(), &too_long, 8);
  write_bytes(file, huge_header);
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "header of " + std::to_string(too_long) + " bytes exceeds the file"});
  EXPECT_FALSE(is_mapped(file)) << "a rejected file stays mapped";

  // Header length far beyond any file (an overflow when added to 8).
  std::vector<uint8_t> wrapped = bytes;
  const uint64_t wraps = ~uint64_t(0) - 3;
  std::memcpy(wrapped.data(), &wraps, 8);
  write_bytes(file, wrapped);
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "exceeds the file"});

  // One tensor's data offsets point past the end of the file.
  json bad_offsets = header;
  const uint64_t data_size = bytes.size() - 8 - header_length;
  bad_offsets["model.norm.weight"]["data_offsets"] = {data_size, data_size + 256};
  std::vector<NamedTensor> data = {{"data", "U8", {int64_t(data_size)}, std::vector<uint8_t>(bytes.begin() + 8 + header_length, bytes.end())}};
  write_safetensors(file, data, bad_offsets);
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "tensor model.norm.weight",
                                                  "[" + std::to_string(data_size) + ", " + std::to_string(data_size + 256) + ")",
                                                  "outside the file"});
  EXPECT_FALSE(is_mapped(file)) << "a rejected file stays mapped";

  // Reversed offsets.
  json reversed = header;
  reversed["model.norm.weight"]["data_offsets"] = {256, 0};
  write_safetensors(file, data, reversed);
  expect_convert_error([&] { convert(folder); }, {"tensor model.norm.weight", "[256, 0)", "outside the file"});

  // Data cut in half: the offsets of the later tensors lie past the end.
  write_bytes(file, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "outside the file"});

  // A header entry without data_offsets, a header that is not JSON, a file shorter than its length field.
  json malformed = header;
  malformed["model.norm.weight"].erase("data_offsets");
  write_safetensors(file, data, malformed);
  expect_convert_error([&] { convert(folder); }, {"tensor model.norm.weight", "malformed header entry"});
  std::vector<uint8_t> garbage = bytes;
  garbage[8] = '#';
  write_bytes(file, garbage);
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "header is not JSON"});
  EXPECT_FALSE(is_mapped(file)) << "a rejected file stays mapped";
  write_bytes(file, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 5));
  expect_convert_error([&] { convert(folder); }, {"corrupt/model.safetensors", "5 bytes is too small"});
}

}  // namespace
}  // namespace edgeformer::testing
