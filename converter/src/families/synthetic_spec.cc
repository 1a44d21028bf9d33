#include "families/synthetic_spec.h"

#include <cstdlib>
#include <sstream>

#include "convert_error.h"

namespace edgeformer::converter {

std::string synthetic_architecture(const std::string& spec) { return spec.substr(0, spec.find(':')); }

std::map<std::string, long> parse_synthetic_spec(const std::string& spec, std::map<std::string, long> values) {
  const size_t colon = spec.find(':');
  std::string keys;
  for (const auto& [key, value] : values) keys += (keys.empty() ? "" : ", ") + key;
  std::stringstream items(colon == std::string::npos ? "" : spec.substr(colon + 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || !values.count(key))
      throw ConvertError("--synthetic: '" + item + "' is not key=value with a key among " + keys);
    char* end = nullptr;
    const long value = std::strtol(item.c_str() + eq + 1, &end, 10);
    if (*end != '\0' || value <= 0 || value > (1L << 24))
      throw ConvertError("--synthetic: " + key + " must be a positive integer, found '" + item.substr(eq + 1) + "'");
    values[key] = value;
  }
  return values;
}

void check_synthetic_heads(const std::string& spec, long dim, long heads) {
  if (dim % heads != 0 || (dim / heads) % 2 != 0)
    throw ConvertError("--synthetic " + spec + ": dim must split into heads of an even size");
}

std::vector<float> synthetic_normal(std::mt19937& rng, size_t count) {
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

}  // namespace edgeformer::converter
