#pragma once
// Reading the JSON files of Hugging Face folders, with errors that name the file.
#include <string>

#include <nlohmann/json.hpp>

#include "convert_error.h"

namespace edgeformer::converter {

nlohmann::json read_json(const std::string& path);

// A config.json value, with errors that name the file and the key.
template <typename T>
T config_value(const nlohmann::json& config, const std::string& path, const char* key) {
  if (!config.contains(key)) throw ConvertError(path + ": missing key \"" + key + "\"");
  try {
    return config.at(key).get<T>();
  } catch (const std::exception&) {
    throw ConvertError(path + ": key \"" + key + "\" has an unexpected type: " + config.at(key).dump());
  }
}

template <typename T>
T config_value_or(const nlohmann::json& config, const std::string& path, const char* key, T fallback) {
  if (!config.contains(key) || config.at(key).is_null()) return fallback;
  return config_value<T>(config, path, key);
}

// A special token id from config.json; some models list several end-of-sequence ids, the first is kept.
int special_id(const nlohmann::json& config, const char* key);

}  // namespace edgeformer::converter
