#pragma once
// Lowers a GPT-2 checkpoint to the static graph of an .eft file: entries `prefill` and `decode`, like LLaMA's.
#include "families/gpt2/gpt2_checkpoint.h"
#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

Graph build_gpt2_graph(const Gpt2Checkpoint& checkpoint, const GraphOptions& options);

}  // namespace edgeformer::converter
