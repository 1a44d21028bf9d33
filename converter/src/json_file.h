#pragma once
// Reading the JSON files of Hugging Face folders, with errors that name the file.
#include <string>

#include <nlohmann/json.hpp>

namespace edgeformer::converter {

nlohmann::json read_json(const std::string& path);

}  // namespace edgeformer::converter
