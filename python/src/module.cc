// edgeformer._edgeformer: the native half of the Python package, a thin layer over the C++ library (no second
// implementation of anything). Failures become the edgeformer.errors class of their status code.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "convert_error.h"
#include "status_error.h"

namespace py = pybind11;

namespace edgeformer::python {

namespace {

const char* error_class(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "InvalidArgumentError";
    case StatusCode::kInvalidModel: return "InvalidModelError";
    case StatusCode::kIoError: return "ModelIOError";
    case StatusCode::kOutOfRange: return "OutOfRangeError";
    case StatusCode::kOutOfMemory: return "OutOfMemoryError";
    case StatusCode::kUnsupported: return "UnsupportedError";
    default: return "InternalError";
  }
}

void raise(const char* class_name, const char* message) {
  const py::object error = py::module_::import("edgeformer.errors").attr(class_name);
  PyErr_SetString(error.ptr(), message);
}

}  // namespace

PYBIND11_MODULE(_edgeformer, m) {
  m.doc() = "edgeformer's native module; use the edgeformer package.";
  py::register_exception_translator([](std::exception_ptr failure) {
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const StatusError& e) {
      raise(error_class(e.code), e.what());
    } catch (const converter::ConvertError& e) {
      raise("ConversionError", e.what());
    }
  });
  bind_model(m);
  bind_session(m);
  bind_conversion(m);
}

}  // namespace edgeformer::python
