// Fuzz target: the .npy reader of `edgeformer run` either refuses the bytes or returns an array whose data is
// exactly what its dtype and shape say; it never allocates more than the bytes could hold.
#include <cstdint>
#include <cstdlib>

#include "npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edgeformer::cli::NpyArray array;
  const std::string error = edgeformer::cli::parse_npy(data, size, &array);
  if (!error.empty()) return 0;
  size_t count = 1;
  for (int64_t d : array.shape) count *= static_cast<size_t>(d);
  const size_t element = array.dtype == "<i8" ? 8 : array.dtype == "|i1" ? 1 : 4;
  if (array.data.size() != count * element || array.data.size() > size) std::abort();
  return 0;
}
