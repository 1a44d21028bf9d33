#pragma once
// Running the models the converter's tests write: sessions, greedy decoding, teacher forcing, and how far two runs'
// logits are apart.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::testing {

constexpr int32_t kBos = 1;
// One prompt fed in different chunks (or token by token) gives the same logits up to this, relative to 1 + |logit|.
constexpr float kChunkingTolerance = 1e-5f;

std::unique_ptr<Session> new_session(const std::shared_ptr<const Model>& model);
std::vector<float> logits_of(const Session& session);

// Greedy decoding from BOS, one token at a time.
std::vector<int32_t> greedy(const std::string& model_path, size_t steps);

// The logits after each of `inputs`, fed one by one.
std::vector<std::vector<float>> teacher_forced(const std::string& model_path, const std::vector<int32_t>& inputs);

double cosine(const std::vector<float>& x, const std::vector<float>& y);
size_t argmax(const std::vector<float>& x);

// Largest |a - b| / (1 + |b|).
double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b);

// A model whose classifier is twice the other's must give twice its logits at every position of `inputs`.
void expect_doubled_logits(const std::string& base_path, const std::string& doubled_path,
                           const std::vector<int32_t>& inputs);

}  // namespace edgeformer::testing
