// RMSNorm and LayerNorm of every variant against double-precision naive versions and the reference.

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

void naive_rms_norm(const float* x, const float* weight, size_t rows, size_t dim, double epsilon, double* y) {
  for (size_t r = 0; r < rows; ++r) {
    double sum_squares = 0.0;
    for (size_t i = 0; i < dim; ++i) sum_squares += double(x[r * dim + i]) * x[r * dim + i];
    const double inv_rms = 1.0 / std::sqrt(sum_squares / dim + epsilon);
    for (size_t i = 0; i < dim; ++i) y[r * dim + i] = weight[i] * x[r * dim + i] * inv_rms;
  }
}

using RmsNormTest = VariantTest<RmsNormF32Fn>;

TEST_P(RmsNormTest, MatchesNaiveDouble) {
  std::mt19937 rng(2);
  const float epsilon = 1e-5f;
  for (size_t dim : kOddSizes) {
    for (size_t rows : {1, 3}) {
      SCOPED_TRACE(testing::Message() << "dim=" << dim << " rows=" << rows);
      const std::vector<float> x = random_floats(rng, rows * dim, -4.0f, 4.0f);
      const std::vector<float> weight = random_floats(rng, dim, 0.5f, 1.5f);
      std::vector<float> y(rows * dim);
      std::vector<double> want(rows * dim);
      GetParam().fn(x.data(), weight.data(), rows, dim, epsilon, y.data());
      naive_rms_norm(x.data(), weight.data(), rows, dim, epsilon, want.data());
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_NEAR(y[i], want[i], kMaxRelativeError * std::fabs(want[i])) << i;
    }
  }
}

TEST_P(RmsNormTest, InPlaceMatchesOutOfPlace) {
  std::mt19937 rng(3);
  const size_t rows = 3, dim = 65;
  std::vector<float> x = random_floats(rng, rows * dim);
  const std::vector<float> weight = random_floats(rng, dim);
  std::vector<float> y(rows * dim);
  GetParam().fn(x.data(), weight.data(), rows, dim, 1e-5f, y.data());
  GetParam().fn(x.data(), weight.data(), rows, dim, 1e-5f, x.data());
  EXPECT_EQ(x, y);
}

TEST_P(RmsNormTest, ZeroRowStaysZero) {
  const size_t dim = 17;
  const std::vector<float> x(dim, 0.0f), weight(dim, 1.0f);
  std::vector<float> y(dim, 1.0f);
  GetParam().fn(x.data(), weight.data(), 1, dim, 1e-5f, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

// Against the reference (the sums differ only in order) and in place, across the SIMD steps and up to a
// LLaMA-7B-wide row; row 1 is all zeros and row 2 large.
TEST_P(RmsNormTest, MatchesTheReferenceAndMayAlias) {
  std::mt19937 rng(41);
  const float epsilon = 1e-5f;
  for (size_t dim : {1, 3, 8, 17, 31, 32, 33, 63, 65, 129, 4096}) {
    SCOPED_TRACE(testing::Message() << "dim=" << dim);
    const size_t rows = 3;
    std::vector<float> x = random_floats(rng, rows * dim, -4.0f, 4.0f);
    std::fill(x.begin() + dim, x.begin() + 2 * dim, 0.0f);
    for (size_t i = 0; i < dim; ++i) x[2 * dim + i] *= 1000.0f;
    const std::vector<float> weight = random_floats(rng, dim, 0.5f, 1.5f);
    std::vector<float> y(rows * dim), reference(rows * dim);
    GetParam().fn(x.data(), weight.data(), rows, dim, epsilon, y.data());
    rms_norm_f32_ref(x.data(), weight.data(), rows, dim, epsilon, reference.data());
    for (size_t r = 0; r < rows; ++r) {
      double squares = 0.0;
      for (size_t i = 0; i < dim; ++i) squares += double(x[r * dim + i]) * x[r * dim + i];
      const double scale = 1.0 / std::sqrt(squares / double(dim) + epsilon);
      for (size_t i = 0; i < dim; ++i) {
        const double want = x[r * dim + i] * scale * weight[i];
        ASSERT_NEAR(y[r * dim + i], want, kMaxRelativeError * (std::fabs(want) + 1e-3)) << r << " " << i;
        ASSERT_NEAR(y[r * dim + i], reference[r * dim + i], kMaxRelativeError * (std::fabs(want) + 1e-3))
            << r << " " << i;
      }
    }
    GetParam().fn(x.data(), weight.data(), rows, dim, epsilon, x.data());
    EXPECT_EQ(x, y);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RmsNormTest, testing::ValuesIn(variants_of(&KernelSet::rms_norm_f32)),
                         variant_name<RmsNormF32Fn>);

using LayerNormTest = VariantTest<LayerNormF32Fn>;

// LayerNorm against a double-precision two-pass naive, with a mean far from zero (where E[x^2] - E[x]^2 cancels),
// and in place; the SIMD variants within float rounding of the reference (their sums only run in another order).
TEST_P(LayerNormTest, MatchesNaiveDoubleAndMayAlias) {
  std::mt19937 rng(4);
  const float epsilon = 1e-5f;
  for (size_t dim : kOddSizes) {
    SCOPED_TRACE(testing::Message() << "dim=" << dim);
    const size_t rows = 3;
    std::vector<float> x = random_floats(rng, rows * dim, -4.0f, 4.0f);
    for (size_t i = 0; i < dim; ++i) x[2 * dim + i] += 1000.0f;  // row 2: large mean
    const std::vector<float> weight = random_floats(rng, dim, 0.5f, 1.5f), bias = random_floats(rng, dim);
    std::vector<float> y(rows * dim), reference(rows * dim);
    GetParam().fn(x.data(), weight.data(), bias.data(), rows, dim, epsilon, y.data());
    layer_norm_f32_ref(x.data(), weight.data(), bias.data(), rows, dim, epsilon, reference.data());
    for (size_t r = 0; r < rows; ++r) {
      double mean = 0.0, var = 0.0;
      for (size_t i = 0; i < dim; ++i) mean += x[r * dim + i];
      mean /= double(dim);
      for (size_t i = 0; i < dim; ++i) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
      var /= double(dim);
      for (size_t i = 0; i < dim; ++i) {
        const double want = (x[r * dim + i] - mean) / std::sqrt(var + epsilon) * weight[i] + bias[i];
        ASSERT_NEAR(y[r * dim + i], want, 1e-5 * (std::fabs(want) + 1.0)) << r << " " << i;
        ASSERT_NEAR(y[r * dim + i], reference[r * dim + i], 1e-6 * (std::fabs(want) + 1.0)) << r << " " << i;
      }
    }
    GetParam().fn(x.data(), weight.data(), bias.data(), rows, dim, epsilon, x.data());
    EXPECT_EQ(x, y);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, LayerNormTest, testing::ValuesIn(variants_of(&KernelSet::layer_norm_f32)),
                         variant_name<LayerNormF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
