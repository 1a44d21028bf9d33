#include <algorithm>
#include <cmath>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer {

Sampler::Sampler(int vocab_size, const SamplerOptions& options)
    : options_(options), state_(options.seed + 0x9e3779b97f4a7c15ull),
      candidates_(static_cast<size_t>(std::max(vocab_size, 1))) {
  if (state_ == 0) state_ = 1;  // xorshift never leaves 0
}

// xorshift64*, as llama2.c: small, fast and reproducible from a seed on every platform.
float Sampler::next_uniform() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const uint32_t bits = static_cast<uint32_t>((state_ * 0x2545f4914f6cdd1dull) >> 32);
  return static_cast<float>(bits >> 8) / 16777216.0f;
}

int32_t Sampler::sample(const float* logits) {
  const size_t n = candidates_.size();
  if (!(options_.temperature > 0.0f)) {
    size_t best = 0;
    for (size_t i = 1; i < n; ++i)
      if (logits[i] > logits[best]) best = i;
    return static_cast<int32_t>(best);
  }
  for (size_t i = 0; i < n; ++i) candidates_[i] = {logits[i] / options_.temperature, static_cast<int32_t>(i)};
  const auto by_logit = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t kept = n;
  if (options_.top_k > 0 && static_cast<size_t>(options_.top_k) < n) {
    kept = static_cast<size_t>(options_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + kept, candidates_.end(), by_logit);
  } else if (options_.top_p < 1.0f) {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  float max_logit = -INFINITY;
  for (size_t i = 0; i < kept; ++i) max_logit = std::max(max_logit, candidates_[i].first);
  float sum = 0.0f;
  for (size_t i = 0; i < kept; ++i) {
    candidates_[i].first = std::exp(candidates_[i].first - max_logit);
    sum += candidates_[i].first;
  }
  // Nucleus: the smallest prefix (by probability) whose mass reaches top_p.
  if (options_.top_p > 0.0f && options_.top_p < 1.0f) {
    float mass = 0.0f;
    for (size_t i = 0; i < kept; ++i) {
      mass += candidates_[i].first;
      if (mass >= options_.top_p * sum) {
        kept = i + 1;
        sum = mass;
        break;
      }
    }
  }
  const float target = next_uniform() * sum;
  float cumulative = 0.0f;
  for (size_t i = 0; i < kept; ++i) {
    cumulative += candidates_[i].first;
    if (target < cumulative) return candidates_[i].second;
  }
  return candidates_[kept - 1].second;  // rounding left target at the very top
}

}  // namespace edgeformer
