#pragma once
// The validated, immutable form of an .eft model that sessions run.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "edgeformer/kernels/kernel_set.h"
#include "edgeformer/schema/edgeformer_generated.h"
#include "mapped_file.h"

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
  const void* weight_data = nullptr;  // weights: in the mapped file
  const float* scales = nullptr;      // int8 weights: per-row scales
  const uint16_t* half_scales = nullptr;  // int4 weights: packed f16 group scales
  const int32_t* row_sums = nullptr;  // int8 weights: per-row sums of the codes, when the file has them
};

struct BoundOperator {
  schema::OperatorOptions type;
  const schema::Operator* def;
  std::vector<int> inputs, outputs;
  int scratch = -1;
};

struct BoundEntry {
  std::string name;
  int max_rows = 0;
  uint64_t arena_bytes = 0;
  std::vector<BoundOperator> operators;
  std::vector<int> inputs, outputs;
};

struct TokenizerTables {
  schema::TokenizerKind kind = schema::TokenizerKind::None;
  const schema::Tokenizer* def = nullptr;
  std::unordered_map<std::string, int32_t> piece_ids;
  int32_t bos = -1, eos = -1, unk = -1, byte_base = -1, space = -1;
  bool add_dummy_prefix = false;
  // Added tokens, matched literally before the model's own splitting: by first byte, longest first.
  std::vector<std::pair<std::string, int32_t>> specials_by_first_byte[256];
  // Byte-level BPE: the piece of each single byte, and the merges by (left << 32 | right).
  struct Merge {
    int32_t rank, merged;
  };
  std::unordered_map<uint64_t, Merge> merges;
  int32_t byte_ids[256] = {};
  schema::PreTokenizerPattern pre_tokenizer = schema::PreTokenizerPattern::Gpt2;
  size_t digit_group = 3;
  // WordPiece.
  bool lowercase = false, strip_accents = false, split_cjk = true;
  std::string continuing_prefix;
  size_t max_word_chars = 100;
  int32_t cls = -1, sep = -1, pad = -1;
  // SentencePiece unigram.
  bool remove_extra_whitespaces = true, append_eos = false;
  size_t max_piece_bytes = 0;
  float unknown_score = 0.0f;  // SentencePiece's: the lowest piece score minus 10
};

class ModelImpl {
 public:
  MappedFile file;
  const schema::Model* model = nullptr;
  std::vector<BoundTensor> tensors;
  std::vector<BoundEntry> entries;
  TokenizerTables tokenizer;
  ModelInfo info;
  uint64_t arena_bytes = 0, state_bytes = 0;
  const kernels::KernelSet* kernels = nullptr;  // the best variants for this CPU, bound once at load

  const BoundEntry* find_entry(const std::string& name) const;
};

// Verifies the bytes (FlatBuffers Verifier) and every semantic rule the kernels rely on, then binds the tables.
Status load_model(MappedFile file, ModelImpl* model);

}  // namespace edgeformer
