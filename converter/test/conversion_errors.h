#pragma once
// What the converter's tests expect of a refused input.
#include <functional>
#include <initializer_list>
#include <string>

namespace edgeformer::testing {

// Errors name the file and the key or tensor, and expected vs found: every fragment must be in what().
void expect_convert_error(const std::function<void()>& convert, std::initializer_list<std::string> fragments);

// True when the process has `path` memory-mapped (Linux: /proc/self/maps): a rejected file must not stay mapped.
bool is_mapped(const std::string& path);

}  // namespace edgeformer::testing
