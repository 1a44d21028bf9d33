#pragma once
// The files of test checkpoints, written here so that nothing needs Python: a small safetensors writer (F32, and
// F16 / BF16 through its own round-to-nearest-even encoders), JSON files and raw bytes.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgeformer::testing {

struct NamedTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// f32 -> bf16, round to nearest even (finite inputs).
uint16_t to_bf16(float value);

// f32 -> IEEE binary16, round to nearest even, with subnormals and overflow to infinity (finite inputs).
uint16_t to_f16(float value);

// `values` stored as `dtype`: F32, F16 or BF16.
NamedTensor make_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values,
                        const std::string& dtype = "F32");

// A one-dimensional F16 or BF16 tensor of the given bit patterns.
NamedTensor raw16_tensor(const std::string& name, const std::string& dtype, const std::vector<uint16_t>& bits);

// 8-byte little-endian header length, the JSON header (padded to 8 bytes with spaces), the raw data. A non-null
// `header` replaces the one the tensors describe, to write inconsistent files.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const nlohmann::json& header = nlohmann::json());

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
void write_json(const std::string& path, const nlohmann::json& value);
nlohmann::json read_json(const std::string& path);
std::string read_text(const std::string& path);

}  // namespace edgeformer::testing
