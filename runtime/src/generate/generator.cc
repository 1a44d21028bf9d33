#include "edgeformer/edgeformer.hpp"

namespace edgeformer {

Generator::Generator(Session& session, const Model& model, const SamplerOptions& options)
    : session_(session), model_(model), sampler_(session.vocab_size(), options), bos_(model.bos_id()) {}

Status Generator::start(const int32_t* prompt, size_t count) {
  started_ = false;
  if (prompt == nullptr || count == 0) return Status(StatusCode::kInvalidArgument, "the prompt has no token");
  if (Status s = session_.prefill(prompt, count); !s.ok()) return s;
  previous_ = prompt[count - 1];
  started_ = true;
  first_ = true;
  return Status();
}

Status Generator::next(int32_t* token, Stop* stop) {
  if (token == nullptr || stop == nullptr) return Status(StatusCode::kInvalidArgument, "token or stop is null");
  if (!started_) return Status(StatusCode::kInvalidArgument, "start() the generation first");
  *stop = Stop::kNone;
  if (!first_) {
    if (session_.position() >= session_.max_context()) {
      *stop = Stop::kContext;
      return Status();
    }
    if (Status s = session_.decode(previous_); !s.ok()) return s;
  }
  first_ = false;
  const int32_t next = sampler_.sample(session_.logits());
  if (model_.is_stop_id(next) || next == bos_) {
    *stop = Stop::kEos;
    started_ = false;
    return Status();
  }
  *token = next;
  previous_ = next;
  return Status();
}

}  // namespace edgeformer
