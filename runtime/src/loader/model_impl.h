#pragma once
// The validated, immutable form of an .eft model that sessions run.
#include <cstdint>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "edgeformer/kernels/kernel_set.h"
#include "edgeformer/schema/edgeformer_generated.h"
#include "loader/mapped_file.h"
#include "chat/chat_layout.h"
#include "tokenizer/tokenizer_tables.h"

namespace edgeformer {

constexpr int kMaxRank = 4;

struct BoundTensor {
  const schema::Tensor* def = nullptr;
  schema::DType dtype = schema::DType::F32;
  schema::Storage storage = schema::Storage::Arena;
  int rank = 0;
  int64_t shape[kMaxRank] = {};
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t row_bytes = 0;            // bytes of one row (shape[0] = 1)
  bool dynamic_rows = false;
  bool ring = false;                  // a sliding-window KV cache (or its scales): its rows do not bound the context
  const void* weight_data = nullptr;  // weights: in the mapped file
  const float* scales = nullptr;      // int8 weights: per-row scales
  const uint16_t* half_scales = nullptr;  // int4 weights: packed f16 group scales
  const int32_t* row_sums = nullptr;  // int8 weights: per-row sums of the codes, when the file has them
};

struct OperatorType;  // ops/operator.h

struct BoundOperator {
  schema::OperatorOptions type;
  const schema::Operator* def;
  std::vector<int> inputs, outputs;
  int scratch = -1;
  const OperatorType* type_info = nullptr;  // its check and run, found once at load
  // Attention operators: their kind and ordinal among the entry's operators of that kind (attention capture).
  AttentionKind attention_kind = AttentionKind::kDecoder;
  int attention_layer = -1;
};

struct BoundEntry {
  std::string name;
  int max_rows = 0;
  uint64_t arena_bytes = 0;
  std::vector<BoundOperator> operators;
  std::vector<int> inputs, outputs;
};

// The model's reduced chat template, or why it has none.
struct ChatTemplateState {
  ChatLayout layout;
  Status status;
};

class LoadedModel {
 public:
  MappedFile file;
  const schema::Model* model = nullptr;
  std::vector<BoundTensor> tensors;
  std::vector<BoundEntry> entries;
  TokenizerTables tokenizer;
  ChatTemplateState chat;
  ModelInfo info;
  uint64_t arena_bytes = 0, state_bytes = 0;
  const kernels::KernelSet* kernels = nullptr;  // the best variants for this CPU, bound once at load

  const BoundEntry* find_entry(const std::string& name) const;
};

// Verifies the bytes (FlatBuffers Verifier) and every semantic rule the kernels rely on, then binds the tables.
Status load_model(MappedFile file, LoadedModel* model);

}  // namespace edgeformer
