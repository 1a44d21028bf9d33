// The Gemma families: Hugging Face GemmaForCausalLM (gemma), Gemma2ForCausalLM (gemma2) and Gemma3ForCausalLM, the
// text model of Gemma 3 (gemma3_text). The LLaMA layout with (1 + weight) norms, scaled embeddings and GeGLU; Gemma 2
// and 3 add output norms, query_pre_attn_scalar, soft-capping (Gemma 2), q and k norms (Gemma 3) and alternating
// sliding and global layers: LLaMA's reader and graph build them.
#include "families/family.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama_graph.h"

namespace edgeformer::converter {

ModelFamily gemma_family() {
  return make_family<LlamaCheckpoint>("gemma", read_hf_gemma, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

ModelFamily gemma2_family() {
  return make_family<LlamaCheckpoint>("gemma2", read_hf_gemma2, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

ModelFamily gemma3_text_family() {
  return make_family<LlamaCheckpoint>("gemma3_text", read_hf_gemma3_text, nullptr, nullptr, "", build_llama_graph,
                                      describe_llama_layout);
}

}  // namespace edgeformer::converter
