// Model::check_weights: the values that loading does not look at (it checks where weights are, not what they hold).
#include <cmath>
#include <cstring>

#include "edgeformer/kernels/int8_packing.h"
#include "loader/model_impl.h"

namespace edgeformer {

namespace {

void check_floats(const BoundTensor& t, WeightIssue* issue) {
  const float* values = static_cast<const float*>(t.weight_data);
  for (uint64_t i = 0; i < t.bytes / sizeof(float); ++i) {
    if (std::isnan(values[i])) ++issue->nan;
    else if (std::isinf(values[i])) ++issue->infinite;
  }
}

void check_halves(const BoundTensor& t, WeightIssue* issue) {
  const uint16_t* values = static_cast<const uint16_t*>(t.weight_data);
  for (uint64_t i = 0; i < t.bytes / sizeof(uint16_t); ++i) {
    if ((values[i] & 0x7c00) != 0x7c00) continue;  // exponent all ones: Inf or NaN
    if (values[i] & 0x3ff) ++issue->nan;
    else ++issue->infinite;
  }
}

void check_row_sums(const BoundTensor& t, WeightIssue* issue) {
  const int8_t* codes = static_cast<const int8_t*>(t.weight_data);
  const size_t rows = static_cast<size_t>(t.shape[0]), columns = static_cast<size_t>(t.shape[1]);
  for (size_t r = 0; r < rows; ++r) {
    int64_t sum = 0;
    for (size_t c = 0; c < columns; ++c) sum += codes[kernels::int8_packed_index(columns, r, c)];
    int32_t stored;
    std::memcpy(&stored, t.row_sums + r, sizeof(stored));
    if (sum != stored) ++issue->wrong_row_sums;
  }
}

}  // namespace

std::vector<WeightIssue> Model::check_weights() const {
  std::vector<WeightIssue> issues;
  for (const BoundTensor& t : impl_->tensors) {
    if (t.storage != schema::Storage::Weight) continue;
    WeightIssue issue;
    issue.tensor = t.def->name() ? t.def->name()->str() : std::string();
    if (t.dtype == schema::DType::F32) check_floats(t, &issue);
    if (t.dtype == schema::DType::F16) check_halves(t, &issue);
    if (t.dtype == schema::DType::I8 && t.row_sums != nullptr) check_row_sums(t, &issue);
    if (issue.nan + issue.infinite + issue.wrong_row_sums != 0) issues.push_back(std::move(issue));
  }
  return issues;
}

}  // namespace edgeformer
