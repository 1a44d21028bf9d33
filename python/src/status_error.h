#pragma once
// How a runtime or converter failure reaches Python: as the edgeformer.errors class of its status code, carrying
// the runtime's message (module.cc translates).
#include <stdexcept>
#include <string>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::python {

struct StatusError : std::runtime_error {
  StatusError(StatusCode code, const std::string& message) : std::runtime_error(message), code(code) {}
  StatusCode code;
};

inline void check(const Status& status) {
  if (!status.ok()) throw StatusError(status.code(), status.message());
}

[[noreturn]] inline void invalid_argument(const std::string& message) {
  throw StatusError(StatusCode::kInvalidArgument, message);
}

}  // namespace edgeformer::python
