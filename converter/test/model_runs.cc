#include "model_runs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "test_support.h"

namespace edgeformer::testing {

namespace {

// A classifier stored as 2 x the embedding must give exactly 2 x the tied logits, up to summation order.
constexpr float kScaledClassifierTolerance = 1e-5f;

}  // namespace

std::unique_ptr<Session> new_session(const std::shared_ptr<const Model>& model) {
  std::unique_ptr<Session> session;
  const Status s = model == nullptr ? Status(StatusCode::kInvalidArgument, "no model")
                                    : Session::create(model, {}, &session);
  EXPECT_TRUE(s.ok()) << s.message();
  return session;
}

std::vector<float> logits_of(const Session& session) {
  const float* p = session.logits();
  EXPECT_NE(p, nullptr);
  return p == nullptr ? std::vector<float>() : std::vector<float>(p, p + session.vocab_size());
}

std::vector<int32_t> greedy(const std::string& model_path, size_t steps) {
  auto session = new_session(open_or_fail(model_path));
  if (session == nullptr) return {};
  Sampler sampler(session->vocab_size(), {});
  std::vector<int32_t> out;
  int32_t token = kBos;
  for (size_t i = 0; i < steps; ++i) {
    const Status s = session->decode(token);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) break;
    out.push_back(token = sampler.sample(session->logits()));
  }
  return out;
}

std::vector<std::vector<float>> teacher_forced(const std::string& model_path, const std::vector<int32_t>& inputs) {
  auto session = new_session(open_or_fail(model_path));
  std::vector<std::vector<float>> out;
  if (session == nullptr) return out;
  for (int32_t id : inputs) {
    const Status s = session->decode(id);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) break;
    out.push_back(logits_of(*session));
  }
  return out;
}

double cosine(const std::vector<float>& x, const std::vector<float>& y) {
  double dot = 0, xx = 0, yy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    dot += double(x[i]) * y[i];
    xx += double(x[i]) * x[i];
    yy += double(y[i]) * y[i];
  }
  return dot / std::sqrt(xx * yy);
}

size_t argmax(const std::vector<float>& x) { return std::max_element(x.begin(), x.end()) - x.begin(); }

double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / (1.0 + std::fabs(b[i])));
  return worst;
}

void expect_doubled_logits(const std::string& base_path, const std::string& doubled_path,
                           const std::vector<int32_t>& inputs) {
  const auto base = teacher_forced(base_path, inputs);
  const auto doubled = teacher_forced(doubled_path, inputs);
  ASSERT_EQ(base.size(), inputs.size());
  ASSERT_EQ(doubled.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<float> twice = base[i];
    for (float& v : twice) v *= 2.0f;
    EXPECT_LE(max_relative_difference(doubled[i], twice), kScaledClassifierTolerance) << "position " << i;
  }
}

}  // namespace edgeformer::testing
