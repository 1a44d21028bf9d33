#pragma once
// Lowers a LLaMA checkpoint to the static graph of an .eft file: entries `prefill` and `decode`.
#include "families/llama/llama_checkpoint.h"
#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

Graph build_llama_graph(const LlamaCheckpoint& checkpoint, const GraphOptions& options);

}  // namespace edgeformer::converter
