#include "io/safetensors_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "convert_error.h"

namespace edgeformer::converter {

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      exponent = 127 - 15 + 1;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bf16_to_f32(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

struct TensorEntry {
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // relative to the data section
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(std::string path) : path_(std::move(path)) {
    const int fd = ::open(path_.c_str(), O_RDONLY);
    if (fd < 0) throw ConvertError(path_ + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw ConvertError(path_ + ": cannot stat (" + std::strerror(errno) + ")");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ < 8) {
      ::close(fd);
      throw ConvertError(path_ + ": " + std::to_string(size_) + " bytes is too small for a safetensors file");
    }
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) throw ConvertError(path_ + ": mmap failed (" + std::strerror(errno) + ")");
    data_ = static_cast<const uint8_t*>(mapped);
    try {
      parse_header();
    } catch (...) {  // the destructor does not run when the constructor throws: unmap here
      ::munmap(mapped, size_);
      throw;
    }
  }
  ~SafetensorsFile() { ::munmap(const_cast<uint8_t*>(data_), size_); }

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorEntry>& entries() const { return entries_; }
  const uint8_t* data(const TensorEntry& entry) const { return data_ + data_begin_ + entry.begin; }

 private:
  void parse_header() {
    uint64_t header_size;
    std::memcpy(&header_size, data_, 8);
    if (header_size > size_ - 8)
      throw ConvertError(path_ + ": header of " + std::to_string(header_size) + " bytes exceeds the file");
    data_begin_ = 8 + header_size;
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(data_ + 8, data_ + 8 + header_size);
    } catch (const std::exception& e) {
      throw ConvertError(path_ + ": header is not JSON (" + e.what() + ")");
    }
    for (auto& [name, value] : header.items()) {
      if (name == "__metadata__") continue;
      TensorEntry entry;
      try {
        entry.dtype = value.at("dtype").get<std::string>();
        entry.shape = value.at("shape").get<std::vector<int64_t>>();
        entry.begin = value.at("data_offsets").at(0).get<uint64_t>();
        entry.end = value.at("data_offsets").at(1).get<uint64_t>();
      } catch (const std::exception& e) {
        throw ConvertError(path_ + ": tensor " + name + " has a malformed header entry (" + e.what() + ")");
      }
      if (entry.begin > entry.end || entry.end > size_ - data_begin_)
        throw ConvertError(path_ + ": tensor " + name + " data [" + std::to_string(entry.begin) + ", " +
                           std::to_string(entry.end) + ") lies outside the file");
      entries_.emplace(name, std::move(entry));
    }
  }

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint64_t data_begin_ = 0;
  std::map<std::string, TensorEntry> entries_;
};

SafetensorsSet::~SafetensorsSet() = default;
SafetensorsSet::SafetensorsSet(SafetensorsSet&&) noexcept = default;

SafetensorsSet SafetensorsSet::open_folder(const std::string& folder) {
  namespace fs = std::filesystem;
  SafetensorsSet set;
  std::vector<std::string> shard_names;
  const fs::path index_path = fs::path(folder) / "model.safetensors.index.json";
  if (fs::exists(fs::path(folder) / "model.safetensors")) {
    shard_names.push_back("model.safetensors");
  } else if (fs::exists(index_path)) {
    std::ifstream in(index_path);
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(in);
      std::set<std::string> unique;
      for (auto& [name, shard] : index.at("weight_map").items()) unique.insert(shard.get<std::string>());
      shard_names.assign(unique.begin(), unique.end());
    } catch (const std::exception& e) {
      throw ConvertError(index_path.string() + ": malformed index (" + e.what() + ")");
    }
  } else {
    throw ConvertError(folder + ": no model.safetensors or model.safetensors.index.json");
  }
  for (const std::string& shard : shard_names) {
    if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
      throw ConvertError(index_path.string() + ": shard name '" + shard + "' must be a plain file name");
    set.files_.push_back(std::make_unique<SafetensorsFile>((fs::path(folder) / shard).string()));
    const size_t file = set.files_.size() - 1;
    for (const auto& [name, entry] : set.files_.back()->entries()) set.index_[name] = {file, 0};
  }
  return set;
}

bool SafetensorsSet::contains(const std::string& name) const { return index_.count(name) != 0; }

std::vector<std::string> SafetensorsSet::names() const {
  std::vector<std::string> names;
  for (const auto& [name, location] : index_) names.push_back(name);
  return names;
}

std::vector<int64_t> SafetensorsSet::shape(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw ConvertError("missing tensor " + name);
  return files_[it->second.first]->entries().at(name).shape;
}

std::vector<float> SafetensorsSet::read_f32(const std::string& name, const std::vector<int64_t>& expected) const {
  const auto it = index_.find(name);
  if (it == index_.end())
    throw ConvertError((files_.empty() ? std::string("safetensors") : files_[0]->path()) + ": missing tensor " +
                       name + " (expected shape " + shape_string(expected) + ")");
  const SafetensorsFile& file = *files_[it->second.first];
  const TensorEntry& entry = file.entries().at(name);
  if (entry.shape != expected)
    throw ConvertError(file.path() + ": tensor " + name + " has shape " + shape_string(entry.shape) +
                       ", expected " + shape_string(expected));
  size_t count = 1;
  for (int64_t d : expected) count *= static_cast<size_t>(d);
  size_t element_size;
  if (entry.dtype == "F32") element_size = 4;
  else if (entry.dtype == "F16" || entry.dtype == "BF16") element_size = 2;
  else
    throw ConvertError(file.path() + ": tensor " + name + " has dtype " + entry.dtype +
                       ", supported are F32, F16, BF16");
  if (entry.end - entry.begin != count * element_size)
    throw ConvertError(file.path() + ": tensor " + name + " holds " + std::to_string(entry.end - entry.begin) +
                       " bytes, its shape and dtype need " + std::to_string(count * element_size));
  std::vector<float> values(count);
  const uint8_t* src = file.data(entry);
  if (entry.dtype == "F32") {
    std::memcpy(values.data(), src, count * 4);
  } else {
    for (size_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      values[i] = entry.dtype == "F16" ? f16_to_f32(h) : bf16_to_f32(h);
    }
  }
  return values;
}

}  // namespace edgeformer::converter
