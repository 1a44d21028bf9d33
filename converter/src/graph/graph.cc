#include "graph/graph.h"

#include <algorithm>

namespace edgeformer::converter {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::I8: return 1;
    case DType::I32: return 4;
    case DType::F16: return 2;
    case DType::I4: return 1;  // never planned: int4 weights are sized by their packing
  }
  return 0;
}

uint64_t Tensor::byte_size() const {
  uint64_t count = 1;
  for (int64_t d : shape) count *= static_cast<uint64_t>(d);
  return count * dtype_size(dtype);
}

int Graph::add_tensor(Tensor tensor) {
  tensors.push_back(std::move(tensor));
  return static_cast<int>(tensors.size() - 1);
}

uint64_t Graph::arena_bytes() const {
  uint64_t bytes = 0;
  for (const Entry& entry : entries) bytes = std::max(bytes, entry.arena_bytes);
  return bytes;
}

uint64_t Graph::weight_bytes() const {
  uint64_t bytes = 0;
  for (const Tensor& t : tensors)
    if (t.storage == Storage::Weight) bytes += t.data.size();
  return bytes;
}

}  // namespace edgeformer::converter
