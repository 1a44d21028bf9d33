#pragma once
// The converter's graph IR: what an .eft file holds, before it is serialized.
#include <cstdint>
#include <string>
#include <vector>

#include "edgeformer/schema/edgeformer_generated.h"

namespace edgeformer::converter {

using schema::DType;
using schema::Storage;

size_t dtype_size(DType dtype);

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  Storage storage = Storage::Arena;
  uint64_t offset = 0;        // arena / state offset, filled by the planner; weight offsets by the writer
  bool dynamic_rows = false;
  schema::Quantization quantization = schema::Quantization::None;
  int scales = -1;
  int row_sums = -1;
  std::vector<uint8_t> data;  // weights only, already in the layout the kernels read

  uint64_t byte_size() const;
};

struct Operator {
  // The operator's type and options: its schema options table as a plain struct (schema::RmsNormOptionsT ...),
  // filled by the graph builder's call and packed as it is by the writer.
  schema::OperatorOptionsUnion options;
  std::vector<int> inputs, outputs;
  int scratch = -1;  // an arena tensor it uses besides its inputs and outputs, planned with them

  schema::OperatorOptions type() const { return options.type; }
};

struct Entry {
  std::string name;
  int max_rows = 0;
  std::vector<Operator> operators;
  std::vector<int> inputs, outputs;
  uint64_t arena_bytes = 0;
};

struct TokenizerData {
  schema::TokenizerKind kind = schema::TokenizerKind::None;
  std::vector<std::string> pieces;
  std::vector<float> scores;
  int bos_id = -1, eos_id = -1, unk_id = -1, byte_fallback_base = -1;
  bool add_dummy_prefix = true, dummy_prefix_per_stretch = false;
  std::vector<int32_t> merge_left, merge_right;  // ByteLevelBpe, by rank
  std::vector<int32_t> special_ids;
  std::vector<schema::AddedTokenFlags> special_flags;  // special_ids[i]'s; empty: every one matches literally
  std::vector<int32_t> stop_ids;                       // every id that ends generation, eos_id among them
  // WordPiece
  bool lowercase = false, strip_accents = false, split_cjk = true;
  std::string continuing_prefix;
  int max_word_chars = 100, cls_id = -1, sep_id = -1, pad_id = -1;
  // SentencePieceUnigram
  std::vector<uint8_t> precompiled_charsmap;
  bool remove_extra_whitespaces = true, append_eos = false;
  // ByteLevelBpe
  schema::PreTokenizerPattern pre_tokenizer = schema::PreTokenizerPattern::Gpt2;
  int digit_group = 3;
};

// A chat template reduced to steps (schema ChatTemplate; chat/chat_reduction.h makes it).
struct ChatTemplateData {
  struct Step {
    int previous = -1, next = -1, flags = 0;
    std::string text, refused;
  };
  bool present = false;  // the folder had a template (reduced, or `unreduced` says why not)
  std::vector<Step> steps;
  bool trim_first[3] = {}, trim[3] = {};  // by role; trim_first: as the first message
  uint8_t drop[3] = {};                   // by role: schema ChatTemplate.drop
  bool system_to_last_user = false;
  std::string system_joiner, date_format, unreduced;
};

struct Graph {
  std::string architecture, source, quantization;
  int vocab_size = 0, hidden_size = 0, layers = 0, max_context = 0;
  uint64_t params = 0;
  std::vector<std::string> labels;  // sequence classifiers: class names by output index
  bool multi_label = false;
  std::vector<Tensor> tensors;
  std::vector<Entry> entries;
  uint64_t state_bytes = 0;
  TokenizerData tokenizer;
  ChatTemplateData chat_template;

  int add_tensor(Tensor tensor);
  uint64_t arena_bytes() const;
  uint64_t weight_bytes() const;
};

}  // namespace edgeformer::converter
