// The phi3 family: Hugging Face Phi3ForCausalLM folders (Phi-3 and Phi-3.5 mini, Phi-4-mini). The LLaMA layout with
// fused qkv and gate_up projections (split at conversion), partial rotary, LongRoPE and a sliding window: LLaMA's
// reader and graph build it.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

ModelFamily phi3_family() {
  return make_family<LlamaCheckpoint>("phi3", read_hf_phi3, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

}  // namespace edgeformer::converter
