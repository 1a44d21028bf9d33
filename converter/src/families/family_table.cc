// The one list of model families. A new family is a folder under families/ whose <name>_family.cc makes its record
// (its sources listed in converter/CMakeLists.txt), then its declaration and its entry here.
#include "families/family.h"

namespace edgeformer::converter {

ModelFamily llama_family();
ModelFamily gpt2_family();
ModelFamily bert_family();
ModelFamily marian_family();

const std::vector<ModelFamily>& model_families() {
  // llama first: the default family. The order is also the one of the lists in error messages.
  static const std::vector<ModelFamily> families = {llama_family(), gpt2_family(), bert_family(), marian_family()};
  return families;
}

const ModelFamily* find_family(const std::string& model_type) {
  for (const ModelFamily& family : model_families())
    if (family.model_type == model_type) return &family;
  return nullptr;
}

const ModelFamily& default_family() { return model_families().front(); }

}  // namespace edgeformer::converter
