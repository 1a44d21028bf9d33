#include "synthetic_attention.h"

#include <cmath>

namespace edgeformer::testing {

std::vector<std::string> hostile_tokens(size_t count) {
  static const std::vector<std::string> texts = {
      "<script>alert('x')</script>",
      "</script><!--",
      "a & b &amp;",
      "\"double\" 'single'",
      "😀 emoji 🎉",
      "  two  spaces ",
      "é ü 中",
      "line\nbreak",
      "▁piece",
      "tab\there",
      "<",
      "&",
      "a token text far too long to be shown whole",
  };
  std::vector<std::string> tokens;
  for (size_t i = 0; i < count; ++i) tokens.push_back(texts[i % texts.size()]);
  return tokens;
}

cli::AttentionMaps synthetic_attention(const std::vector<int>& layers, const std::vector<int>& heads, size_t queries,
                                       size_t keys, const std::string& kind) {
  cli::AttentionMaps maps;
  maps.model = "synthetic <" + kind + ">.eft";
  maps.kind = kind;
  maps.queries = hostile_tokens(queries);
  maps.keys = hostile_tokens(keys + 3);
  maps.keys.erase(maps.keys.begin(), maps.keys.begin() + 3);
  maps.layers = layers;
  maps.heads = heads;
  for (size_t l = 0; l < layers.size(); ++l) {
    for (size_t h = 0; h < heads.size(); ++h) {
      for (size_t q = 0; q < queries; ++q) {
        std::vector<double> row(keys);
        double sum = 0;
        const size_t last_key = q + keys >= queries ? q + keys - queries : 0;
        for (size_t k = 0; k <= last_key && k < keys; ++k) {
          row[k] = std::exp(3 * std::sin(1.7 * l + 2.3 * h + 0.9 * q + 1.3 * k));
          sum += row[k];
        }
        for (size_t k = 0; k < keys; ++k) maps.weights.push_back(static_cast<float>(row[k] / sum));
      }
    }
  }
  return maps;
}

}  // namespace edgeformer::testing
