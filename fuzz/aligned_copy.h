#pragma once
// Models are read in place through aligned loads, so fuzz inputs are copied to a 64-byte aligned buffer first
// (libFuzzer's own buffer has no such alignment).
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace edgeformer::fuzz {

class AlignedCopy {
 public:
  AlignedCopy(const uint8_t* data, size_t size)
      : data_(static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64 + 64))), size_(size) {
    if (size != 0) std::memcpy(data_, data, size);
  }
  ~AlignedCopy() { std::free(data_); }
  AlignedCopy(const AlignedCopy&) = delete;
  AlignedCopy& operator=(const AlignedCopy&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

}  // namespace edgeformer::fuzz
