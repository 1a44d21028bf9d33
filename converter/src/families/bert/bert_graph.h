#pragma once
// Lowers a BERT checkpoint to the static graph of an .eft file: one entry, `encode`.
#include "families/bert/bert_checkpoint.h"
#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

// `encode` takes one sequence of up to max_context tokens (default: the model's positions, or the
// sentence-transformers max_seq_length): inputs tokens, token_types and mask ([rows] i32); outputs `hidden`
// [rows, dim] and the model's head: `embedding` (sentence-transformers), else `pooled` (the pooler) and `logits`
// (a sequence classifier).
Graph build_bert_graph(const BertCheckpoint& checkpoint, const GraphOptions& options);

}  // namespace edgeformer::converter
