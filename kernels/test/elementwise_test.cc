// Element-wise kernels (add, SwiGLU, GELU) of every variant against double precision.

#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

using AddTest = VariantTest<BinaryF32Fn>;
using MultiplyTest = VariantTest<BinaryF32Fn>;

// A sum is one rounding in every variant: bit-identical to a + b, at every tail length, in place too.
TEST_P(AddTest, MatchesNaiveAndMayAlias) {
  std::mt19937 rng(19);
  for (size_t count : {size_t{1}, size_t{3}, size_t{8}, size_t{17}, size_t{31}, size_t{32}, size_t{63}, size_t{65},
                       size_t{129}, size_t{1000}}) {
    std::vector<float> a = random_floats(rng, count);
    const std::vector<float> b = random_floats(rng, count);
    std::vector<float> y(count);
    GetParam().fn(a.data(), b.data(), count, y.data());
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(y[i], a[i] + b[i]) << count << " " << i;
    GetParam().fn(a.data(), b.data(), count, a.data());
    EXPECT_EQ(a, y);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, AddTest, testing::ValuesIn(variants_of(&KernelSet::add_f32)),
                         variant_name<BinaryF32Fn>);

// A product is one rounding in every variant: bit-identical to a * b, at every tail length, in place too.
TEST_P(MultiplyTest, MatchesNaiveAndMayAlias) {
  std::mt19937 rng(23);
  for (size_t count : {size_t{1}, size_t{7}, size_t{8}, size_t{31}, size_t{32}, size_t{65}, size_t{1000}}) {
    std::vector<float> a = random_floats(rng, count);
    const std::vector<float> b = random_floats(rng, count);
    std::vector<float> y(count);
    GetParam().fn(a.data(), b.data(), count, y.data());
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(y[i], a[i] * b[i]) << count << " " << i;
    GetParam().fn(a.data(), b.data(), count, a.data());
    EXPECT_EQ(a, y);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, MultiplyTest, testing::ValuesIn(variants_of(&KernelSet::multiply_f32)),
                         variant_name<BinaryF32Fn>);

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

INSTANTIATE_TEST_SUITE_P(Variants, SwiGluTest, testing::ValuesIn(variants_of(&KernelSet::swiglu_f32)),
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

INSTANTIATE_TEST_SUITE_P(Variants, GeluTest, testing::ValuesIn(variants_of(&KernelSet::gelu_f32)),
                         variant_name<GeluF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
