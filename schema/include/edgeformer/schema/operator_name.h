#pragma once
// The name of an operator type for people: the options table's name without its "Options" suffix.
#include <string>

#include "edgeformer/schema/edgeformer_generated.h"

namespace edgeformer::schema {

inline std::string operator_name(OperatorOptions type) {
  std::string name = EnumNameOperatorOptions(type);
  const std::string suffix = "Options";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name.empty() ? "Unknown" : name;
}

}  // namespace edgeformer::schema
