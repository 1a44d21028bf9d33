// The marian family: Hugging Face MarianMTModel folders (the opus-mt translation models). It has no synthetic
// checkpoints.
#include "families/family.h"
#include "families/marian/marian_graph.h"

namespace edgeformer::converter {

namespace {

// Layers are encoder+decoder; the positions are the graph's (what --max-seq leaves of the sinusoidal table).
std::string describe_marian(const MarianCheckpoint& checkpoint, const Graph& graph) {
  const MarianConfig& c = checkpoint.config;
  return "marian: dim " + std::to_string(c.dim) + ", layers " + std::to_string(c.encoder_layers) + "+" +
         std::to_string(c.decoder_layers) + ", heads " + std::to_string(c.encoder_heads) + ", ffn " +
         std::to_string(c.encoder_ffn) + ", positions " + std::to_string(graph.max_context) + ", vocab " +
         std::to_string(c.vocab_size);
}

}  // namespace

ModelFamily marian_family() {
  return make_family<MarianCheckpoint>("marian", read_hf_marian, nullptr, nullptr, "", build_marian_graph,
                                       describe_marian);
}

}  // namespace edgeformer::converter
