// The gpt2 family: Hugging Face GPT-2 folders (GPT2Model, GPT2LMHeadModel) and --synthetic gpt2:...
#include "families/family.h"
#include "families/gpt2/gpt2_graph.h"
#include "families/gpt2/synthetic_gpt2.h"

namespace edgeformer::converter {

namespace {

std::string describe_gpt2(const Gpt2Checkpoint& checkpoint, const Graph&) {
  const Gpt2Config& c = checkpoint.config;
  return "gpt2: dim " + std::to_string(c.dim) + ", inner " + std::to_string(c.inner) + ", layers " +
         std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", positions " +
         std::to_string(c.positions) + ", vocab " + std::to_string(c.vocab_size);
}

}  // namespace

ModelFamily gpt2_family() {
  return make_family<Gpt2Checkpoint>("gpt2", read_hf_gpt2, nullptr, synthetic_gpt2,
                                     "gpt2:dim=768,layers=12,heads=12,ffn=3072,vocab=50257,context=1024",
                                     build_gpt2_graph, describe_gpt2);
}

}  // namespace edgeformer::converter
