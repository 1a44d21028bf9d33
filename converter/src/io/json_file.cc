#include "io/json_file.h"

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

int special_id(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return -1;
  const nlohmann::json& value = config.at(key);
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_array() && !value.empty() && value[0].is_number_integer()) return value[0].get<int>();
  return -1;
}

}  // namespace edgeformer::converter
