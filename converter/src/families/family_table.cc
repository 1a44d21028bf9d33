// The one list of model families: a new family is a folder under families/ whose <name>_family.cc defines
// <name>_family(), and its line here. llama comes first: the default family (llama2.c files); the order is also the
// one of the lists in messages and in the usage text.
#include "families/family.h"

#define EDGEFORMER_MODEL_FAMILIES(FAMILY) \
  FAMILY(llama)                           \
  FAMILY(gpt2)                            \
  FAMILY(qwen2)                           \
  FAMILY(qwen3)                           \
  FAMILY(mistral)                         \
  FAMILY(phi3)                            \
  FAMILY(gemma)                           \
  FAMILY(gemma2)                          \
  FAMILY(gemma3_text)                     \
  FAMILY(bert)                            \
  FAMILY(marian)

namespace edgeformer::converter {

#define EDGEFORMER_DECLARE_FAMILY(name) ModelFamily name##_family();
EDGEFORMER_MODEL_FAMILIES(EDGEFORMER_DECLARE_FAMILY)
#undef EDGEFORMER_DECLARE_FAMILY

const std::vector<ModelFamily>& model_families() {
#define EDGEFORMER_LIST_FAMILY(name) name##_family(),
  static const std::vector<ModelFamily> families = {EDGEFORMER_MODEL_FAMILIES(EDGEFORMER_LIST_FAMILY)};
#undef EDGEFORMER_LIST_FAMILY
  return families;
}

const ModelFamily* find_family(const std::string& model_type) {
  for (const ModelFamily& family : model_families())
    if (family.model_type == model_type) return &family;
  return nullptr;
}

const ModelFamily& default_family() { return model_families().front(); }

}  // namespace edgeformer::converter
