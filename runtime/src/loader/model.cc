#include <algorithm>
#include <new>

#include "loader/model_impl.h"
#include "tokenizer/tokenizer.h"

namespace edgeformer {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kI8: return "i8";
    case DType::kI32: return "i32";
  }
  return "?";
}

Model::Model(std::unique_ptr<LoadedModel> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

namespace {

Status finish_open(MappedFile file, std::shared_ptr<const Model>* model,
                   Model* (*make)(std::unique_ptr<LoadedModel>)) {
  std::unique_ptr<LoadedModel> impl(new (std::nothrow) LoadedModel());
  if (impl == nullptr) return Status(StatusCode::kOutOfMemory, "cannot allocate the model");
  if (Status s = load_model(std::move(file), impl.get()); !s.ok()) return s;
  model->reset(make(std::move(impl)));
  return Status();
}

}  // namespace

Status Model::open_file(const std::string& path, std::shared_ptr<const Model>* model) {
  if (model == nullptr) return Status(StatusCode::kInvalidArgument, "model is null");
  MappedFile file;
  if (Status s = MappedFile::map(path, &file); !s.ok()) return s;
  Status s = finish_open(std::move(file), model, [](std::unique_ptr<LoadedModel> impl) { return new Model(std::move(impl)); });
  if (!s.ok()) return Status(s.code(), path + ": " + s.message());
  return s;
}

Status Model::open_buffer(const void* data, size_t size, std::shared_ptr<const Model>* model) {
  if (model == nullptr) return Status(StatusCode::kInvalidArgument, "model is null");
  if (data == nullptr && size != 0) return Status(StatusCode::kInvalidArgument, "data is null");
  return finish_open(MappedFile::borrow(data, size), model,
                     [](std::unique_ptr<LoadedModel> impl) { return new Model(std::move(impl)); });
}

const ModelInfo& Model::info() const { return impl_->info; }

size_t Model::required_arena_bytes() const {
  const auto align = [](uint64_t v) { return (v + 63) / 64 * 64; };
  const uint64_t bytes = align(impl_->arena_bytes) + align(impl_->state_bytes);
  // On a 32-bit device a hostile size must not wrap around to a small arena.
  return bytes > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(bytes);
}

bool Model::has_tokenizer() const { return impl_->tokenizer.kind != TokenizerKind::kNone; }

Status Model::tokenize(const std::string& text, bool add_bos, std::vector<int32_t>* ids) const {
  try {
    return edgeformer::tokenize(impl_->tokenizer, text, add_bos, ids);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "cannot allocate the tokens of a " + std::to_string(text.size()) +
                                                "-byte text");
  }
}

Status Model::detokenize(int32_t previous, int32_t id, std::string* text) const {
  return edgeformer::detokenize(impl_->tokenizer, previous, id, text);
}

Status Model::token_piece(int32_t id, std::string* piece) const {
  if (piece == nullptr) return Status(StatusCode::kInvalidArgument, "piece is null");
  const std::vector<std::string_view>& pieces = impl_->tokenizer.pieces;
  if (id < 0 || size_t(id) >= pieces.size())
    return Status(StatusCode::kOutOfRange, "token id " + std::to_string(id) + " is outside the tokenizer's " +
                                               std::to_string(pieces.size()) + " pieces");
  piece->assign(pieces[size_t(id)]);
  return Status();
}

int32_t Model::bos_id() const { return impl_->tokenizer.bos; }
int32_t Model::eos_id() const { return impl_->tokenizer.eos; }
const std::vector<int32_t>& Model::stop_ids() const { return impl_->tokenizer.stop_ids; }

bool Model::is_stop_id(int32_t id) const {
  const std::vector<int32_t>& stops = impl_->tokenizer.stop_ids;
  return std::find(stops.begin(), stops.end(), id) != stops.end();
}

}  // namespace edgeformer
