// Reference kernels against independent naive implementations (double precision where it helps), over shapes
// that are not multiples of any block size. Kernels with a function-pointer type are tested through it, so that
// optimized variants can be added to the INSTANTIATE lists and inherit every case.
#include <gtest/gtest.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/embedding.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/half.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/isa.h"
#include "edgeformer/kernels/layer_norm.h"
#include "edgeformer/kernels/quantize.h"
#include "edgeformer/kernels/rms_norm.h"

namespace edgeformer::kernels {
namespace {

// Unit roundoff of float: the worst-case error of a sum of k float products is about k * kUnitRoundoff times
// the sum of their magnitudes.
constexpr double kUnitRoundoff = 1.0 / (1 << 24);
// Relative error allowed for short float computations (RMSNorm with dim <= 129, SwiGLU, RoPE pair norms); the
// worst-case bound of a 129-term float sum is 129 * kUnitRoundoff = 7.7e-6.
constexpr double kMaxRelativeError = 1e-5;
// Absolute error allowed for attention outputs, which are convex combinations of V entries in [-1, 1]
// (the reference kernel measures below 2e-7).
constexpr double kAttentionMaxAbsError = 1e-6;
// SwiGLU: a few ulp of float for the vector exp and the division (the reference's expf is within 1 ulp too).
constexpr double kSwiGluMaxRelativeError = 1e-6;
// With scores near 1000, one ulp of a score (6e-5) already changes its softmax weight by that much
// (the reference kernel measures below 5e-5).
constexpr double kLargeScoreAttentionMaxAbsError = 2e-4;
// RoPE angles pos * freq (at most pos radians) carry a few float roundings, about 4 * kUnitRoundoff relative,
// and a pair has two such terms: the absolute error grows with the position (measured below 1e-7 per radian).
constexpr double kRopeMaxErrorPerRadian = 5e-7;
constexpr double kRopeMaxAbsError = 1e-6;
// Elements of a SIMD RoPE whose bits may differ from the reference's: glibc's sinf / cosf, which the reference
// calls, are not correctly rounded for about 1.5% of angles, the SIMD kernel's are.
constexpr double kRopeMaxDifferingFraction = 0.05;
// x / scale is rounded to float before it is rounded to an integer, so a round trip may exceed scale / 2 by a
// few ulps of 127.
constexpr double kQuantizeRoundTripSlack = 1e-5;

const size_t kOddSizes[] = {1, 3, 17, 63, 65, 129};

// A kernel variant and the ISA it needs: tests of a variant this CPU cannot run are skipped, not passed.
template <typename Fn>
struct Variant {
  const char* name;
  Fn fn;
  Isa isa;
};

template <typename Fn>
void PrintTo(const Variant<Fn>& variant, std::ostream* os) {
  *os << variant.name;
}

template <typename Fn>
class VariantTest : public testing::TestWithParam<Variant<Fn>> {
 protected:
  void SetUp() override {
    if (!isa_supported(this->GetParam().isa))
      GTEST_SKIP() << this->GetParam().name << " needs " << isa_name(this->GetParam().isa) << ", not on this CPU";
  }
};

template <typename Fn>
std::string variant_name(const testing::TestParamInfo<Variant<Fn>>& info) {
  return info.param.name;
}

std::vector<float> random_floats(std::mt19937& rng, size_t count, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(std::mt19937& rng, size_t count, int lo = -128) {
  std::uniform_int_distribution<int> dist(lo, 127);
  std::vector<int8_t> v(count);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding

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

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm

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

INSTANTIATE_TEST_SUITE_P(Variants, RmsNormTest,
                         testing::Values(Variant<RmsNormF32Fn>{"reference", rms_norm_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<RmsNormF32Fn>{"avx2", rms_norm_f32_avx2, Isa::kAvx2}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<RmsNormF32Fn>{"neon", rms_norm_f32_neon, Isa::kNeon}
#endif
                                         ),
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

INSTANTIATE_TEST_SUITE_P(Variants, LayerNormTest,
                         testing::Values(Variant<LayerNormF32Fn>{"reference", layer_norm_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<LayerNormF32Fn>{"avx2", layer_norm_f32_avx2, Isa::kAvx2},
                                         Variant<LayerNormF32Fn>{"avx512", layer_norm_f32_avx512, Isa::kAvx512Vnni}
#endif
                                         ),
                         variant_name<LayerNormF32Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Fully connected, float

// Returns y[m][n] in double, and in `magnitude` the sum of |x * w| that bounds the float rounding error.
void naive_fully_connected(const float* x, size_t x_stride, const float* w, size_t m, size_t k, size_t n,
                           double* y, double* magnitude) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double sum = 0.0, abs_sum = 0.0;
      for (size_t l = 0; l < k; ++l) {
        const double p = double(x[i * x_stride + l]) * w[j * k + l];
        sum += p;
        abs_sum += std::fabs(p);
      }
      y[i * n + j] = sum;
      magnitude[i * n + j] = abs_sum;
    }
  }
}

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

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedF32Test,
                         testing::Values(Variant<FullyConnectedF32Fn>{"reference", fully_connected_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<FullyConnectedF32Fn>{"avx2", fully_connected_f32_avx2, Isa::kAvx2},
                                         Variant<FullyConnectedF32Fn>{"avx512", fully_connected_f32_avx512,
                                                                      Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS)
                                         ,
                                         Variant<FullyConnectedF32Fn>{"neon", fully_connected_f32_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<FullyConnectedF32Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Quantization

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

INSTANTIATE_TEST_SUITE_P(Variants, QuantizeVariantTest,
                         testing::Values(Variant<QuantizeRowsQ8Fn>{"reference", quantize_rows_q8_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<QuantizeRowsQ8Fn>{"avx2", quantize_rows_q8_avx2, Isa::kAvx2},
                                         Variant<QuantizeRowsQ8Fn>{"avx512", quantize_rows_q8_avx512,
                                                                   Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<QuantizeRowsQ8Fn>{"neon", quantize_rows_q8_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<QuantizeRowsQ8Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Fully connected, dynamic int8

// The packed layout, written out from its definition: blocks of 16 channels, groups of 4 depths, 16 x 4 bytes per
// group, zeros past n and k.
TEST(Int8PackingTest, BlocksOf16ChannelsByGroupsOf4DepthsZeroPadded) {
  std::mt19937 rng(8);
  for (const auto& [n, k] : {std::pair<size_t, size_t>{17, 7}, {16, 4}, {1, 1}, {33, 9}}) {
    const std::vector<int8_t> w = random_int8(rng, n * k);
    std::vector<int8_t> packed(int8_packed_bytes(n, k), 99);
    const size_t blocks = (n + 15) / 16, groups = (k + 3) / 4;
    ASSERT_EQ(packed.size(), blocks * groups * 64);
    pack_int8_weights(w.data(), n, k, packed.data());
    size_t at = 0;
    for (size_t b = 0; b < blocks; ++b)
      for (size_t g = 0; g < groups; ++g)
        for (size_t c = 0; c < 16; ++c)
          for (size_t d = 0; d < 4; ++d, ++at) {
            const size_t channel = b * 16 + c, depth = g * 4 + d;
            const int8_t want = channel < n && depth < k ? w[channel * k + depth] : int8_t{0};
            ASSERT_EQ(packed[at], want) << n << "x" << k << " channel " << channel << " depth " << depth;
          }
  }
}

using FullyConnectedQ8Test = VariantTest<FullyConnectedQ8Fn>;

// Row-major int8 weights as a kernel reads them: packed, with their row sums.
struct PackedInt8 {
  PackedInt8(const std::vector<int8_t>& w, size_t n, size_t k) : packed(int8_packed_bytes(n, k)), row_sums(n, 0) {
    pack_int8_weights(w.data(), n, k, packed.data());
    for (size_t j = 0; j < n; ++j)
      for (size_t l = 0; l < k; ++l) row_sums[j] += w[j * k + l];
  }
  std::vector<int8_t> packed;
  std::vector<int32_t> row_sums;
};

// Exact integer sums in int64; the only rounding allowed is that of converting the sum to float and multiplying
// by the two scales, in that order. k crosses the 4-byte group and the SIMD steps; n crosses the 16-channel block
// and the widest register tile (6 blocks); m crosses the row tiles (4 and 6 rows); rows and columns at the extremes
// (activations -127 and 127, the quantizer's range; weights -128 and 127) make the largest sums: two products
// 127 x 128 come within 255 of the int16 limit.
TEST_P(FullyConnectedQ8Test, MatchesExactIntegerSumWithExtremeCodes) {
  std::mt19937 rng(9);
  constexpr int8_t kMinCode = kInt8ActivationMin;
  for (size_t k : {1, 3, 4, 5, 17, 63, 64, 65, 129, 4097}) {
    for (size_t n : {1, 3, 16, 17, 33, 97, 100, 200}) {
      for (size_t m : {1, 4, 5, 9, 13}) {
        SCOPED_TRACE(testing::Message() << "k=" << k << " n=" << n << " m=" << m);
        std::vector<int8_t> xq = random_int8(rng, m * k, kInt8ActivationMin);
        std::vector<int8_t> w = random_int8(rng, n * k);
        std::fill(xq.begin(), xq.begin() + k, kMinCode);
        if (m > 1) std::fill(xq.begin() + k, xq.begin() + 2 * k, int8_t{127});
        std::fill(w.begin(), w.begin() + k, int8_t{-128});
        if (n > 1) std::fill(w.begin() + k, w.begin() + 2 * k, int8_t{127});
        xq[(m - 1) * k] = kMinCode;
        xq[m * k - 1] = 127;
        const PackedInt8 packed(w, n, k);
        const std::vector<float> x_scale = random_floats(rng, m, 1e-3f, 1e-1f);
        const std::vector<float> w_scale = random_floats(rng, n, 1e-3f, 1e-1f);
        const size_t y_stride = n + 2;
        std::vector<float> y(m * y_stride);
        GetParam().fn({xq.data(), x_scale.data(), packed.packed.data(), w_scale.data(), y.data(), y_stride, m, k, n,
                       packed.row_sums.data()},
                      0, n);
        for (size_t i = 0; i < m; ++i) {
          for (size_t j = 0; j < n; ++j) {
            int64_t acc = 0;
            for (size_t l = 0; l < k; ++l) acc += int64_t{xq[i * k + l]} * int64_t{w[j * k + l]};
            const float want = static_cast<float>(acc) * x_scale[i] * w_scale[j];
            ASSERT_EQ(y[i * y_stride + j], want) << i << " " << j << " acc=" << acc;
          }
        }
      }
    }
  }
}

// Quantizing x and w with the reference quantizer and running the int8 kernel must stay within the worst-case
// quantization error: each code is off by at most half a step, so
// |x.w - xq.wq * sx * sw| <= sum_k (|x_k| * sw / 2 + |w_k| * sx / 2 + sx * sw / 4).
TEST_P(FullyConnectedQ8Test, QuantizedMatchesFloatWithinQuantizationBudget) {
  std::mt19937 rng(10);
  for (size_t k : kOddSizes) {
    const size_t m = 3, n = 17;
    SCOPED_TRACE(testing::Message() << "k=" << k);
    const std::vector<float> x = random_floats(rng, m * k, -3.0f, 3.0f);
    const std::vector<float> w = random_floats(rng, n * k, -0.5f, 0.5f);
    std::vector<int8_t> xq(m * k), wq(n * k);
    std::vector<float> x_scale(m), w_scale(n), y(m * n);
    quantize_rows_q8_ref(x.data(), k, m, k, xq.data(), x_scale.data());
    quantize_rows_q8_ref(w.data(), k, n, k, wq.data(), w_scale.data());
    const PackedInt8 packed(wq, n, k);
    GetParam().fn({xq.data(), x_scale.data(), packed.packed.data(), w_scale.data(), y.data(), n, m, k, n,
                   packed.row_sums.data()},
                  0, n);

    std::vector<double> want(m * n), magnitude(m * n);
    naive_fully_connected(x.data(), k, w.data(), m, k, n, want.data(), magnitude.data());
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const double sx = x_scale[i], sw = w_scale[j];
        double budget = 0.0;
        for (size_t l = 0; l < k; ++l)
          budget += std::fabs(x[i * k + l]) * sw / 2 + std::fabs(w[j * k + l]) * sx / 2 + sx * sw / 4;
        budget *= 1.0 + 2 * kQuantizeRoundTripSlack;
        ASSERT_NEAR(y[i * n + j], want[i * n + j], budget) << i << " " << j;
      }
    }
  }
}

// A thread's column range may start and end inside a 16-channel block: exactly its columns are written, with the
// values the whole range gives.
TEST_P(FullyConnectedQ8Test, ColumnRangesWriteExactlyTheirColumns) {
  std::mt19937 rng(11);
  const size_t m = 5, k = 65, n = 113;
  const float kSentinel = -12345.0f;
  const std::vector<int8_t> xq = random_int8(rng, m * k, kInt8ActivationMin);
  const PackedInt8 packed(random_int8(rng, n * k), n, k);
  const std::vector<float> x_scale(m, 0.01f), w_scale(n, 0.02f);
  const FullyConnectedQ8Args args{xq.data(), x_scale.data(), packed.packed.data(), w_scale.data(), nullptr, n,
                                  m,         k,              n,                    packed.row_sums.data()};
  std::vector<float> whole(m * n);
  FullyConnectedQ8Args whole_args = args;
  whole_args.y = whole.data();
  GetParam().fn(whole_args, 0, n);
  for (const auto& [begin, end] : {std::pair<size_t, size_t>{3, 11}, {16, 32}, {5, 100}, {96, 113}, {0, 1}}) {
    std::vector<float> y(m * n, kSentinel);
    FullyConnectedQ8Args range_args = args;
    range_args.y = y.data();
    GetParam().fn(range_args, begin, end);
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j) {
        if (j < begin || j >= end)
          ASSERT_EQ(y[i * n + j], kSentinel) << begin << ".." << end << ": " << i << " " << j;
        else
          ASSERT_EQ(y[i * n + j], whole[i * n + j]) << begin << ".." << end << ": " << i << " " << j;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedQ8Test,
                         testing::Values(Variant<FullyConnectedQ8Fn>{"reference", fully_connected_q8_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<FullyConnectedQ8Fn>{"avx2", fully_connected_q8_avx2, Isa::kAvx2},
                                         Variant<FullyConnectedQ8Fn>{"avxvnni", fully_connected_q8_avxvnni,
                                                                     Isa::kAvxVnni},
                                         Variant<FullyConnectedQ8Fn>{"avx512vnni", fully_connected_q8_avx512vnni,
                                                                     Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS)
                                         ,
                                         Variant<FullyConnectedQ8Fn>{"neon", fully_connected_q8_neon, Isa::kNeon}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<FullyConnectedQ8Fn>{"neondotprod", fully_connected_q8_neon_dotprod,
                                                                     Isa::kNeonDotprod},
                                         Variant<FullyConnectedQ8Fn>{"neoni8mm", fully_connected_q8_neon_i8mm,
                                                                     Isa::kNeonI8mm}
#endif
                                         ),
                         variant_name<FullyConnectedQ8Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Fully connected, int4 group-wise weights

#if defined(__x86_64__)
// Half precision against the CPU's own conversion (F16C), over specials, the subnormal range, ties and random bits.
__attribute__((target("f16c"))) uint16_t hardware_float_to_half(float v) {
  return static_cast<uint16_t>(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float hardware_half_to_float(uint16_t h) { return _cvtsh_ss(h); }

TEST(HalfTest, MatchesTheCpuConversionBothWays) {
  if (!isa_supported(Isa::kAvx2)) GTEST_SKIP() << "no F16C to compare with";
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float want = hardware_half_to_float(static_cast<uint16_t>(h)), got = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << h;
    } else {
      ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << h;
    }
  }
  std::mt19937 rng(13);
  std::vector<float> values = {0.0f, -0.0f, 65504.0f, 65519.0f, 65520.0f, 1e-8f, 2.9802322e-8f, 5.9604645e-8f,
                               6.1035156e-5f, 6.1e-5f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048,
                               std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng());
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isnan(v)) values.push_back(v);
  }
  for (float v : values) ASSERT_EQ(float_to_half(v), hardware_float_to_half(v)) << v;
}
#endif

TEST(Int4PackingTest, NibblesAndScalesWhereTheLayoutSays) {
  std::mt19937 rng(14);
  for (const auto& shape : {std::pair<size_t, size_t>{17, 40}, {16, 32}, {3, 7}}) {
    const size_t n = shape.first, k = shape.second;  // not a structured binding: lambdas below capture them
    const size_t groups = (k + 31) / 32, blocks = (n + 15) / 16;
    std::vector<int8_t> codes(n * k);
    for (int8_t& c : codes) c = static_cast<int8_t>(int(rng() % 16) - 8);
    std::vector<uint16_t> scales(n * groups);
    for (uint16_t& s : scales) s = static_cast<uint16_t>(rng());
    std::vector<uint8_t> packed(int4_packed_bytes(n, k));
    std::vector<uint16_t> packed_scales(int4_packed_scale_count(n, k));
    ASSERT_EQ(packed.size(), blocks * groups * 256);
    pack_int4_weights(codes.data(), scales.data(), n, k, packed.data(), packed_scales.data());
    // Written out from the layout's definition: block, group, chunk j, channel, input; low nibble = quad 2j.
    for (size_t b = 0; b < blocks; ++b)
      for (size_t g = 0; g < groups; ++g)
        for (size_t j = 0; j < 4; ++j)
          for (size_t c = 0; c < 16; ++c)
            for (size_t d = 0; d < 4; ++d) {
              const uint8_t byte = packed[((b * groups + g) * 4 + j) * 64 + c * 4 + d];
              const size_t channel = b * 16 + c, low_depth = g * 32 + j * 8 + d, high_depth = low_depth + 4;
              const auto code = [&](size_t depth) { return channel < n && depth < k ? codes[channel * k + depth] : 0; };
              ASSERT_EQ((byte & 0x0f) - 8, code(low_depth)) << channel << " " << low_depth;
              ASSERT_EQ((byte >> 4) - 8, code(high_depth)) << channel << " " << high_depth;
              if (d == 0 && j == 0) {
                ASSERT_EQ(packed_scales[(b * groups + g) * 16 + c], channel < n ? scales[channel * groups + g] : 0);
              }
            }
  }
}

using FullyConnectedQ4Test = VariantTest<FullyConnectedQ4Fn>;

// Exact group sums (int64 here), then the float accumulation in group order that the reference defines: every
// variant must give identical bits. Codes at -8 and 7, activations at -128 and 127; k around the 32-input group,
// n around the 16-channel block and the 3-block tile, m around the row tiles.
TEST_P(FullyConnectedQ4Test, MatchesExactGroupSumsAtTheExtremes) {
  std::mt19937 rng(15);
  for (size_t k : {1, 4, 31, 32, 33, 64, 100, 4097}) {
    for (size_t n : {1, 16, 17, 48, 50}) {
      for (size_t m : {1, 4, 5}) {
        SCOPED_TRACE(testing::Message() << "k=" << k << " n=" << n << " m=" << m);
        const size_t groups = (k + 31) / 32;
        std::vector<int8_t> xq = random_int8(rng, m * k);
        std::fill(xq.begin(), xq.begin() + k, int8_t{-128});
        if (m > 1) std::fill(xq.begin() + k, xq.begin() + 2 * k, int8_t{127});
        std::vector<int8_t> codes(n * k);
        for (int8_t& c : codes) c = static_cast<int8_t>(int(rng() % 16) - 8);
        std::fill(codes.begin(), codes.begin() + k, int8_t{-8});
        if (n > 1) std::fill(codes.begin() + k, codes.begin() + 2 * k, int8_t{7});
        std::vector<uint16_t> scales(n * groups);
        for (uint16_t& s : scales) s = float_to_half(std::uniform_real_distribution<float>(1e-3f, 1e-1f)(rng));
        std::vector<uint8_t> packed(int4_packed_bytes(n, k));
        std::vector<uint16_t> packed_scales(int4_packed_scale_count(n, k));
        pack_int4_weights(codes.data(), scales.data(), n, k, packed.data(), packed_scales.data());
        const std::vector<float> x_scale = random_floats(rng, m, 1e-3f, 1e-1f);
        const size_t y_stride = n + 1;
        std::vector<float> y(m * y_stride);
        GetParam().fn({xq.data(), x_scale.data(), packed.data(), packed_scales.data(), y.data(), y_stride, m, k, n},
                      0, n);
        for (size_t i = 0; i < m; ++i)
          for (size_t j = 0; j < n; ++j) {
            float acc = 0.0f;
            for (size_t g = 0; g < groups; ++g) {
              int64_t sum = 0;
              for (size_t l = g * 32; l < std::min(k, g * 32 + 32); ++l)
                sum += int64_t{codes[j * k + l]} * int64_t{xq[i * k + l]};
              const volatile float product = static_cast<float>(sum) * half_to_float(scales[j * groups + g]);
              acc += product;
            }
            ASSERT_EQ(y[i * y_stride + j], acc * x_scale[i]) << i << " " << j;
          }
      }
    }
  }
}

TEST_P(FullyConnectedQ4Test, ColumnRangesWriteExactlyTheirColumns) {
  std::mt19937 rng(16);
  const size_t m = 3, k = 70, n = 53, groups = 3;
  const float kSentinel = -12345.0f;
  const std::vector<int8_t> xq = random_int8(rng, m * k);
  std::vector<int8_t> codes(n * k);
  for (int8_t& c : codes) c = static_cast<int8_t>(int(rng() % 16) - 8);
  const std::vector<uint16_t> scales(n * groups, float_to_half(0.03f));
  std::vector<uint8_t> packed(int4_packed_bytes(n, k));
  std::vector<uint16_t> packed_scales(int4_packed_scale_count(n, k));
  pack_int4_weights(codes.data(), scales.data(), n, k, packed.data(), packed_scales.data());
  const std::vector<float> x_scale(m, 0.01f);
  std::vector<float> whole(m * n);
  GetParam().fn({xq.data(), x_scale.data(), packed.data(), packed_scales.data(), whole.data(), n, m, k, n}, 0, n);
  for (const auto& [begin, end] : {std::pair<size_t, size_t>{3, 11}, {16, 32}, {5, 50}, {48, 53}}) {
    std::vector<float> y(m * n, kSentinel);
    GetParam().fn({xq.data(), x_scale.data(), packed.data(), packed_scales.data(), y.data(), n, m, k, n}, begin, end);
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j)
        ASSERT_EQ(y[i * n + j], j < begin || j >= end ? kSentinel : whole[i * n + j]) << begin << ".." << end;
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedQ4Test,
                         testing::Values(Variant<FullyConnectedQ4Fn>{"reference", fully_connected_q4_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<FullyConnectedQ4Fn>{"avx2", fully_connected_q4_avx2, Isa::kAvx2},
                                         Variant<FullyConnectedQ4Fn>{"avxvnni", fully_connected_q4_avxvnni,
                                                                     Isa::kAvxVnni},
                                         Variant<FullyConnectedQ4Fn>{"avx512vnni", fully_connected_q4_avx512vnni,
                                                                     Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS)
                                         ,
                                         Variant<FullyConnectedQ4Fn>{"neon", fully_connected_q4_neon, Isa::kNeon}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<FullyConnectedQ4Fn>{"neondotprod", fully_connected_q4_neon_dotprod,
                                                                     Isa::kNeonDotprod}
#endif
                                         ),
                         variant_name<FullyConnectedQ4Fn>);

// ---------------------------------------------------------------------------------------------------------------
// RoPE

void naive_rope(std::vector<double>& x, size_t row_stride, size_t rows, size_t heads, size_t head_dim,
                size_t pos0, double theta, RopeStyle style) {
  const size_t half = head_dim / 2;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t h = 0; h < heads; ++h) {
      double* head = x.data() + r * row_stride + h * head_dim;
      for (size_t i = 0; i < half; ++i) {
        const double angle = double(pos0 + r) / std::pow(theta, double(2 * i) / double(head_dim));
        double& a = style == RopeStyle::kInterleaved ? head[2 * i] : head[i];
        double& b = style == RopeStyle::kInterleaved ? head[2 * i + 1] : head[i + half];
        const double a0 = a, b0 = b;
        a = a0 * std::cos(angle) - b0 * std::sin(angle);
        b = a0 * std::sin(angle) + b0 * std::cos(angle);
      }
    }
  }
}

using RopeTest = VariantTest<RopeF32Fn>;

constexpr RopeStyle kRopeStyles[] = {RopeStyle::kInterleaved, RopeStyle::kHalf};

// q and k in one call (grouped-query: fewer k heads, other strides) rotate exactly as in two separate calls.
TEST_P(RopeTest, QAndKTogetherEqualSeparateCalls) {
  std::mt19937 rng(21);
  for (RopeStyle style : kRopeStyles) {
    const size_t rows = 4, head_dim = 16, q_heads = 6, k_heads = 2, q_stride = q_heads * head_dim + 3,
                 k_stride = k_heads * head_dim + 1, pos0 = 11;
    const std::vector<float> q = random_floats(rng, rows * q_stride), k = random_floats(rng, rows * k_stride);
    std::vector<float> q_together = q, k_together = k, q_alone = q, k_alone = k;
    GetParam().fn(q_together.data(), q_stride, q_heads, k_together.data(), k_stride, k_heads, rows, head_dim, pos0,
                  10000.0f, style);
    GetParam().fn(q_alone.data(), q_stride, q_heads, nullptr, 0, 0, rows, head_dim, pos0, 10000.0f, style);
    GetParam().fn(k_alone.data(), k_stride, k_heads, nullptr, 0, 0, rows, head_dim, pos0, 10000.0f, style);
    EXPECT_EQ(q_together, q_alone);
    EXPECT_EQ(k_together, k_alone);
  }
}

// head_dim: one pair, pair counts around the 8-pair SIMD step, and more than the 64 pairs computed together;
// positions up to a long context's.
TEST_P(RopeTest, MatchesNaiveDouble) {
  std::mt19937 rng(12);
  for (RopeStyle style : kRopeStyles) {
    for (size_t head_dim : {2, 6, 16, 34, 64, 160}) {
      for (size_t heads : {1, 3}) {
        for (size_t pos0 : {0, 1, 37, 200, 32768, 131000}) {
          const size_t rows = 3, row_stride = heads * head_dim + 5;
          const float theta = head_dim == 64 ? 500000.0f : 10000.0f;
          SCOPED_TRACE(testing::Message() << "style " << int(style) << " head_dim=" << head_dim << " heads=" << heads
                                          << " pos0=" << pos0);
          std::vector<float> x = random_floats(rng, rows * row_stride);
          std::vector<double> want(x.begin(), x.end());
          GetParam().fn(x.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0, theta, style);
          naive_rope(want, row_stride, rows, heads, head_dim, pos0, theta, style);
          for (size_t r = 0; r < rows; ++r) {
            const double budget = kRopeMaxErrorPerRadian * double(pos0 + r) + kRopeMaxAbsError;
            for (size_t i = 0; i < row_stride; ++i)
              ASSERT_NEAR(x[r * row_stride + i], want[r * row_stride + i], budget) << r << " " << i;
          }
        }
      }
    }
  }
}

// The rotation rounds as the reference does, and the sin / cos differ from libm's by one rounding at most: nearly
// every element is the reference's bits, and the rest within one rounding of a sin / cos.
TEST_P(RopeTest, AgreesWithTheReferenceBits) {
  std::mt19937 rng(31);
  for (RopeStyle style : kRopeStyles) {
    const size_t rows = 512, heads = 4, head_dim = 128, row_stride = heads * head_dim, pos0 = 1000;
    const std::vector<float> x = random_floats(rng, rows * row_stride);
    std::vector<float> got = x, want = x;
    GetParam().fn(got.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0, 10000.0f, style);
    rope_f32_ref(want.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0, 10000.0f, style);
    size_t differing = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (got[i] == want[i]) continue;
      ++differing;
      ASSERT_NEAR(got[i], want[i], kRopeMaxAbsError) << i;
    }
    EXPECT_LE(double(differing), kRopeMaxDifferingFraction * double(x.size()));
  }
}

TEST_P(RopeTest, PositionZeroIsIdentity) {
  std::mt19937 rng(13);
  for (RopeStyle style : kRopeStyles) {
    const size_t heads = 3, head_dim = 16;
    const std::vector<float> original = random_floats(rng, heads * head_dim);
    std::vector<float> x = original;
    GetParam().fn(x.data(), heads * head_dim, heads, nullptr, 0, 0, 1, head_dim, 0, 10000.0f, style);
    EXPECT_EQ(x, original);
  }
}

TEST_P(RopeTest, PreservesNormOfEachPair) {
  std::mt19937 rng(14);
  for (RopeStyle style : kRopeStyles) {
    const size_t heads = 2, head_dim = 32, rows = 5, pos0 = 1000;
    const size_t half = head_dim / 2;
    const std::vector<float> original = random_floats(rng, rows * heads * head_dim);
    std::vector<float> x = original;
    GetParam().fn(x.data(), heads * head_dim, heads, nullptr, 0, 0, rows, head_dim, pos0, 10000.0f, style);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t h = 0; h < heads; ++h) {
        for (size_t i = 0; i < half; ++i) {
          const size_t base = (r * heads + h) * head_dim;
          const size_t ia = base + (style == RopeStyle::kInterleaved ? 2 * i : i);
          const size_t ib = style == RopeStyle::kInterleaved ? ia + 1 : ia + half;
          const double before = std::hypot(double(original[ia]), double(original[ib]));
          const double after = std::hypot(double(x[ia]), double(x[ib]));
          ASSERT_NEAR(after, before, kMaxRelativeError * before) << r << " " << h << " " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RopeTest,
                         testing::Values(Variant<RopeF32Fn>{"reference", rope_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<RopeF32Fn>{"avx2", rope_f32_avx2, Isa::kAvx2}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<RopeF32Fn>{"neon", rope_f32_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<RopeF32Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Attention

struct AttentionProblem {
  size_t rows, heads, kv_heads, head_dim, pos0;
  float score_scale = 0.0f;  // 0: 1 / sqrt(head_dim)
  size_t bidirectional_keys = 0;  // 0: causal; else every row sees keys 0 .. bidirectional_keys - 1
  std::vector<float> q, k_cache, v_cache;
  size_t q_stride, kv_stride, out_stride, context;

  AttentionProblem(std::mt19937& rng, size_t rows_, size_t heads_, size_t kv_heads_, size_t head_dim_,
                   size_t pos0_)
      : rows(rows_), heads(heads_), kv_heads(kv_heads_), head_dim(head_dim_), pos0(pos0_) {
    // Strides wider than the rows, and cache positions past pos0 + rows - 1 filled with NaN: reading beyond
    // the causal window or the row would poison the output.
    q_stride = heads * head_dim + 3;
    kv_stride = kv_heads * head_dim + 5;
    out_stride = heads * head_dim + 7;
    context = pos0 + rows + 4;
    q = random_floats(rng, rows * q_stride);
    k_cache = random_floats(rng, context * kv_stride);
    v_cache = random_floats(rng, context * kv_stride);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::fill(k_cache.begin() + (pos0 + rows) * kv_stride, k_cache.end(), nan);
    std::fill(v_cache.begin() + (pos0 + rows) * kv_stride, v_cache.end(), nan);
  }

  float scale() const { return score_scale != 0.0f ? score_scale : 1.0f / std::sqrt(float(head_dim)); }

  AttentionArgs args(float* out) const {
    AttentionArgs a{q.data(), q_stride, k_cache.data(), v_cache.data(), kv_stride, out, out_stride,
                    rows,     heads,    kv_heads,       head_dim,       pos0,      scale()};
    a.causal = bidirectional_keys == 0;
    a.keys = bidirectional_keys;
    if (cache_type == KvCacheType::kF16) {
      a.cache_type = cache_type;
      a.k_cache = k_half.data();
      a.v_cache = v_half.data();
    } else if (cache_type == KvCacheType::kI8) {
      a.cache_type = cache_type;
      a.k_cache = k_codes.data();
      a.v_cache = v_codes.data();
      a.k_scales = k_scales.data();
      a.v_scales = v_scales.data();
    }
    return a;
  }

  // Stores the caches as f16 or int8 (per position and KV head: scale max|x| / 127, codes rounded) and replaces
  // the f32 caches by the values they now represent, so that naive() describes what the kernels read.
  void store_caches_as(KvCacheType type) {
    cache_type = type;
    const size_t elements = context * kv_stride;
    if (type == KvCacheType::kF16) {
      k_half.resize(elements);
      v_half.resize(elements);
      for (size_t i = 0; i < elements; ++i) {
        k_half[i] = float_to_half(k_cache[i]);
        v_half[i] = float_to_half(v_cache[i]);
        k_cache[i] = half_to_float(k_half[i]);
        v_cache[i] = half_to_float(v_half[i]);
      }
    } else if (type == KvCacheType::kI8) {
      k_codes.assign(elements, 0);
      v_codes.assign(elements, 0);
      k_scales.assign(context * kv_heads, 0.0f);
      v_scales.assign(context * kv_heads, 0.0f);
      // Only the filled positions: past them the f32 caches hold NaN, which int8 cannot (the kernels must not
      // read there anyway).
      const size_t filled = bidirectional_keys != 0 ? bidirectional_keys : pos0 + rows;
      for (size_t t = 0; t < filled; ++t)
        for (size_t h = 0; h < kv_heads; ++h)
          for (auto [values, codes, scales] : {std::tuple{&k_cache, &k_codes, &k_scales}, {&v_cache, &v_codes, &v_scales}}) {
            float* x = values->data() + t * kv_stride + h * head_dim;
            double amax = 0;
            for (size_t i = 0; i < head_dim; ++i) amax = std::max(amax, std::fabs(double(x[i])));
            const float scale = float(amax / 127.0);
            (*scales)[t * kv_heads + h] = scale;
            for (size_t i = 0; i < head_dim; ++i) {
              const int8_t code = scale == 0 ? 0 : int8_t(std::lround(x[i] / scale));
              (*codes)[t * kv_stride + h * head_dim + i] = code;
              x[i] = float(code) * scale;
            }
          }
    }
  }
  KvCacheType cache_type = KvCacheType::kF32;
  std::vector<uint16_t> k_half, v_half;
  std::vector<int8_t> k_codes, v_codes;
  std::vector<float> k_scales, v_scales;

  // All scores of a (row, head) materialized in double, then a two-pass softmax.
  std::vector<double> naive() const {
    std::vector<double> out(rows * out_stride, 0.0);
    const size_t group = heads / kv_heads;
    for (size_t r = 0; r < rows; ++r) {
      const size_t keys = bidirectional_keys != 0 ? bidirectional_keys : pos0 + r + 1;
      for (size_t h = 0; h < heads; ++h) {
        const float* qh = q.data() + r * q_stride + h * head_dim;
        const size_t kv_head = h / group;
        std::vector<double> scores(keys);
        for (size_t t = 0; t < keys; ++t) {
          double s = 0.0;
          for (size_t i = 0; i < head_dim; ++i)
            s += double(qh[i]) * k_cache[t * kv_stride + kv_head * head_dim + i];
          scores[t] = s * scale();
        }
        const double max = *std::max_element(scores.begin(), scores.end());
        double sum = 0.0;
        for (double& s : scores) sum += (s = std::exp(s - max));
        for (size_t t = 0; t < keys; ++t)
          for (size_t i = 0; i < head_dim; ++i)
            out[r * out_stride + h * head_dim + i] +=
                scores[t] / sum * v_cache[t * kv_stride + kv_head * head_dim + i];
      }
    }
    return out;
  }
};

class AttentionTest : public VariantTest<AttentionF32Fn> {
 protected:
  void ExpectMatchesNaive(const AttentionProblem& p, double max_abs_error) {
    std::vector<float> out(p.rows * p.out_stride, 0.0f);
    GetParam().fn(p.args(out.data()), 0, p.rows, 0, p.heads);
    const std::vector<double> want = p.naive();
    for (size_t r = 0; r < p.rows; ++r)
      for (size_t i = 0; i < p.heads * p.head_dim; ++i)
        ASSERT_NEAR(out[r * p.out_stride + i], want[r * p.out_stride + i], max_abs_error)
            << "row " << r << " element " << i;
  }

  void ExpectMatchesNaiveOverShapes(size_t heads, size_t kv_heads) {
    std::mt19937 rng(15 + heads * 31 + kv_heads);
    for (size_t head_dim : {1, 3, 17, 64, 65, 128, 129}) {
      for (size_t pos0 : {0, 1, 16, 63}) {
        // AVX-512 tiles hold 16 rows, AVX2 tiles 8; fewer than 4 rows go one by one. 9: one partial tile of 16, or
        // a tile of 8 and a row; 13: a tile of 8 and a partial one of 5; 20: a tile of 16 and one of 4, or 8, 8, 4.
        for (size_t rows : {1, 3, 9, 13, 20}) {
          SCOPED_TRACE(testing::Message() << "heads=" << heads << " kv_heads=" << kv_heads << " head_dim="
                                          << head_dim << " pos0=" << pos0 << " rows=" << rows);
          ExpectMatchesNaive(AttentionProblem(rng, rows, heads, kv_heads, head_dim, pos0), kAttentionMaxAbsError);
        }
      }
    }
  }
};

TEST_P(AttentionTest, MultiHeadMatchesNaive) { ExpectMatchesNaiveOverShapes(4, 4); }

// f16 and int8 caches: the kernels must compute attention over exactly the values the cache represents (naive
// here is the double-precision attention over the dequantized caches).
TEST_P(AttentionTest, HalfAndInt8CachesMatchNaiveOfWhatTheyHold) {
  std::mt19937 rng(19);
  for (KvCacheType type : {KvCacheType::kF16, KvCacheType::kI8}) {
    for (size_t head_dim : {8, 16, 17, 64, 128}) {
      for (size_t pos0 : {0, 9, 40}) {
        SCOPED_TRACE(testing::Message() << "cache " << int(type) << " head_dim=" << head_dim << " pos0=" << pos0);
        AttentionProblem p(rng, 6, 8, 2, head_dim, pos0);
        p.store_caches_as(type);
        ExpectMatchesNaive(p, kAttentionMaxAbsError);
      }
    }
  }
}

TEST_P(AttentionTest, GroupedQueryMatchesNaive) { ExpectMatchesNaiveOverShapes(8, 2); }

TEST_P(AttentionTest, MultiQueryMatchesNaive) { ExpectMatchesNaiveOverShapes(6, 1); }

// Encoders and cross-attention: every row sees the same keys, fewer than the rows (padding) or more; keys past them
// hold NaN. All caches, tiles and partial tiles.
TEST_P(AttentionTest, BidirectionalRowsSeeExactlyTheirKeys) {
  std::mt19937 rng(23);
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kI8})
    for (size_t head_dim : {16, 17, 64})
      for (size_t rows : {1, 3, 20, 33})
        for (size_t keys : {size_t{1}, size_t{5}, rows, rows + 19}) {
          if (type != KvCacheType::kF32 && head_dim % 8 != 0) continue;
          SCOPED_TRACE(testing::Message() << "cache " << int(type) << " head_dim=" << head_dim << " rows=" << rows
                                          << " keys=" << keys);
          // The filled positions are pos0 + rows: make them cover `keys`, then poison everything past `keys`.
          AttentionProblem p(rng, rows, 4, 2, head_dim, keys > rows ? keys - rows : 0);
          p.bidirectional_keys = keys;
          const float nan = std::numeric_limits<float>::quiet_NaN();
          std::fill(p.k_cache.begin() + keys * p.kv_stride, p.k_cache.end(), nan);
          std::fill(p.v_cache.begin() + keys * p.kv_stride, p.v_cache.end(), nan);
          p.store_caches_as(type);
          ExpectMatchesNaive(p, kAttentionMaxAbsError);
        }
}

// A row of a call with several rows gets the same bits whatever rows are computed beside it: fewer rows (an unpadded
// sequence) give the first rows of more (the same sequence padded), causal and bidirectional.
TEST_P(AttentionTest, RowsDoNotDependOnTheRowsBesideThem) {
  std::mt19937 rng(29);
  for (size_t bidirectional_keys : {size_t{0}, size_t{7}, size_t{40}}) {
    AttentionProblem padded(rng, 40, 4, 2, 64, 3);
    padded.bidirectional_keys = bidirectional_keys;
    std::vector<float> padded_out(padded.rows * padded.out_stride);
    GetParam().fn(padded.args(padded_out.data()), 0, padded.rows, 0, padded.heads);
    for (size_t rows : {2, 3, 9, 17, 20}) {
      SCOPED_TRACE(testing::Message() << "keys=" << bidirectional_keys << " rows=" << rows);
      AttentionProblem unpadded = padded;
      unpadded.rows = rows;
      std::vector<float> out(rows * padded.out_stride);
      GetParam().fn(unpadded.args(out.data()), 0, rows, 0, padded.heads);
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], padded_out[i]) << i;
    }
  }
}

// Prefill of several rows after a cached prefix: row r must see keys 0 .. pos0 + r only.
TEST_P(AttentionTest, RowsAfterPrefixAreCausal) {
  std::mt19937 rng(16);
  AttentionProblem p(rng, 5, 4, 2, 16, 9);
  ExpectMatchesNaive(p, kAttentionMaxAbsError);

  std::vector<float> before(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(before.data()), 0, p.rows, 0, p.heads);
  // Changing the keys and values of the last position only changes the last row.
  const size_t last = p.pos0 + p.rows - 1;
  for (size_t i = 0; i < p.kv_heads * p.head_dim; ++i) {
    p.k_cache[last * p.kv_stride + i] += 0.5f;
    p.v_cache[last * p.kv_stride + i] -= 0.5f;
  }
  std::vector<float> after(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(after.data()), 0, p.rows, 0, p.heads);
  const size_t row_floats = p.heads * p.head_dim;
  for (size_t r = 0; r + 1 < p.rows; ++r)
    for (size_t i = 0; i < row_floats; ++i)
      ASSERT_EQ(after[r * p.out_stride + i], before[r * p.out_stride + i]) << r << " " << i;
  bool last_row_changed = false;
  for (size_t i = 0; i < row_floats; ++i)
    last_row_changed |= after[(p.rows - 1) * p.out_stride + i] != before[(p.rows - 1) * p.out_stride + i];
  EXPECT_TRUE(last_row_changed);
}

// Splitting rows and heads among threads writes nothing else. Rows split in whole tiles of kAttentionRowTile (as
// the runtime splits them) give the same bits as one call; other splits may round differently, within the budget.
TEST_P(AttentionTest, SubrangesWriteOnlyTheirSlices) {
  std::mt19937 rng(17);
  const AttentionProblem p(rng, 2 * kAttentionRowTile + 8, 8, 2, 17, 5);
  std::vector<float> whole(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(whole.data()), 0, p.rows, 0, p.heads);

  const size_t head_begin = 3, head_end = 6;
  const float kSentinel = -12345.0f;
  for (const auto& [row_begin, row_end] : {std::pair<size_t, size_t>{kAttentionRowTile, 2 * kAttentionRowTile},
                                           {2 * kAttentionRowTile, p.rows}, {1, 3}, {5, 27}}) {
    SCOPED_TRACE(testing::Message() << "rows " << row_begin << ".." << row_end);
    const bool whole_tiles = row_begin % kAttentionRowTile == 0;
    std::vector<float> part(p.rows * p.out_stride, kSentinel);
    GetParam().fn(p.args(part.data()), row_begin, row_end, head_begin, head_end);
    for (size_t r = 0; r < p.rows; ++r) {
      for (size_t i = 0; i < p.out_stride; ++i) {
        const size_t h = i / p.head_dim;
        const bool inside = r >= row_begin && r < row_end && h >= head_begin && h < head_end;
        if (!inside)
          ASSERT_EQ(part[r * p.out_stride + i], kSentinel) << r << " " << i;
        else if (whole_tiles)
          ASSERT_EQ(part[r * p.out_stride + i], whole[r * p.out_stride + i]) << r << " " << i;
        else
          ASSERT_NEAR(part[r * p.out_stride + i], whole[r * p.out_stride + i], kAttentionMaxAbsError) << r << " " << i;
      }
    }
  }
}

TEST_P(AttentionTest, LargeScoresDoNotOverflow) {
  std::mt19937 rng(18);
  const size_t head_dim = 16, pos0 = 40, rows = 2;
  AttentionProblem p(rng, rows, 2, 1, head_dim, pos0);
  p.score_scale = 1.0f;
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < 2 * head_dim; ++i) p.q[r * p.q_stride + i] = 10.0f;
  for (size_t t = 0; t < pos0 + rows; ++t)
    for (size_t i = 0; i < head_dim; ++i)  // q.k = 160 * k_i: from about 960 up to about 1000
      p.k_cache[t * p.kv_stride + i] = 6.0f + 0.25f * float(t) / float(pos0 + rows) + 0.001f * float(i % 3);

  std::vector<float> out(rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(out.data()), 0, rows, 0, p.heads);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < 2 * head_dim; ++i) ASSERT_TRUE(std::isfinite(out[r * p.out_stride + i])) << r << i;
  ExpectMatchesNaive(p, kLargeScoreAttentionMaxAbsError);
}

INSTANTIATE_TEST_SUITE_P(Variants, AttentionTest,
                         testing::Values(Variant<AttentionF32Fn>{"reference", attention_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<AttentionF32Fn>{"avx2", attention_f32_avx2, Isa::kAvx2},
                                         Variant<AttentionF32Fn>{"avx512", attention_f32_avx512,
                                                                 Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<AttentionF32Fn>{"neon", attention_f32_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<AttentionF32Fn>);

// ---------------------------------------------------------------------------------------------------------------
// Element-wise

TEST(ElementwiseTest, AddMatchesNaiveAndMayAlias) {
  std::mt19937 rng(19);
  for (size_t count : kOddSizes) {
    std::vector<float> a = random_floats(rng, count);
    const std::vector<float> b = random_floats(rng, count);
    std::vector<float> y(count);
    add_f32_ref(a.data(), b.data(), count, y.data());
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(y[i], a[i] + b[i]);
    add_f32_ref(a.data(), b.data(), count, a.data());
    EXPECT_EQ(a, y);
  }
}

using SwiGluTest = VariantTest<SwiGluF32Fn>;

// Every variant against double precision, at every tail length, at gates whose exp overflows a float (the result
// must be -0 or a tiny number, never NaN), and computing in place over either input.
TEST_P(SwiGluTest, MatchesNaiveDoubleAndMayAlias) {
  std::mt19937 rng(20);
  for (size_t count : {1, 3, 7, 8, 9, 15, 16, 17, 63, 65, 129}) {
    std::vector<float> gate = random_floats(rng, count, -20.0f, 20.0f);
    std::vector<float> up = random_floats(rng, count, -3.0f, 3.0f);
    gate[0] = -100.0f;  // expf(100) overflows to infinity
    if (count > 2) gate[2] = 95.0f;
    if (count > 8) gate[8] = -0.0f;
    std::vector<float> y(count);
    GetParam().fn(gate.data(), up.data(), count, y.data());
    for (size_t i = 0; i < count; ++i) {
      const double want = double(gate[i]) / (1.0 + std::exp(-double(gate[i]))) * up[i];
      ASSERT_FALSE(std::isnan(y[i])) << i;
      ASSERT_NEAR(y[i], want, kSwiGluMaxRelativeError * std::fabs(want) + 1e-30) << "count " << count << " " << i;
    }
    std::vector<float> in_place = gate;
    GetParam().fn(in_place.data(), up.data(), count, in_place.data());
    EXPECT_EQ(in_place, y);
    in_place = up;
    GetParam().fn(gate.data(), in_place.data(), count, in_place.data());
    EXPECT_EQ(in_place, y);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, SwiGluTest,
                         testing::Values(Variant<SwiGluF32Fn>{"reference", swiglu_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<SwiGluF32Fn>{"avx2", swiglu_f32_avx2, Isa::kAvx2},
                                         Variant<SwiGluF32Fn>{"avx512", swiglu_f32_avx512, Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<SwiGluF32Fn>{"neon", swiglu_f32_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<SwiGluF32Fn>);

using GeluTest = VariantTest<GeluF32Fn>;

// Both GELUs of every variant against double precision, over the range activations take and beyond: the negative
// tail, where the exact GELU is a tiny product that cancellation would ruin, and inputs whose exp overflows a float.
// The reference (libm's erfcf and expf) is held to 1e-5 (in the far tail the float argument's rounding is amplified
// by about 2 z^2), the vector approximations to kGeluMaxRelativeError.
TEST_P(GeluTest, MatchesNaiveDoubleAndMayAlias) {
  const double budget = GetParam().isa == Isa::kScalar ? 1e-5 : kGeluMaxRelativeError;
  std::mt19937 rng(21);
  for (bool tanh_approximation : {false, true}) {
    for (size_t count : {1, 7, 8, 9, 16, 17, 33, 1000}) {
      std::vector<float> x = random_floats(rng, count, -12.0f, 12.0f);
      const float extremes[] = {-100.0f, 100.0f, -0.0f, 0.0f, -5.5f, 3e-8f, -30.0f};
      for (size_t i = 0; i < count && i < std::size(extremes); ++i) x[i * 3 % count] = extremes[i];
      std::vector<float> y(count);
      GetParam().fn(x.data(), count, tanh_approximation, y.data());
      for (size_t i = 0; i < count; ++i) {
        const double v = x[i];
        // 0.5 v (1 + tanh(a)) as v / (1 + e^(-2a)): in double too, 1 + tanh(a) cancels in the negative tail.
        const double want = tanh_approximation
                                ? v / (1.0 + std::exp(-2.0 * 0.7978845608028654 * (v + 0.044715 * v * v * v)))
                                : 0.5 * v * std::erfc(-v / std::sqrt(2.0));
        ASSERT_FALSE(std::isnan(y[i])) << x[i];
        ASSERT_NEAR(y[i], want, budget * std::fabs(want) + kGeluMinMagnitude)
            << (tanh_approximation ? "tanh" : "erf") << " x=" << x[i];
      }
      std::vector<float> in_place = x;
      GetParam().fn(in_place.data(), count, tanh_approximation, in_place.data());
      EXPECT_EQ(in_place, y);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, GeluTest,
                         testing::Values(Variant<GeluF32Fn>{"reference", gelu_f32_ref, Isa::kScalar}
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
                                         ,
                                         Variant<GeluF32Fn>{"avx2", gelu_f32_avx2, Isa::kAvx2},
                                         Variant<GeluF32Fn>{"avx512", gelu_f32_avx512, Isa::kAvx512Vnni}
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS) && defined(__aarch64__)
                                         ,
                                         Variant<GeluF32Fn>{"neon", gelu_f32_neon, Isa::kNeon}
#endif
                                         ),
                         variant_name<GeluF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
