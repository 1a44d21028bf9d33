// The qwen3 family: Hugging Face Qwen3ForCausalLM folders (dense Qwen3). The LLaMA layout with an RMSNorm of each
// head of q and of k before RoPE and an explicit head_dim: LLaMA's reader and graph build it.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

ModelFamily qwen3_family() {
  return make_family<LlamaCheckpoint>("qwen3", read_hf_qwen3, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

}  // namespace edgeformer::converter
