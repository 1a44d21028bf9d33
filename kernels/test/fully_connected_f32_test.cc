// The f32 fully connected kernels of every variant against a double-precision naive product.

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

using FullyConnectedF32Test = VariantTest<FullyConnectedF32Fn>;

TEST_P(FullyConnectedF32Test, MatchesNaiveDouble) {
  std::mt19937 rng(4);
  for (size_t m : {1, 3, 5}) {
    for (size_t k : kOddSizes) {
      for (size_t n : {1, 3, 17, 65}) {
        SCOPED_TRACE(testing::Message() << "m=" << m << " k=" << k << " n=" << n);
        const std::vector<float> x = random_floats(rng, m * k);
        const std::vector<float> w = random_floats(rng, n * k);
        std::vector<float> y(m * n);
        std::vector<double> want(m * n), magnitude(m * n);
        GetParam().fn({x.data(), k, w.data(), y.data(), n, m, k, n}, 0, n);
        naive_fully_connected(x.data(), k, w.data(), m, k, n, want.data(), magnitude.data());
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_NEAR(y[i], want[i], k * kUnitRoundoff * magnitude[i]) << i;
      }
    }
  }
}

TEST_P(FullyConnectedF32Test, StridesAndColumnRangeLeaveOtherColumnsUntouched) {
  std::mt19937 rng(5);
  const size_t m = 3, k = 17, n = 65, x_stride = 20, y_stride = 70;
  const size_t n_begin = 7, n_end = 40;
  const float kSentinel = -12345.0f;
  const std::vector<float> x = random_floats(rng, m * x_stride);
  const std::vector<float> w = random_floats(rng, n * k);
  std::vector<float> y(m * y_stride, kSentinel);
  GetParam().fn({x.data(), x_stride, w.data(), y.data(), y_stride, m, k, n}, n_begin, n_end);

  std::vector<double> want(m * n), magnitude(m * n);
  naive_fully_connected(x.data(), x_stride, w.data(), m, k, n, want.data(), magnitude.data());
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < y_stride; ++j) {
      const float got = y[i * y_stride + j];
      if (j >= n_begin && j < n_end)
        ASSERT_NEAR(got, want[i * n + j], k * kUnitRoundoff * magnitude[i * n + j]) << i << " " << j;
      else
        ASSERT_EQ(got, kSentinel) << i << " " << j;
    }
  }
}

TEST_P(FullyConnectedF32Test, SplitColumnRangesEqualOneCall) {
  std::mt19937 rng(6);
  const size_t m = 2, k = 63, n = 129;
  const std::vector<float> x = random_floats(rng, m * k);
  const std::vector<float> w = random_floats(rng, n * k);
  std::vector<float> whole(m * n), split(m * n);
  GetParam().fn({x.data(), k, w.data(), whole.data(), n, m, k, n}, 0, n);
  for (size_t begin = 0; begin < n; begin += 17)
    GetParam().fn({x.data(), k, w.data(), split.data(), n, m, k, n}, begin, std::min(n, begin + 17));
  EXPECT_EQ(whole, split);
}

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedF32Test, testing::ValuesIn(variants_of(&KernelSet::fully_connected_f32)),
                         variant_name<FullyConnectedF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
