#pragma once
// Lowers a LLaMA checkpoint to the static graph of an .eft file: entries `prefill` and `decode`.
#include "families/llama/llama_checkpoint.h"
#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

Graph build_llama_graph(const LlamaCheckpoint& checkpoint, const GraphOptions& options);

// The summary line of every family in this layout, e.g. "qwen2: dim 896, hidden 4864, ...": the shape, and what
// differs from plain LLaMA (head dim, rotary dim, sliding windows, rope_scaling).
std::string describe_llama_layout(const LlamaCheckpoint& checkpoint, const Graph& graph);

}  // namespace edgeformer::converter
