// The embedding lookup against the table it copies.

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

TEST(EmbeddingTest, CopiesTableRows) {
  std::mt19937 rng(1);
  const size_t vocab = 17, dim = 63;
  const std::vector<float> table = random_floats(rng, vocab * dim);
  const std::vector<int32_t> ids = {0, 16, 3, 3, 9};
  std::vector<float> out(ids.size() * dim);
  ASSERT_TRUE(embedding_f32_ref(table.data(), vocab, dim, ids.data(), ids.size(), out.data()));
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t d = 0; d < dim; ++d) ASSERT_EQ(out[i * dim + d], table[ids[i] * dim + d]) << i << " " << d;
}

TEST(EmbeddingTest, RejectsOutOfRangeIds) {
  const size_t vocab = 5, dim = 3;
  const std::vector<float> table(vocab * dim, 1.0f);
  std::vector<float> out(2 * dim);
  for (int32_t bad : {-1, static_cast<int32_t>(vocab), std::numeric_limits<int32_t>::min(),
                      std::numeric_limits<int32_t>::max()}) {
    const int32_t ids[2] = {0, bad};
    EXPECT_FALSE(embedding_f32_ref(table.data(), vocab, dim, ids, 2, out.data())) << bad;
  }
  const int32_t last[1] = {static_cast<int32_t>(vocab) - 1};
  EXPECT_TRUE(embedding_f32_ref(table.data(), vocab, dim, last, 1, out.data()));
}

}  // namespace
}  // namespace edgeformer::kernels
