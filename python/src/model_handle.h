#pragma once
// A Python Model: the shared C++ model (null once closed; the sessions made from it keep it alive) and how long
// opening it took.
#include <memory>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::python {

struct ModelHandle {
  std::shared_ptr<const Model> model;
  double load_ms = 0;
  // The model, or InvalidArgumentError once closed.
  const std::shared_ptr<const Model>& get() const;
};

}  // namespace edgeformer::python
