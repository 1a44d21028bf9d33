#pragma once
// The native module's parts, each in its own file: models, sessions and generation, conversion.
#include <pybind11/pybind11.h>

namespace edgeformer::python {

void bind_model(pybind11::module_& m);
void bind_session(pybind11::module_& m);
void bind_conversion(pybind11::module_& m);

}  // namespace edgeformer::python
