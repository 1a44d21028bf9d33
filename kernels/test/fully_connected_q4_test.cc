// Half precision, the int4 packed layout, and the int4 fully connected kernels of every variant.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "edgeformer/kernels/int4_packing.h"

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

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

INSTANTIATE_TEST_SUITE_P(Variants, FullyConnectedQ4Test, testing::ValuesIn(variants_of(&KernelSet::fully_connected_q4)),
                         variant_name<FullyConnectedQ4Fn>);

}  // namespace
}  // namespace edgeformer::kernels
