#pragma once
// What every kernel test shares: error budgets, random data, and the variants of a kernel slot as variants.inc lists
// them, so that a new variant line inherits every case of its slot's tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "edgeformer/kernels/isa.h"
#include "edgeformer/kernels/kernel_set.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

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

constexpr size_t kOddSizes[] = {1, 3, 17, 63, 65, 129};

// A kernel variant and the ISA it needs: tests of a variant this CPU cannot run are skipped, not passed.
template <typename Fn>
struct Variant {
  std::string name;
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

inline std::vector<float> random_floats(std::mt19937& rng, size_t count, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<int8_t> random_int8(std::mt19937& rng, size_t count, int lo = -128) {
  std::uniform_int_distribution<int> dist(lo, 127);
  std::vector<int8_t> v(count);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

// Returns y[m][n] in double, and in `magnitude` the sum of |x * w| that bounds the float rounding error.
inline void naive_fully_connected(const float* x, size_t x_stride, const float* w, size_t m, size_t k, size_t n,
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

// The variants.inc lines of one slot, in their order (the scalar reference first).
template <typename Fn, typename OtherFn>
void add_variant(std::vector<Variant<Fn>>& found, Fn KernelSet::*wanted, OtherFn KernelSet::*slot,
                 const char* slot_name, const char* function_name, OtherFn function, Isa isa) {
  if constexpr (std::is_same_v<Fn, OtherFn>) {
    if (slot != wanted) return;
    // Named by what the function adds to its slot's name: "reference", "avx2", "neon_dotprod" ...
    std::string name = function_name;
    name.erase(0, std::strlen(slot_name) + 1);
    found.push_back({isa == Isa::kScalar ? "reference" : name, function, isa});
  }
}

template <typename Fn>
std::vector<Variant<Fn>> variants_of(Fn KernelSet::*slot) {
  std::vector<Variant<Fn>> found;
#define EF_VARIANT(variant_slot, isa, function) \
  add_variant(found, slot, &KernelSet::variant_slot, #variant_slot, #function, function, Isa::isa);
#include "edgeformer/kernels/variants.inc"
#undef EF_VARIANT
  return found;
}

}  // namespace edgeformer::kernels
