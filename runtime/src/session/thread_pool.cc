#include "session/thread_pool.h"

#include <algorithm>

namespace edgeformer {

ThreadPool::ThreadPool(int threads) : threads_(threads) {
  if (threads > 1) pool_ = pthreadpool_create(static_cast<size_t>(threads));
  if (pool_ == nullptr) {
    threads_ = 1;
    return;
  }
  // New threads take a while to be scheduled the first time; pay that here, not in the first prefill.
  pthreadpool_parallelize_1d(pool_, [](void*, size_t) {}, nullptr, static_cast<size_t>(threads_), 0);
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

void ThreadPool::parallel_tiles(size_t range, size_t tile, pthreadpool_task_1d_tile_1d_t task, void* context) {
  if (pool_ == nullptr || range <= tile) {
    task(context, 0, range);
    return;
  }
  pthreadpool_parallelize_1d_tile_1d(pool_, task, context, range, tile, 0);
}

void ThreadPool::parallel_2d(size_t range_i, size_t range_j, size_t tile_j, pthreadpool_task_2d_tile_1d_t task,
                             void* context) {
  if (pool_ == nullptr) {
    for (size_t i = 0; i < range_i; ++i)
      for (size_t j = 0; j < range_j; j += tile_j) task(context, i, j, std::min(tile_j, range_j - j));
    return;
  }
  pthreadpool_parallelize_2d_tile_1d(pool_, task, context, range_i, range_j, tile_j, 0);
}

}  // namespace edgeformer
