// RoPE of every variant against a double-precision naive rotation and the reference's bits.

#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

// Pair i of the first `dim` elements turns by position * inv_freq(i); cos and sin are scaled by `scale`.
template <typename InverseFrequency>
void naive_rope(std::vector<double>& x, size_t row_stride, size_t rows, size_t heads, size_t head_dim, size_t dim,
                size_t pos0, InverseFrequency inv_freq, double scale, RopeStyle style) {
  const size_t half = dim / 2;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t h = 0; h < heads; ++h) {
      double* head = x.data() + r * row_stride + h * head_dim;
      for (size_t i = 0; i < half; ++i) {
        const double angle = double(pos0 + r) * inv_freq(i);
        double& a = style == RopeStyle::kInterleaved ? head[2 * i] : head[i];
        double& b = style == RopeStyle::kInterleaved ? head[2 * i + 1] : head[i + half];
        const double a0 = a, b0 = b, c = scale * std::cos(angle), s = scale * std::sin(angle);
        a = a0 * c - b0 * s;
        b = a0 * s + b0 * c;
      }
    }
  }
}

void naive_rope(std::vector<double>& x, size_t row_stride, size_t rows, size_t heads, size_t head_dim, size_t pos0,
                double theta, RopeStyle style) {
  naive_rope(
      x, row_stride, rows, heads, head_dim, head_dim, pos0,
      [&](size_t i) { return 1.0 / std::pow(theta, double(2 * i) / double(head_dim)); }, 1.0, style);
}

// theta's frequencies over the whole head, unscaled: what every model without rope_scaling uses.
struct ThetaRope {
  ThetaRope(float theta, size_t head_dim, RopeStyle style) : inv_freq(head_dim / 2) {
    rope_inverse_frequencies(theta, head_dim, inv_freq.data());
    spec = {inv_freq.data(), head_dim, 1.0f, style};
  }
  ThetaRope(const ThetaRope&) = delete;  // spec points into inv_freq
  std::vector<float> inv_freq;
  RopeSpec spec;
};

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
    const ThetaRope rope(10000.0f, head_dim, style);
    GetParam().fn(q_together.data(), q_stride, q_heads, k_together.data(), k_stride, k_heads, rows, head_dim, pos0,
                  rope.spec);
    GetParam().fn(q_alone.data(), q_stride, q_heads, nullptr, 0, 0, rows, head_dim, pos0, rope.spec);
    GetParam().fn(k_alone.data(), k_stride, k_heads, nullptr, 0, 0, rows, head_dim, pos0, rope.spec);
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
          GetParam().fn(x.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0,
                        ThetaRope(theta, head_dim, style).spec);
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
    const ThetaRope rope(10000.0f, head_dim, style);
    GetParam().fn(got.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0, rope.spec);
    rope_f32_ref(want.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0, rope.spec);
    size_t differing = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (got[i] == want[i]) continue;
      ++differing;
      ASSERT_NEAR(got[i], want[i], kRopeMaxAbsError) << i;
    }
    EXPECT_LE(double(differing), kRopeMaxDifferingFraction * double(x.size()));
  }
}

// A table of frequencies (scaled RoPE), cos and sin scaled, and partial rotary: the first `dim` elements of a head
// rotate with the table's frequencies and the rest pass through.
TEST_P(RopeTest, TableScaleAndPartialRotaryMatchNaiveDouble) {
  std::mt19937 rng(15);
  std::uniform_real_distribution<float> log_frequency(-12.0f, 0.5f);
  for (RopeStyle style : kRopeStyles) {
    for (size_t dim : {2, 16, 24, 96, 160}) {
      for (float scale : {1.0f, 1.2f}) {
        const size_t head_dim = 160, heads = 2, rows = 3, row_stride = heads * head_dim + 1, pos0 = 40000;
        SCOPED_TRACE(testing::Message() << "style " << int(style) << " dim=" << dim << " scale=" << scale);
        std::vector<float> inv_freq(dim / 2);
        for (float& f : inv_freq) f = std::exp(log_frequency(rng));
        std::vector<float> x = random_floats(rng, rows * row_stride);
        std::vector<double> want(x.begin(), x.end());
        GetParam().fn(x.data(), row_stride, heads, nullptr, 0, 0, rows, head_dim, pos0,
                      RopeSpec{inv_freq.data(), dim, scale, style});
        naive_rope(
            want, row_stride, rows, heads, head_dim, dim, pos0, [&](size_t i) { return double(inv_freq[i]); }, scale,
            style);
        for (size_t r = 0; r < rows; ++r) {
          const double budget = scale * (kRopeMaxErrorPerRadian * double(pos0 + r) * 1.7 + kRopeMaxAbsError);
          for (size_t i = 0; i < row_stride; ++i) {
            const size_t in_head = i % head_dim;
            if (i >= heads * head_dim || in_head >= dim)
              ASSERT_EQ(double(x[r * row_stride + i]), want[r * row_stride + i]) << "passes through: " << i;
            else
              ASSERT_NEAR(x[r * row_stride + i], want[r * row_stride + i], budget) << r << " " << i;
          }
        }
      }
    }
  }
}

TEST_P(RopeTest, PositionZeroIsIdentity) {
  std::mt19937 rng(13);
  for (RopeStyle style : kRopeStyles) {
    const size_t heads = 3, head_dim = 16;
    const std::vector<float> original = random_floats(rng, heads * head_dim);
    std::vector<float> x = original;
    GetParam().fn(x.data(), heads * head_dim, heads, nullptr, 0, 0, 1, head_dim, 0,
                  ThetaRope(10000.0f, head_dim, style).spec);
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
    GetParam().fn(x.data(), heads * head_dim, heads, nullptr, 0, 0, rows, head_dim, pos0,
                  ThetaRope(10000.0f, head_dim, style).spec);
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

INSTANTIATE_TEST_SUITE_P(Variants, RopeTest, testing::ValuesIn(variants_of(&KernelSet::rope_f32)),
                         variant_name<RopeF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
