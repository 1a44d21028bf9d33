// Attention capture: which layers and heads a session records, where in the caller's buffer, and whether a run fits.
#include "session/attention_capture.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "edgeformer/schema/entry_names.h"
#include "session/session_impl.h"

namespace edgeformer {

namespace {

const char* kind_name(AttentionKind kind) {
  switch (kind) {
    case AttentionKind::kEncoder: return "encoder";
    case AttentionKind::kDecoder: return "decoder";
    case AttentionKind::kCross: return "cross";
  }
  return "unknown";
}

}  // namespace

AttentionShape Model::attention_shape(AttentionKind kind) const {
  AttentionShape shape;
  for (const BoundEntry& entry : impl_->entries)
    for (const BoundOperator& op : entry.operators)
      if (op.attention_layer >= 0 && op.attention_kind == kind) {
        shape.layers = std::max(shape.layers, op.attention_layer + 1);
        shape.heads = op.def->options_as_AttentionOptions()->heads();
      }
  return shape;
}

Status Session::capture_attention(const AttentionCapture& capture) {
  const int kind = static_cast<int>(capture.kind);
  if (kind < 0 || kind > 2) return Status(StatusCode::kInvalidArgument, "unknown attention kind " + std::to_string(kind));
  const AttentionShape shape = impl_->model_->attention_shape(capture.kind);
  if (shape.layers == 0)
    return Status(StatusCode::kUnsupported, std::string("this model has no ") + kind_name(capture.kind) + " attention");
  AttentionCapture c = capture;
  if (c.layer_end == -1) c.layer_end = shape.layers;
  if (c.head_end == -1) c.head_end = shape.heads;
  if (c.layer_begin < 0 || c.layer_begin >= c.layer_end || c.layer_end > shape.layers)
    return Status(StatusCode::kOutOfRange, "layers " + std::to_string(c.layer_begin) + ".." +
                                               std::to_string(c.layer_end) + " are not within the model's " +
                                               std::to_string(shape.layers) + " " + kind_name(c.kind) + " layers");
  if (c.head_begin < 0 || c.head_begin >= c.head_end || c.head_end > shape.heads)
    return Status(StatusCode::kOutOfRange, "heads " + std::to_string(c.head_begin) + ".." +
                                               std::to_string(c.head_end) + " are not within the model's " +
                                               std::to_string(shape.heads) + " heads");
  const BoundEntry* encode = impl_->loaded_->find_entry(schema::names::kEncode);
  const size_t source_rows = encode != nullptr ? size_t(encode->max_rows) : impl_->max_context_;
  if (c.max_queries == 0) c.max_queries = c.kind == AttentionKind::kEncoder ? source_rows : impl_->max_context_;
  if (c.max_keys == 0) c.max_keys = c.kind == AttentionKind::kDecoder ? impl_->max_context_ : source_rows;
  const size_t matrices = size_t(c.layer_end - c.layer_begin) * size_t(c.head_end - c.head_begin);
  if (c.max_queries == 0 || c.max_keys == 0)
    return Status(StatusCode::kInvalidArgument, "the attention capture needs max_queries and max_keys of at least 1");
  if (c.max_queries > SIZE_MAX / c.max_keys / matrices)
    return Status(StatusCode::kOutOfRange, "the capture's layout overflows");
  const size_t needed = matrices * c.max_queries * c.max_keys;
  if (c.buffer == nullptr || c.buffer_floats < needed)
    return Status(StatusCode::kInvalidArgument,
                  "the attention capture buffer holds " + std::to_string(c.buffer == nullptr ? 0 : c.buffer_floats) +
                      " floats; " + std::to_string(matrices) + " heads of " + std::to_string(c.max_queries) + " x " +
                      std::to_string(c.max_keys) + " need " + std::to_string(needed));
  impl_->capture_ = c;
  impl_->capturing_ = true;
  return Status();
}

void Session::stop_attention_capture() { impl_->capturing_ = false; }

const AttentionCapture* Session::attention_capture() const {
  return impl_->capturing_ ? &impl_->capture_ : nullptr;
}

Status check_capture_fits(const SessionImpl& s, AttentionKind kind, size_t query_end, size_t key_end) {
  if (!s.capturing_ || s.capture_.kind != kind) return Status();
  if (query_end <= s.capture_.max_queries && key_end <= s.capture_.max_keys) return Status();
  return Status(StatusCode::kOutOfRange,
                std::string("the attention capture holds ") + std::to_string(s.capture_.max_queries) + " queries x " +
                    std::to_string(s.capture_.max_keys) + " keys; this run needs " + std::to_string(query_end) +
                    " x " + std::to_string(key_end) + " (" + kind_name(kind) + " attention)");
}

float* captured_matrix(const SessionImpl& s, const BoundOperator& op, int head) {
  const AttentionCapture& c = s.capture_;
  if (!s.capturing_ || op.attention_kind != c.kind || op.attention_layer < c.layer_begin ||
      op.attention_layer >= c.layer_end || head < c.head_begin || head >= c.head_end)
    return nullptr;
  const size_t heads = size_t(c.head_end - c.head_begin);
  const size_t matrix = size_t(op.attention_layer - c.layer_begin) * heads + size_t(head - c.head_begin);
  return c.buffer + matrix * c.max_queries * c.max_keys;
}

void softmax_captured_row(float* row, size_t key_begin, size_t key_end, size_t keys) {
  std::fill(row, row + key_begin, 0.0f);
  std::fill(row + key_end, row + keys, 0.0f);
  const float max = *std::max_element(row + key_begin, row + key_end);
  double sum = 0.0;
  for (size_t t = key_begin; t < key_end; ++t) sum += (row[t] = expf(row[t] - max));
  for (size_t t = key_begin; t < key_end; ++t) row[t] = static_cast<float>(row[t] / sum);
}

}  // namespace edgeformer
