#include "checkpoint_files.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace edgeformer::testing {

using nlohmann::json;

namespace {

json safetensors_header(const std::vector<NamedTensor>& tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  return header;
}

}  // namespace

uint16_t to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
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

NamedTensor make_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values,
                        const std::string& dtype) {
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

NamedTensor raw16_tensor(const std::string& name, const std::string& dtype, const std::vector<uint16_t>& bits) {
  NamedTensor t{name, dtype, {static_cast<int64_t>(bits.size())}, {}};
  for (uint16_t h : bits) {
    t.bytes.push_back(static_cast<uint8_t>(h & 0xff));
    t.bytes.push_back(static_cast<uint8_t>(h >> 8));
  }
  return t;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const json& header) {
  std::string text = (header.is_null() ? safetensors_header(tensors) : header).dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<uint8_t> bytes(8);
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(length >> (8 * i));
  bytes.insert(bytes.end(), text.begin(), text.end());
  for (const NamedTensor& t : tensors) bytes.insert(bytes.end(), t.bytes.begin(), t.bytes.end());
  write_bytes(path, bytes);
}

void write_json(const std::string& path, const json& value) { std::ofstream(path) << value.dump(2); }

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace edgeformer::testing
