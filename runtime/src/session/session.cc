#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdlib>
#include <cstring>
#include <new>

#include <unistd.h>

#include "edgeformer/schema/entry_names.h"
#include "edgeformer/schema/operator_name.h"
#include "ops/operator.h"
#include "session/attention_capture.h"
#include "session/session_impl.h"

namespace edgeformer {

namespace {

namespace names = schema::names;

constexpr size_t kAlignment = 64;

size_t align_up(size_t value) { return (value + kAlignment - 1) / kAlignment * kAlignment; }

// An arena larger than the RAM can never be used: the default cap, so that a hostile model cannot make the
// session reserve (and the OS overcommit) terabytes.
size_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return SIZE_MAX;
  const uint64_t bytes = uint64_t(pages) * uint64_t(page_size);
  return bytes > SIZE_MAX ? SIZE_MAX : size_t(bytes);
}

// The entries the generation API drives: tokens in, logits [1, vocab] out.
bool is_language_model_entry(const LoadedModel& m, const BoundEntry* e) {
  if (e == nullptr || e->inputs.size() != 2 || e->outputs.size() != 1) return false;
  const BoundTensor &tokens = m.tensors[e->inputs[0]], &position = m.tensors[e->inputs[1]];
  const BoundTensor& logits = m.tensors[e->outputs[0]];
  return tokens.dtype == schema::DType::I32 && tokens.rank == 1 && tokens.dynamic_rows &&
         position.dtype == schema::DType::I32 && position.rank == 1 && !position.dynamic_rows &&
         logits.dtype == schema::DType::F32 && logits.rank == 2 && logits.shape[0] == 1 && !logits.dynamic_rows;
}

}  // namespace

SessionImpl::~SessionImpl() {
  if (owns_arena_) std::free(arena_);
}

uint8_t* SessionImpl::address(const BoundTensor& t) const {
  switch (t.storage) {
    case schema::Storage::Arena: return arena_ + t.offset;
    case schema::Storage::State: return state_ + t.offset;
    default: return const_cast<uint8_t*>(static_cast<const uint8_t*>(t.weight_data));
  }
}

Status SessionImpl::init(const SessionOptions& options) {
  loaded_ = &model_->impl();
  const size_t needed = model_->required_arena_bytes();
  const size_t cap = options.max_arena_bytes != 0 ? options.max_arena_bytes : physical_memory_bytes();
  if (needed > cap)
    return Status(StatusCode::kOutOfMemory, "the model needs an arena of " + std::to_string(needed) +
                                                " bytes, more than the cap of " + std::to_string(cap) +
                                                (options.max_arena_bytes != 0 ? " (max_arena_bytes)" : " (physical memory)"));
  if (options.arena != nullptr) {
    if (options.arena_bytes < needed)
      return Status(StatusCode::kInvalidArgument, "arena of " + std::to_string(options.arena_bytes) +
                                                      " bytes is smaller than the " + std::to_string(needed) +
                                                      " bytes the model needs");
    if (reinterpret_cast<uintptr_t>(options.arena) % kAlignment != 0)
      return Status(StatusCode::kInvalidArgument, "arena must be 64-byte aligned");
    arena_ = static_cast<uint8_t*>(options.arena);
  } else {
    arena_ = static_cast<uint8_t*>(std::aligned_alloc(kAlignment, std::max<size_t>(needed, kAlignment)));
    if (arena_ == nullptr)
      return Status(StatusCode::kOutOfMemory, "cannot allocate an arena of " + std::to_string(needed) + " bytes");
    owns_arena_ = true;
  }
  state_ = arena_ + align_up(loaded_->arena_bytes);
  // A fresh cache reads as zeros rather than as whatever the memory held (`run` may start at any position).
  std::memset(state_, 0, loaded_->state_bytes);
  prefill_ = loaded_->find_entry(names::kPrefill);
  decode_ = loaded_->find_entry(names::kDecode);
  if (!is_language_model_entry(*loaded_, prefill_)) prefill_ = nullptr;
  if (!is_language_model_entry(*loaded_, decode_)) decode_ = nullptr;
  if (decode_ != nullptr) vocab_size_ = static_cast<int>(loaded_->tensors[decode_->outputs[0]].shape[1]);
  // The context is as long as the shortest KV cache that is not a ring (a sliding window's); with rings only, the
  // model's.
  max_context_ = 0;
  ring_rows_ = SIZE_MAX;
  for (const BoundTensor& t : loaded_->tensors) {
    if (t.storage != schema::Storage::State) continue;
    if (t.ring)
      ring_rows_ = std::min(ring_rows_, size_t(t.shape[0]));
    else
      max_context_ = max_context_ == 0 ? size_t(t.shape[0]) : std::min(max_context_, size_t(t.shape[0]));
  }
  if (max_context_ == 0) max_context_ = size_t(std::clamp(loaded_->info.max_context, 0, INT32_MAX / 2));
  return Status();
}

Status SessionImpl::run_entry(const BoundEntry& entry, size_t rows) {
  if (rows < 1 || rows > static_cast<size_t>(entry.max_rows))
    return Status(StatusCode::kInvalidArgument, "entry '" + entry.name + "' takes 1.." +
                                                    std::to_string(entry.max_rows) + " rows, got " +
                                                    std::to_string(rows));
  for (const BoundOperator& op : entry.operators) {
    const auto start = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    if (Status s = op.type_info->run(*this, op, rows); !s.ok()) return s;
    if (profiling_) {
      const size_t type = static_cast<size_t>(op.type);
      ++op_calls_[type];
      op_seconds_[type] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  last_entry_ = &entry;
  last_rows_ = rows;
  return Status();
}

Status SessionImpl::step(const BoundEntry& entry, const int32_t* tokens, size_t count) {
  const BoundTensor& token_tensor = loaded_->tensors[entry.inputs[0]];
  std::memcpy(address(token_tensor), tokens, count * sizeof(int32_t));
  *reinterpret_cast<int32_t*>(address(loaded_->tensors[entry.inputs[1]])) = static_cast<int32_t>(position_);
  if (Status s = run_entry(entry, count); !s.ok()) return s;
  position_ += count;
  return Status();
}

Status SessionImpl::prefill(const int32_t* tokens, size_t count) {
  if (prefill_ == nullptr || decode_ == nullptr)
    return Status(StatusCode::kUnsupported, "this model has no prefill/decode entries");
  if (count == 0) return Status(StatusCode::kInvalidArgument, "prefill needs at least one token");
  if (tokens == nullptr) return Status(StatusCode::kInvalidArgument, "tokens is null");
  // Checked up front so that a prompt that cannot fit changes nothing (documented policy: an error, no sliding).
  if (count > max_context_ - position_)
    return Status(StatusCode::kOutOfRange, "context full: " + std::to_string(position_) + " + " +
                                               std::to_string(count) + " tokens exceed the context of " +
                                               std::to_string(max_context_));
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab_size_)
      return Status(StatusCode::kOutOfRange, "token id " + std::to_string(tokens[i]) +
                                                 " is outside the vocabulary [0, " + std::to_string(vocab_size_) + ")");
  // A capture too small fails before anything changes.
  for (AttentionKind kind : {AttentionKind::kDecoder, AttentionKind::kCross})
    if (Status s = check_capture_fits(*this, kind, position_ + count,
                                      kind == AttentionKind::kCross ? source_rows_ : position_ + count);
        !s.ok())
      return s;
  const size_t chunk = static_cast<size_t>(prefill_->max_rows);
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(chunk, count - done);
    if (Status s = step(n == 1 ? *decode_ : *prefill_, tokens + done, n); !s.ok()) return s;
    done += n;
  }
  return Status();
}

Status SessionImpl::decode(int32_t token) { return prefill(&token, 1); }

Status SessionImpl::encode(const int32_t* tokens, const int32_t* token_types, const int32_t* mask, size_t count) {
  const BoundEntry* entry = loaded_->find_entry(names::kEncode);
  if (entry == nullptr) return Status(StatusCode::kUnsupported, "this model has no encode entry (it is not an encoder)");
  if (tokens == nullptr) return Status(StatusCode::kInvalidArgument, "tokens is null");
  if (count == 0 || count > static_cast<size_t>(entry->max_rows))
    return Status(StatusCode::kOutOfRange, "encode takes 1.." + std::to_string(entry->max_rows) + " tokens, got " +
                                               std::to_string(count));
  if (Status s = check_capture_fits(*this, AttentionKind::kEncoder, count, count); !s.ok()) return s;
  // Inputs by name: tokens and mask always, token_types for models that have them (BERT).
  const size_t bytes = count * sizeof(int32_t);
  for (int id : entry->inputs) {
    const BoundTensor& t = loaded_->tensors[id];
    // Compared in place: the names' bytes are in the mapped file, and encode allocates nothing.
    const char* name = t.def->name() ? t.def->name()->c_str() : "";
    int32_t* rows = reinterpret_cast<int32_t*>(address(t));
    if (t.dtype != schema::DType::I32 || t.rank != 1 || !t.dynamic_rows)
      return Status(StatusCode::kUnsupported, std::string("encode input ") + name + " is not an i32 row per token");
    if (names::is_entry_tensor(name, names::kEncode, names::kTokens)) {
      std::memcpy(rows, tokens, bytes);
    } else if (names::is_entry_tensor(name, names::kEncode, names::kTokenTypes)) {
      if (token_types != nullptr)
        std::memcpy(rows, token_types, bytes);
      else
        std::fill(rows, rows + count, 0);
    } else if (names::is_entry_tensor(name, names::kEncode, names::kMask)) {
      if (mask != nullptr)
        std::memcpy(rows, mask, bytes);
      else
        std::fill(rows, rows + count, 1);
    } else {
      return Status(StatusCode::kUnsupported, std::string("encode input ") + name + " is not one the session knows");
    }
  }
  if (Status s = run_entry(*entry, count); !s.ok()) return s;
  // An encoder-decoder's target starts over with every source.
  position_ = 0;
  source_rows_ = count;
  return Status();
}

Status SessionImpl::copy_context(const SessionImpl& from) {
  if (from.loaded_ != loaded_) return Status(StatusCode::kInvalidArgument, "the sessions run different models");
  // Only the rows in use (positions of the KV caches, rows of a stored source), and one more: the zero that ends
  // the source's mask, in case this session held a longer source.
  const size_t used = std::max(from.position_, from.source_rows_) + 1;
  for (const BoundTensor& t : loaded_->tensors)
    if (t.storage == schema::Storage::State)
      std::memcpy(address(t), from.address(t), std::min<size_t>(used, size_t(t.shape[0])) * t.row_bytes);
  position_ = from.position_;
  source_rows_ = from.source_rows_;
  last_entry_ = nullptr;
  return Status();
}

const float* SessionImpl::logits() const {
  if (last_entry_ == nullptr || (last_entry_ != prefill_ && last_entry_ != decode_)) return nullptr;
  return reinterpret_cast<const float*>(address(loaded_->tensors[last_entry_->outputs[0]]));
}

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Status Session::create(std::shared_ptr<const Model> model, const SessionOptions& options,
                       std::unique_ptr<Session>* session) {
  if (model == nullptr || session == nullptr) return Status(StatusCode::kInvalidArgument, "model or session is null");
  if (options.threads < 1 || options.threads > 256)
    return Status(StatusCode::kInvalidArgument,
                  "threads must be 1..256, got " + std::to_string(options.threads));
  std::unique_ptr<SessionImpl> impl(new (std::nothrow) SessionImpl(std::move(model), options.threads));
  if (impl == nullptr) return Status(StatusCode::kOutOfMemory, "cannot allocate a session");
  if (Status s = impl->init(options); !s.ok()) return s;
  session->reset(new Session(std::move(impl)));
  return Status();
}

Status Session::prefill(const int32_t* tokens, size_t count) { return impl_->prefill(tokens, count); }
Status Session::decode(int32_t token) { return impl_->decode(token); }
Status Session::encode(const int32_t* tokens, const int32_t* token_types, const int32_t* mask, size_t count) {
  return impl_->encode(tokens, token_types, mask, count);
}
const float* Session::logits() const { return impl_->logits(); }
int Session::vocab_size() const { return impl_->vocab_size_; }
size_t Session::position() const { return impl_->position_; }
size_t Session::max_context() const { return impl_->max_context_; }
Status Session::copy_context_from(const Session& other) {
  if (&other == this) return Status();
  return impl_->copy_context(*other.impl_);
}

Status Session::rewind(size_t position) {
  if (position > impl_->position_)
    return Status(StatusCode::kOutOfRange, "cannot rewind to position " + std::to_string(position) +
                                               ", the context holds " + std::to_string(impl_->position_));
  // A ring that has wrapped has overwritten rows the shorter context needs.
  if (position < impl_->position_ && impl_->position_ > impl_->ring_rows_)
    return Status(StatusCode::kUnsupported, "the sliding-window caches have wrapped: reset and prefill instead");
  impl_->position_ = position;
  if (position == 0) impl_->last_entry_ = nullptr;
  return Status();
}

void Session::reset() {
  impl_->position_ = 0;
  impl_->last_entry_ = nullptr;
}

void Session::set_profiling(bool on) { impl_->profiling_ = on; }

std::vector<Session::OperatorTime> Session::profile() const {
  std::vector<OperatorTime> times;
  for (size_t type = 0; type < kOperatorTypes; ++type)
    if (impl_->op_calls_[type] > 0)
      times.push_back({schema::operator_name(static_cast<schema::OperatorOptions>(type)), impl_->op_calls_[type],
                       impl_->op_seconds_[type]});
  return times;
}

void Session::reset_profile() {
  std::fill(std::begin(impl_->op_calls_), std::end(impl_->op_calls_), 0);
  std::fill(std::begin(impl_->op_seconds_), std::end(impl_->op_seconds_), 0.0);
}

Status Session::run(const std::string& entry, size_t rows) {
  const BoundEntry* e = impl_->loaded_->find_entry(entry);
  if (e == nullptr) return Status(StatusCode::kInvalidArgument, "no entry named '" + entry + "'");
  return impl_->run_entry(*e, rows);
}

namespace {

const BoundTensor* find_tensor(const LoadedModel& m, const std::vector<int>& ids, const std::string& name) {
  for (int id : ids) {
    const BoundTensor& t = m.tensors[id];
    const std::string full = t.def->name() ? t.def->name()->str() : std::string();
    // Entry tensors are named "entry/name"; either form is accepted.
    const size_t slash = full.find('/');
    if (full == name || (slash != std::string::npos && full.compare(slash + 1, std::string::npos, name) == 0))
      return &t;
  }
  return nullptr;
}

}  // namespace

Status Session::input(const std::string& entry, const std::string& name, void** data, size_t* bytes) {
  const BoundEntry* e = impl_->loaded_->find_entry(entry);
  if (e == nullptr) return Status(StatusCode::kInvalidArgument, "no entry named '" + entry + "'");
  const BoundTensor* t = find_tensor(*impl_->loaded_, e->inputs, name);
  if (t == nullptr) return Status(StatusCode::kInvalidArgument, "entry '" + entry + "' has no input '" + name + "'");
  *data = impl_->address(*t);
  *bytes = t->bytes;
  return Status();
}

Status Session::output(const std::string& entry, const std::string& name, const void** data, size_t* bytes) const {
  const BoundEntry* e = impl_->loaded_->find_entry(entry);
  if (e == nullptr) return Status(StatusCode::kInvalidArgument, "no entry named '" + entry + "'");
  const BoundTensor* t = find_tensor(*impl_->loaded_, e->outputs, name);
  if (t == nullptr) return Status(StatusCode::kInvalidArgument, "entry '" + entry + "' has no output '" + name + "'");
  // Outputs are only current for the entry that ran last (entries share the arena).
  if (e != impl_->last_entry_)
    return Status(StatusCode::kInvalidArgument, "entry '" + entry + "' is not the one that ran last");
  *data = impl_->address(*t);
  *bytes = impl_->rows_of(*t, impl_->last_rows_) * t->row_bytes;
  return Status();
}

std::vector<int64_t> Session::output_shape(const std::string& entry, const std::string& name) const {
  const BoundEntry* e = impl_->loaded_->find_entry(entry);
  const BoundTensor* t = e ? find_tensor(*impl_->loaded_, e->outputs, name) : nullptr;
  if (t == nullptr || e != impl_->last_entry_) return {};
  std::vector<int64_t> shape(t->shape, t->shape + t->rank);
  shape[0] = static_cast<int64_t>(impl_->rows_of(*t, impl_->last_rows_));
  return shape;
}

}  // namespace edgeformer
