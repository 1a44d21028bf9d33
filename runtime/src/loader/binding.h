#pragma once
// The loader's steps, in the order load_model (model_loader.cc) runs them: bind and check every tensor, every entry
// (its operators through their types' checks, and its memory plan), the tokenizer, then describe the model.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "loader/model_impl.h"

namespace edgeformer {

// Far above any device and far below overflow. On 32-bit targets every size must also fit size_t with room to
// round up (the kernels index with size_t): a dimension or a tensor over 2 GiB could not be mapped there anyway.
constexpr bool kWideAddresses = sizeof(size_t) >= 8;
constexpr int64_t kMaxDimension = kWideAddresses ? int64_t{1} << 32 : int64_t{1} << 31;
constexpr uint64_t kMaxBytes = kWideAddresses ? uint64_t{1} << 48 : uint64_t{1} << 31;
constexpr uint64_t kAlignment = 64;

inline Status invalid(std::string message) { return Status(StatusCode::kInvalidModel, std::move(message)); }
std::string tensor_label(const BoundTensor& t, int id);

// tensor_binding.cc: shape, dtype, size and place (inside the file, arena or state) of tensor `id`.
Status bind_tensor(const schema::Model& m, size_t file_size, int id, BoundTensor* t);
// tensor_binding.cc: a quantized weight's scales and row sums (after every tensor is bound).
Status bind_quantization(const schema::Model& m, const uint8_t* file, int id, std::vector<BoundTensor>& tensors);
// entry_binding.cc: the entry's ids, each operator through its type's check, the execution order and the plan.
Status bind_entry(const schema::Entry& def, const std::vector<BoundTensor>& tensors, const schema::Model& m,
                  BoundEntry* entry);
// tokenizer_binding.cc: the lookup tables of the model's tokenizer.
Status bind_tokenizer(const schema::Model& m, TokenizerTables* tok);
// chat_binding.cc: the chat template's steps, or why there are none.
Status bind_chat_template(const schema::Model& m, ChatTemplateState* chat);
// model_info.cc: what inspect and the APIs report.
void describe(LoadedModel* model);
// entry_cost.cc: the bytes an entry's call reads and the multiply-adds it does (EntryCost).
EntryCost entry_cost(const LoadedModel& model, const BoundEntry& entry);

}  // namespace edgeformer
