#pragma once
// Safetensors files (an 8-byte little-endian header length, a JSON header, raw little-endian data), single or
// sharded through model.safetensors.index.json. Files are memory-mapped; tensors are read out as f32.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace edgeformer::converter {

class SafetensorsFile;

class SafetensorsSet {
 public:
  // `folder` holds model.safetensors, or model.safetensors.index.json and its shards.
  static SafetensorsSet open_folder(const std::string& folder);
  ~SafetensorsSet();
  SafetensorsSet(SafetensorsSet&&) noexcept;

  bool contains(const std::string& name) const;
  std::vector<int64_t> shape(const std::string& name) const;
  // F32, F16 and BF16 become f32; the shape must equal `expected_shape` or ConvertError names both.
  std::vector<float> read_f32(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  std::vector<std::string> names() const;

 private:
  SafetensorsSet() = default;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::pair<size_t, size_t>> index_;  // name -> (file, entry in file)
};

}  // namespace edgeformer::converter
