#pragma once
// Serializes a planned graph to an .eft file.
#include <string>

#include "graph/graph.h"

namespace edgeformer::converter {

constexpr uint32_t kFormatVersion = 2;
constexpr uint64_t kWeightAlignment = 64;

// Returns the number of bytes written.
uint64_t write_eft(Graph& graph, const std::string& path);

}  // namespace edgeformer::converter
