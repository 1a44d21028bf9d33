#pragma once
// Lowers a LLaMA checkpoint to the static graph of an .eft file: entries `prefill` and `decode`.
#include "graph.h"
#include "graph_options.h"
#include "llama_checkpoint.h"

namespace edgeformer::converter {

Graph build_llama_graph(const LlamaCheckpoint& checkpoint, const GraphOptions& options);

}  // namespace edgeformer::converter
