#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace edgeformer::converter {

// Reads a whole file; throws ConvertError naming the path on failure.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace edgeformer::converter
