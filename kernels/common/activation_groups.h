#pragma once
// The int8 activation rows of a register tile, read D bytes (one packed group of inputs) at a time: full groups
// in place, the last partial group from a zero-padded copy so that every read is D bytes.
#include <cstddef>
#include <cstdint>

namespace edgeformer::kernels {

template <size_t MR, size_t D>
class ActivationGroups {
 public:
  // rows: MR rows of k bytes each, k apart.
  ActivationGroups(const int8_t* rows, size_t k) : rows_(rows), k_(k), full_groups_(k / D) {
    for (size_t i = 0; i < MR; ++i)
      for (size_t l = full_groups_ * D; l < k; ++l) tail_[i][l % D] = rows[i * k + l];
  }
  // Group g of every row: row i's D bytes are at first + i * stride.
  struct Group {
    const int8_t* first;
    size_t stride;
    const int8_t* row(size_t i) const { return first + i * stride; }
  };
  Group group(size_t g) const { return g < full_groups_ ? Group{rows_ + g * D, k_} : Group{tail_[0], D}; }

 private:
  const int8_t* rows_;
  size_t k_, full_groups_;
  int8_t tail_[MR][D] = {};
};

}  // namespace edgeformer::kernels
