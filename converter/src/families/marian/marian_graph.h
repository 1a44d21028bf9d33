#pragma once
// Lowers a Marian checkpoint to the static graph of an .eft file: `encode` (the source: encoder output, and the
// cross-attention keys and values it stores for the decoder), then `prefill` / `decode` (the target, as a decoder
// model's, with logits over the vocabulary).
#include "families/marian/marian_checkpoint.h"
#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

Graph build_marian_graph(const MarianCheckpoint& checkpoint, const GraphOptions& options);

}  // namespace edgeformer::converter
