// Fuzz target: any bytes given to Model::open_buffer are either refused with a status or open into a model whose
// description can be read; the verifier and the semantic checks must never read outside the bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "aligned_copy.h"
#include "edgeformer/edgeformer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const edgeformer::fuzz::AlignedCopy bytes(data, size);
  std::shared_ptr<const edgeformer::Model> model;
  const edgeformer::Status status = edgeformer::Model::open_buffer(bytes.data(), bytes.size(), &model);
  if (!status.ok()) {
    if (status.message().empty()) std::abort();  // every refusal says why
    return 0;
  }
  const edgeformer::ModelInfo& info = model->info();
  if (info.entries.empty() || model->required_arena_bytes() < info.arena_bytes) std::abort();
  return 0;
}
