#include "attention_maps.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace edgeformer::cli {

const float* AttentionMaps::matrix(size_t layer_index, size_t head_index) const {
  return weights.data() + (layer_index * heads.size() + head_index) * queries.size() * keys.size();
}

HeadSummary summarize_head(const AttentionMaps& maps, size_t layer_index, size_t head_index) {
  const size_t rows = maps.queries.size(), columns = maps.keys.size();
  if (rows == 0 || columns == 0) return {0, 0};
  const float* matrix = maps.matrix(layer_index, head_index);
  double entropy = 0, sink = 0;
  for (size_t q = 0; q < rows; ++q) {
    const float* row = matrix + q * columns;
    for (size_t k = 0; k < columns; ++k) {
      const double p = row[k];
      if (p > 0) entropy -= p * std::log(p);
    }
    sink += row[0];
  }
  return {entropy / rows, sink / rows};
}

std::string attention_json(const AttentionMaps& maps) {
  const size_t columns = maps.keys.size();
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t l = 0; l < maps.layers.size(); ++l) {
    nlohmann::ordered_json heads = nlohmann::ordered_json::array();
    for (size_t h = 0; h < maps.heads.size(); ++h) {
      const float* matrix = maps.matrix(l, h);
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (size_t q = 0; q < maps.queries.size(); ++q)
        rows.push_back(std::vector<float>(matrix + q * columns, matrix + (q + 1) * columns));
      const HeadSummary summary = summarize_head(maps, l, h);
      heads.push_back({{"head", maps.heads[h]}, {"entropy", summary.entropy}, {"sink", summary.sink},
                       {"weights", std::move(rows)}});
    }
    layers.push_back({{"layer", maps.layers[l]}, {"heads", std::move(heads)}});
  }
  const nlohmann::ordered_json json = {{"model", maps.model}, {"kind", maps.kind}, {"queries", maps.queries},
                                       {"keys", maps.keys}, {"layers", std::move(layers)}};
  // Token pieces can be partial UTF-8 sequences (byte-level vocabularies); they must not abort the output.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace edgeformer::cli
