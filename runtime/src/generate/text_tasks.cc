// Text-level steps of the tasks around the entries (embed, classify, translate) that the CLI and the Python package
// share.
#include <algorithm>
#include <cmath>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer {

bool truncate_keeping_last(std::vector<int32_t>* ids, size_t max_tokens) {
  if (ids->size() <= max_tokens || max_tokens == 0) return false;
  const int32_t last = ids->back();
  ids->resize(max_tokens);
  ids->back() = last;
  return true;
}

std::vector<double> class_probabilities(const float* logits, size_t count, bool multi_label) {
  std::vector<double> probabilities(count);
  if (count == 0) return probabilities;
  const double max = *std::max_element(logits, logits + count);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const double x = logits[i];
    sum += probabilities[i] = multi_label ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x - max);
  }
  if (!multi_label)
    for (double& p : probabilities) p /= sum;
  return probabilities;
}

Status Model::translation_text(const std::vector<int32_t>& target, std::string* text) const {
  if (text == nullptr) return Status(StatusCode::kInvalidArgument, "text is null");
  text->clear();
  int32_t previous = bos_id();
  for (int32_t id : target) {
    std::string piece;
    if (Status s = detokenize(previous, id, &piece); !s.ok()) return s;
    *text += piece;
    previous = id;
  }
  // MarianTokenizer's decoding leaves no trailing space (a final lone space piece).
  while (!text->empty() && text->back() == ' ') text->pop_back();
  return Status();
}

}  // namespace edgeformer
