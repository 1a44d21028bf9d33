#pragma once
#include <cstdint>
#include <memory>

#include "edgeformer/edgeformer.hpp"
#include "loader/model_impl.h"
#include "session/thread_pool.h"

namespace edgeformer {

constexpr size_t kOperatorTypes = static_cast<size_t>(schema::OperatorOptions::MAX) + 1;

class SessionImpl {
 public:
  SessionImpl(std::shared_ptr<const Model> model, int threads) : model_(std::move(model)), pool_(threads) {}
  ~SessionImpl();

  Status init(const SessionOptions& options);
  Status run_entry(const BoundEntry& entry, size_t rows);
  Status step(const BoundEntry& entry, const int32_t* tokens, size_t count);

  Status prefill(const int32_t* tokens, size_t count);
  Status decode(int32_t token);
  Status encode(const int32_t* tokens, const int32_t* token_types, const int32_t* mask, size_t count);
  Status copy_context(const SessionImpl& from);
  const float* logits() const;

  uint8_t* address(const BoundTensor& t) const;
  size_t rows_of(const BoundTensor& t, size_t rows) const { return t.dynamic_rows ? rows : size_t(t.shape[0]); }

  std::shared_ptr<const Model> model_;
  const LoadedModel* loaded_ = nullptr;  // the validated model that model_ keeps alive
  ThreadPool pool_;
  uint8_t* arena_ = nullptr;
  uint8_t* state_ = nullptr;
  bool owns_arena_ = false;
  const BoundEntry* prefill_ = nullptr;
  const BoundEntry* decode_ = nullptr;
  const BoundEntry* last_entry_ = nullptr;
  size_t last_rows_ = 0;
  size_t position_ = 0;
  size_t source_rows_ = 0;  // rows of the last encoded source (encoder-decoders keep it in state)
  size_t max_context_ = 0;
  size_t ring_rows_ = SIZE_MAX;  // the shortest sliding-window cache's rows
  int vocab_size_ = 0;
  // Indexed by operator type; fixed-size so that profiling allocates nothing while running.
  AttentionCapture capture_{};  // with its defaults resolved; used while capturing_
  bool capturing_ = false;
  bool profiling_ = false;
  uint64_t op_calls_[kOperatorTypes] = {};
  double op_seconds_[kOperatorTypes] = {};
};

}  // namespace edgeformer
