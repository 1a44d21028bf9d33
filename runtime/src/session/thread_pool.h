#pragma once
// A thin owner of a pthreadpool. One thread means no pool: work runs on the caller's thread.
#include <pthreadpool.h>

#include <cstddef>

namespace edgeformer {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Runs task(context, begin, count) over [0, range) in tiles of `tile`; inline when there is one tile.
  // Denormals are left alone so that any thread count computes the same bits.
  void parallel_tiles(size_t range, size_t tile, pthreadpool_task_1d_tile_1d_t task, void* context);
  // Runs task(context, i, j_begin, j_count) over [0, range_i) x [0, range_j), j in tiles of `tile_j`.
  void parallel_2d(size_t range_i, size_t range_j, size_t tile_j, pthreadpool_task_2d_tile_1d_t task, void* context);

 private:
  int threads_;
  pthreadpool_t pool_ = nullptr;
};

}  // namespace edgeformer
