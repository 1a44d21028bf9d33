#include "json_file.h"

#include <fstream>

#include "convert_error.h"

namespace edgeformer::converter {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConvertError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw ConvertError(path + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace edgeformer::converter
