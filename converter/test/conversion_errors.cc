#include "conversion_errors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "convert_error.h"

namespace edgeformer::testing {

namespace fs = std::filesystem;

void expect_convert_error(const std::function<void()>& convert, std::initializer_list<std::string> fragments) {
  try {
    convert();
    ADD_FAILURE() << "expected a ConvertError";
  } catch (const converter::ConvertError& e) {
    for (const std::string& fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "'" << fragment << "' not in: " << e.what();
  }
}

bool is_mapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const std::string name = fs::canonical(path).string();
  while (std::getline(maps, line))
    if (line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0) return true;
  return false;
}

}  // namespace edgeformer::testing
