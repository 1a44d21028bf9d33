// The qwen2 family: Hugging Face Qwen2ForCausalLM folders (Qwen2, Qwen2.5). The LLaMA layout with q, k and v biases
// and, on the small models, tied embeddings: LLaMA's reader and graph build it.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

namespace {

std::string describe_qwen2(const LlamaCheckpoint& checkpoint, const Graph&) {
  const LlamaConfig& c = checkpoint.config;
  return "qwen2: dim " + std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) + ", layers " +
         std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", kv heads " +
         std::to_string(c.kv_heads) + ", head dim " + std::to_string(c.head_size()) + ", vocab " +
         std::to_string(c.vocab_size);
}

}  // namespace

ModelFamily qwen2_family() {
  return make_family<LlamaCheckpoint>("qwen2", read_hf_qwen2, nullptr, nullptr, "", build_llama_graph,
                                      describe_qwen2);
}

}  // namespace edgeformer::converter
