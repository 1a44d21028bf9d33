// The qwen3 family: Hugging Face Qwen3ForCausalLM folders (dense Qwen3). The LLaMA layout with an RMSNorm of each
// head of q and of k before RoPE and an explicit head_dim: LLaMA's reader and graph build it.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

namespace {

std::string describe_qwen3(const LlamaCheckpoint& checkpoint, const Graph&) {
  const LlamaConfig& c = checkpoint.config;
  return "qwen3: dim " + std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) + ", layers " +
         std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", kv heads " +
         std::to_string(c.kv_heads) + ", head dim " + std::to_string(c.head_size()) + ", vocab " +
         std::to_string(c.vocab_size);
}

}  // namespace

ModelFamily qwen3_family() {
  return make_family<LlamaCheckpoint>("qwen3", read_hf_qwen3, nullptr, nullptr, "", build_llama_graph,
                                      describe_qwen3);
}

}  // namespace edgeformer::converter
