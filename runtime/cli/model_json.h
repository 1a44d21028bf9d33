#pragma once
// A model's description as JSON: what `edgeformer inspect --json` prints and the Python package's inspect() returns.
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::cli {

// `issues`, when given, adds the weight check's findings (inspect --check).
std::string model_info_json(const Model& model, double load_ms, const std::vector<WeightIssue>* issues);

}  // namespace edgeformer::cli
