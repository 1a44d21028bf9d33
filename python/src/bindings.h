#pragma once
// The native module's parts, each in its own file: models, sessions and generation, conversion.
#include <pybind11/pybind11.h>

#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::python {

void bind_model(pybind11::module_& m);
void bind_session(pybind11::module_& m);
void bind_conversion(pybind11::module_& m);

// A list of {"role": "system" | "user" | "assistant", "content": str} dicts (InvalidArgumentError otherwise).
std::vector<ChatMessage> chat_messages(const pybind11::object& messages);

}  // namespace edgeformer::python
