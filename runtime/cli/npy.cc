#include "npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>

namespace edgeformer::cli {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMaxHeader = 1 << 16;
constexpr int64_t kMaxDimension = int64_t{1} << 40;

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

// The dimensions of a Python tuple literal such as "(2, 3)", "(5,)" or "()"; false if it is not one.
bool parse_shape(const std::string& text, std::vector<int64_t>* shape) {
  shape->clear();
  size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  if (text.empty() || text[i++] != '(') return false;
  for (;;) {
    skip_spaces();
    if (i < text.size() && text[i] == ')') return i + 1 == text.size();
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    int64_t d = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      d = d * 10 + (text[i] - '0');
      if (d > kMaxDimension) return false;
    }
    shape->push_back(d);
    skip_spaces();
    if (i < text.size() && text[i] == ',') ++i;
    else if (i >= text.size() || text[i] != ')') return false;
  }
}

}  // namespace

std::string parse_npy(const uint8_t* data, size_t size, NpyArray* array) {
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) return "not a .npy file";
  const uint8_t version = data[6];
  size_t header_length = 0, header_begin = 0;
  if (version == 1) {
    header_length = data[8] | (size_t(data[9]) << 8);
    header_begin = 10;
  } else if (version == 2 || version == 3) {
    if (size < 12) return "truncated header";
    header_length = data[8] | (size_t(data[9]) << 8) | (size_t(data[10]) << 16) | (size_t(data[11]) << 24);
    header_begin = 12;
  } else {
    return "unsupported .npy version " + std::to_string(int(version));
  }
  if (header_length > kMaxHeader) return "header too long";
  if (header_length > size - header_begin) return "truncated header";
  const std::string header(reinterpret_cast<const char*>(data + header_begin), header_length);

  std::string descr = header_value(header, "descr");
  if (descr.size() < 2) return "no dtype in header";
  array->dtype = descr.substr(1, descr.size() - 2);
  if (array->dtype == "<i1") array->dtype = "|i1";
  const size_t element = dtype_size(array->dtype);
  if (element == 0) return "dtype " + array->dtype + " is not supported (f32, i32, i64, i8)";
  if (header_value(header, "fortran_order") != "False") return "Fortran order is not supported";
  if (!parse_shape(header_value(header, "shape"), &array->shape)) return "the shape is not a tuple of sizes";
  // The element count is checked against the bytes present before anything is allocated.
  const size_t available = size - header_begin - header_length;
  const bool empty = std::find(array->shape.begin(), array->shape.end(), 0) != array->shape.end();
  uint64_t bytes = empty ? 0 : element;
  for (int64_t d : array->shape) {
    if (bytes > available / static_cast<uint64_t>(std::max<int64_t>(d, 1)))
      return "truncated data (the shape needs more than the " + std::to_string(available) + " bytes present)";
    bytes *= static_cast<uint64_t>(d);
  }
  if (bytes > available) return "truncated data (need " + std::to_string(bytes) + " bytes)";
  const uint8_t* payload = data + header_begin + header_length;
  array->data.assign(payload, payload + bytes);
  return "";
}

std::string read_npy(const std::string& path, NpyArray* array) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot open";
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return path + ": read failed";
  const std::string error = parse_npy(bytes.data(), bytes.size(), array);
  return error.empty() ? "" : path + ": " + error;
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
