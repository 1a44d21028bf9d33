// Per-row int8 quantization: the reference's contract, and every variant bit-identical to it.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

TEST(QuantizeTest, ExtremesMapToPlusMinus127) {
  const float x[5] = {-3.0f, 3.0f, 0.0f, 1.5f, -1.5f};
  int8_t q[5];
  float scale;
  quantize_rows_q8_ref(x, 5, 1, 5, q, &scale);
  EXPECT_EQ(scale, 3.0f / 127.0f);
  EXPECT_EQ(q[0], -127);
  EXPECT_EQ(q[1], 127);
  EXPECT_EQ(q[2], 0);
  // 1.5 / (3 / 127) = 63.5: rounding is half away from zero.
  EXPECT_EQ(q[3], 64);
  EXPECT_EQ(q[4], -64);
}

TEST(QuantizeTest, NeverProducesMinus128) {
  std::mt19937 rng(7);
  for (size_t k : kOddSizes) {
    std::vector<float> x = random_floats(rng, k, -100.0f, 100.0f);
    x[k / 2] = -1e30f;  // the largest magnitude is negative
    std::vector<int8_t> q(k);
    float scale;
    quantize_rows_q8_ref(x.data(), k, 1, k, q.data(), &scale);
    EXPECT_EQ(q[k / 2], -127);
    for (int8_t v : q) ASSERT_GE(v, -127);
  }
}

TEST(QuantizeTest, ZeroRowHasZeroScaleAndCodes) {
  const size_t k = 17;
  const std::vector<float> x(2 * k, 0.0f);
  std::vector<int8_t> q(2 * k, 99);
  float scales[2] = {-1.0f, -1.0f};
  quantize_rows_q8_ref(x.data(), k, 2, k, q.data(), scales);
  EXPECT_EQ(scales[0], 0.0f);
  EXPECT_EQ(scales[1], 0.0f);
  for (int8_t v : q) EXPECT_EQ(v, 0);
}

TEST(QuantizeTest, RoundTripErrorIsAtMostHalfScale) {
  std::mt19937 rng(8);
  for (size_t k : kOddSizes) {
    for (size_t rows : {1, 4}) {
      SCOPED_TRACE(testing::Message() << "k=" << k << " rows=" << rows);
      const size_t x_stride = k + 3;
      std::vector<float> x = random_floats(rng, rows * x_stride, -5.0f, 5.0f);
      for (size_t r = 0; r < rows; ++r)  // rows of very different magnitudes get their own scales
        for (size_t i = 0; i < k; ++i) x[r * x_stride + i] *= std::pow(10.0f, float(r) - 2.0f);
      std::vector<int8_t> q(rows * k);
      std::vector<float> scales(rows);
      quantize_rows_q8_ref(x.data(), x_stride, rows, k, q.data(), scales.data());
      for (size_t r = 0; r < rows; ++r) {
        double amax = 0.0;
        for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(double(x[r * x_stride + i])));
        EXPECT_NEAR(scales[r], amax / 127.0, amax / 127.0 * kUnitRoundoff);
        for (size_t i = 0; i < k; ++i) {
          const double error = std::fabs(double(x[r * x_stride + i]) - double(q[r * k + i]) * scales[r]);
          ASSERT_LE(error, scales[r] * (0.5 + kQuantizeRoundTripSlack)) << r << " " << i;
        }
      }
    }
  }
}

// Every SIMD quantizer gives exactly the reference's codes and scales: same division, half away from zero, NaN
// to -127, infinities, signed zeros, subnormals, zero rows and rows whose scale underflows, at every tail length.
using QuantizeVariantTest = VariantTest<QuantizeRowsQ8Fn>;

TEST_P(QuantizeVariantTest, BitIdenticalToTheReference) {
  std::mt19937 rng(12);
  const float kSpecials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(), -0.0f, 0.0f,
                             std::numeric_limits<float>::denorm_min(), -1e-40f, 1e30f};
  for (size_t k : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 768}) {
    const size_t rows = 12, x_stride = k + 3;
    std::vector<float> x = random_floats(rng, rows * x_stride, -4.0f, 4.0f);
    // Row 1: exact halves of the step (amax 127 makes the scale 1, so x / scale = x): 0.5, 1.5, -2.5, ...
    for (size_t i = 0; i < k; ++i) x[x_stride + i] = (i % 2 ? -1.0f : 1.0f) * (0.5f + float(i % 100));
    x[x_stride] = 127.0f;
    std::fill(x.begin() + 2 * x_stride, x.begin() + 2 * x_stride + k, 0.0f);            // row 2: all zero
    std::fill(x.begin() + 3 * x_stride, x.begin() + 3 * x_stride + k, 1e-44f);          // row 3: scale underflows
    for (size_t r = 4; r < rows; ++r) x[r * x_stride + (r * 7) % k] = kSpecials[r - 4];  // one special per row
    std::vector<int8_t> want(rows * k), got(rows * k, 99);
    std::vector<float> want_scales(rows), got_scales(rows);
    quantize_rows_q8_ref(x.data(), x_stride, rows, k, want.data(), want_scales.data());
    GetParam().fn(x.data(), x_stride, rows, k, got.data(), got_scales.data());
    for (size_t r = 0; r < rows; ++r) {
      EXPECT_EQ(std::memcmp(&got_scales[r], &want_scales[r], sizeof(float)), 0) << "k=" << k << " row " << r;
      for (size_t i = 0; i < k; ++i)
        ASSERT_EQ(got[r * k + i], want[r * k + i]) << "k=" << k << " row " << r << " x=" << x[r * x_stride + i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, QuantizeVariantTest, testing::ValuesIn(variants_of(&KernelSet::quantize_rows_q8)),
                         variant_name<QuantizeRowsQ8Fn>);

}  // namespace
}  // namespace edgeformer::kernels
