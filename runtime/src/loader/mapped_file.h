#pragma once
// Read-only bytes of a model: a private read-only mapping of a file, or a caller's buffer (not owned).
#include <cstddef>
#include <cstdint>
#include <string>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  static Status map(const std::string& path, MappedFile* file);
  static MappedFile borrow(const void* data, size_t size);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false;
};

}  // namespace edgeformer
