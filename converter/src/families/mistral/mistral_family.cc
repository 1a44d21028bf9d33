// The mistral family: Hugging Face MistralForCausalLM folders. The LLaMA layout with a sliding window on every layer
// (Mistral 7B v0.1: 4096; v0.2 / v0.3 have none): LLaMA's reader and graph build it, the caches become rings.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

ModelFamily mistral_family() {
  return make_family<LlamaCheckpoint>("mistral", read_hf_mistral, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

}  // namespace edgeformer::converter
