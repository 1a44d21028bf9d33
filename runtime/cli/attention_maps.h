#pragma once
// Captured attention probabilities as the CLI's pictures and page see them, their per-head summaries and their JSON.
#include <cstddef>
#include <string>
#include <vector>

namespace edgeformer::cli {

// One captured attention: which attention, the token texts, the probabilities [layer][head][query][key].
struct AttentionMaps {
  std::string model;  // file name, for titles
  // "encoder" | "decoder" | "cross" (cross: queries = target tokens, keys = source tokens)
  std::string kind;
  std::vector<std::string> queries, keys;  // token text of each row / column (UTF-8, may contain any character)
  std::vector<int> layers, heads;          // the model's layer and head indices captured, in order
  std::vector<float> weights;              // layers.size() * heads.size() * queries.size() * keys.size()
  // queries.size() x keys.size(), row-major.
  const float* matrix(size_t layer_index, size_t head_index) const;
};

struct HeadSummary {
  double entropy;
  double sink;
};

// Per head: the mean over query rows of the row's entropy in nats (-sum p ln p, 0 ln 0 = 0), and the mean share of
// attention on key 0 (an "attention sink").
HeadSummary summarize_head(const AttentionMaps& maps, size_t layer_index, size_t head_index);

// {"model":..., "kind":..., "queries":[...], "keys":[...], "layers":[{"layer":L, "heads":[{"head":H, "entropy":x,
// "sink":y, "weights":[[row0...],[row1...]]}]}]}; a weight is printed as the double of the float, which reads back
// as the same float. Token texts that are not valid UTF-8 get U+FFFD in place of their bad bytes.
std::string attention_json(const AttentionMaps& maps);

}  // namespace edgeformer::cli
