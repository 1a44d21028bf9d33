#include "npy.h"

#include <cstring>
#include <fstream>

namespace edgeformer::cli {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMaxHeader = 1 << 16;

size_t dtype_size(const std::string& dtype) {
  if (dtype == "<f4" || dtype == "<i4") return 4;
  if (dtype == "<i8") return 8;
  if (dtype == "|i1") return 1;
  return 0;
}

// The value of 'key' in the header's Python dict literal, up to the next top-level comma.
std::string header_value(const std::string& header, const std::string& key) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return "";
  size_t begin = header.find(':', at);
  if (begin == std::string::npos) return "";
  ++begin;
  int depth = 0;
  size_t end = begin;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' && depth == 0) || c == '}') break;
  }
  std::string value = header.substr(begin, end - begin);
  const size_t first = value.find_first_not_of(" ");
  const size_t last = value.find_last_not_of(" ");
  return first == std::string::npos ? "" : value.substr(first, last - first + 1);
}

}  // namespace

std::string read_npy(const std::string& path, NpyArray* array) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot open";
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 6) != 0) return path + ": not a .npy file";
  size_t header_length = 0;
  if (magic[6] == 1) {
    uint8_t b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) return path + ": truncated header";
    header_length = b[0] | (size_t(b[1]) << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    uint8_t b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) return path + ": truncated header";
    header_length = b[0] | (size_t(b[1]) << 8) | (size_t(b[2]) << 16) | (size_t(b[3]) << 24);
  } else {
    return path + ": unsupported .npy version " + std::to_string(int(magic[6]));
  }
  if (header_length > kMaxHeader) return path + ": header too long";
  std::string header(header_length, '\0');
  if (!in.read(&header[0], static_cast<std::streamsize>(header_length))) return path + ": truncated header";

  std::string descr = header_value(header, "descr");
  if (descr.size() < 2) return path + ": no dtype in header";
  array->dtype = descr.substr(1, descr.size() - 2);
  if (array->dtype == "<i1") array->dtype = "|i1";
  const size_t element = dtype_size(array->dtype);
  if (element == 0) return path + ": dtype " + array->dtype + " is not supported (f32, i32, i64, i8)";
  if (header_value(header, "fortran_order") != "False") return path + ": Fortran order is not supported";
  const std::string shape = header_value(header, "shape");
  array->shape.clear();
  size_t count = 1;
  for (size_t i = 0; i < shape.size();) {
    if (std::isdigit(static_cast<unsigned char>(shape[i]))) {
      size_t end = i;
      int64_t d = 0;
      while (end < shape.size() && std::isdigit(static_cast<unsigned char>(shape[end]))) {
        d = d * 10 + (shape[end] - '0');
        if (d > (int64_t{1} << 40)) return path + ": absurd dimension";
        ++end;
      }
      array->shape.push_back(d);
      if (d != 0 && count > (size_t{1} << 40) / static_cast<size_t>(d)) return path + ": array too large";
      count *= static_cast<size_t>(d);
      i = end;
    } else {
      ++i;
    }
  }
  array->data.resize(count * element);
  if (!array->data.empty() && !in.read(reinterpret_cast<char*>(array->data.data()),
                                       static_cast<std::streamsize>(array->data.size())))
    return path + ": truncated data (need " + std::to_string(array->data.size()) + " bytes)";
  return "";
}

std::string write_npy(const std::string& path, const NpyArray& array) {
  std::string header = "{'descr': '" + array.dtype + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < array.shape.size(); ++i) header += std::to_string(array.shape[i]) + ", ";
  if (array.shape.size() > 1) header.erase(header.size() - 1);
  header += "), }";
  // Pad so that the data starts on a 64-byte boundary, newline-terminated, as NumPy writes it.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return path + ": cannot create";
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const uint8_t length[2] = {static_cast<uint8_t>(header.size() & 0xff), static_cast<uint8_t>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(length), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(array.data.data()), static_cast<std::streamsize>(array.data.size()));
  return out ? "" : path + ": write failed";
}

}  // namespace edgeformer::cli
