#include "io/file_bytes.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "convert_error.h"

namespace edgeformer::converter {

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ConvertError(path + ": cannot open (" + std::strerror(errno) + ")");
  const std::streamsize size = in.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw ConvertError(path + ": read failed");
  return bytes;
}

}  // namespace edgeformer::converter
