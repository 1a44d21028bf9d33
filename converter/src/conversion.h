#pragma once
// One conversion, as edgeformer-convert and the Python package run it: a checkpoint (a Hugging Face folder, a
// llama2.c file or a --synthetic spec) through its family's reader and graph builder into an .eft file.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph_options.h"

namespace edgeformer::converter {

struct ConversionRequest {
  std::string input;      // a folder or a file; empty with `synthetic`
  std::string output;     // the .eft to write (replaced only when the conversion succeeds)
  std::string tokenizer;  // a replacement (tokenizer.json, vocab.txt, .spm/.model) or llama2.c's tok*.bin; optional
  std::string synthetic;  // a --synthetic spec, e.g. "llama:dim=64,layers=2,..."; empty with `input`
  std::string chat_template;  // a .jinja (or JSON with "chat_template") in place of the folder's; optional
  GraphOptions options;
};

// What was written, as the summary edgeformer-convert prints.
struct ConversionSummary {
  struct EntrySummary {
    std::string name;
    size_t operators;
    int max_rows;
  };
  std::string output, architecture, quantization, tokenizer;
  std::string stop_ids;  // 128001 "<|end_of_text|>", 128009 "<|eot_id|>"; or none
  std::string chat_template;  // "reduced (N steps) from PATH", "none", or "not reduced: why"
  uint64_t file_bytes = 0, params = 0, weight_bytes = 0, arena_bytes = 0, state_bytes = 0;
  int max_context = 0;
  size_t operators = 0;
  std::vector<EntrySummary> entries;
  std::vector<std::pair<std::string, int>> op_counts;  // by operator type name
};

// Converts as `request` says; `note` hears what the user should know (e.g. that the model has no tokenizer).
// Throws ConvertError, naming the file and the key, on anything it cannot convert.
ConversionSummary convert_model(const ConversionRequest& request, const std::function<void(const std::string&)>& note);

}  // namespace edgeformer::converter
