// The qwen2 family: Hugging Face Qwen2ForCausalLM folders (Qwen2, Qwen2.5). The LLaMA layout with q, k and v biases
// and, on the small models, tied embeddings: LLaMA's reader and graph build it.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

ModelFamily qwen2_family() {
  return make_family<LlamaCheckpoint>("qwen2", read_hf_qwen2, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

}  // namespace edgeformer::converter
