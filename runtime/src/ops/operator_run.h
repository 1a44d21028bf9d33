#pragma once
// What run functions share: a call's tensors in the session's memory, and when work is worth the thread pool.
#include <algorithm>
#include <cstddef>

#include "ops/operator.h"
#include "session/session_impl.h"

namespace edgeformer {

// Below this many multiply-adds an operator runs on the calling thread: waking the pool costs more.
constexpr size_t kMinParallelMacs = size_t{1} << 15;

template <typename T>
T* tensor_data(SessionImpl& s, int id) {
  return reinterpret_cast<T*>(s.address(s.loaded_->tensors[id]));
}

inline const BoundTensor& bound_tensor(const SessionImpl& s, int id) { return s.loaded_->tensors[id]; }

}  // namespace edgeformer
