// The int8 fully connected kernels of every variant: the packed layout, exact integer sums at the int8 extremes,
// the quantization budget, column ranges.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "edgeformer/kernels/int8_packing.h"

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

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

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedQ8Test, testing::ValuesIn(variants_of(&KernelSet::fully_connected_q8)),
                         variant_name<FullyConnectedQ8Fn>);

}  // namespace
}  // namespace edgeformer::kernels
