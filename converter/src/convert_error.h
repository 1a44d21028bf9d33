#pragma once
#include <stdexcept>
#include <string>

namespace edgeformer::converter {

// The converter's one failure: a one-line message naming the file, the tensor or key, and expected vs found.
class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace edgeformer::converter
