#pragma once
// NumPy .npy files (format 1.0 / 2.0, C order, little-endian f32 / i32 / i64 / i8), for `edgeformer run`.
#include <cstdint>
#include <string>
#include <vector>

namespace edgeformer::cli {

struct NpyArray {
  std::string dtype;  // "<f4", "<i4", "<i8", "|i1"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

// Returns an empty string on success, else the reason.
std::string read_npy(const std::string& path, NpyArray* array);
// The same from bytes in memory; nothing is allocated beyond what the bytes hold.
std::string parse_npy(const uint8_t* data, size_t size, NpyArray* array);
std::string write_npy(const std::string& path, const NpyArray& array);

}  // namespace edgeformer::cli
