// F16 and BF16 checkpoints: stories260K in half precision stays within measured budgets of the f32 model, the
// safetensors reader decodes both formats exactly, and the tests' own encoders round to nearest even.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "checkpoint_files.h"
#include "io/safetensors_reader.h"
#include "stories260k_variants.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

// Half-precision weights vs the f32 model, teacher-forced over the 256 golden tokens (256 positions from BOS).
// Measured on stories260K (same on the avx512vnni, avx2 and scalar kernels): top-1 agreement F16 1.0000, BF16
// 0.9961 (one flip in 256); logits cosine mean F16 0.99999995, BF16 0.9999961; worst position F16 0.9999990,
// BF16 0.99979.
constexpr double kMinF16Agreement = 0.97;
constexpr double kMinBf16Agreement = 0.93;
constexpr double kMinF16MeanCosine = 0.99999;
constexpr double kMinBf16MeanCosine = 0.9999;
constexpr double kMinF16WorstCosine = 0.9999;
constexpr double kMinBf16WorstCosine = 0.999;
// Free-running greedy from BOS against the 60-token golden: length of the exactly matching prefix. Measured: F16
// 60 / 60, BF16 60 / 60 (its one flipped argmax under teacher forcing lies past the 60th token).
constexpr int kMinF16GreedyPrefix = 57;  // >= 95%
constexpr int kMinBf16GreedyPrefix = 54;  // >= 90%

struct HalfPrecisionBudget {
  const char* dtype;
  double min_agreement, min_mean_cosine, min_worst_cosine;
  int min_greedy_prefix;
};

TEST_F(Stories260kVariants, HalfPrecisionWeightsStayCloseToF32) {
  for (const HalfPrecisionBudget& budget :
       {HalfPrecisionBudget{"F16", kMinF16Agreement, kMinF16MeanCosine, kMinF16WorstCosine, kMinF16GreedyPrefix},
        HalfPrecisionBudget{"BF16", kMinBf16Agreement, kMinBf16MeanCosine, kMinBf16WorstCosine,
                            kMinBf16GreedyPrefix}}) {
    SCOPED_TRACE(budget.dtype);
    const std::string path = convert(write_folder(std::string("half-") + budget.dtype, budget.dtype));
    const Closeness c = closeness_to_f32(path);
    const int prefix = greedy_prefix(path);
    std::printf("%s vs F32: top-1 agreement %.4f, logits cosine mean %.8f worst %.8f; greedy prefix %d / %zu\n",
                budget.dtype, c.agreement, c.mean_cosine, c.worst_cosine, prefix, golden60_.size());
    EXPECT_GE(c.agreement, budget.min_agreement);
    EXPECT_GE(c.mean_cosine, budget.min_mean_cosine);
    EXPECT_GE(c.worst_cosine, budget.min_worst_cosine);
    EXPECT_GE(prefix, budget.min_greedy_prefix);
  }
}

TEST_F(Stories260kVariants, HalfPrecisionVariantsDifferFromF32) {
  // The F16/BF16 budgets above are not vacuous: the rounded weights change the logits, BF16 more than F16.
  const Closeness f16 = closeness_to_f32(convert(write_folder("f16-b", "F16")));
  const Closeness bf16 = closeness_to_f32(convert(write_folder("bf16-b", "BF16")));
  EXPECT_LT(f16.worst_cosine, 1.0);
  EXPECT_LT(bf16.mean_cosine, f16.mean_cosine);
}

TEST(HalfPrecision, DecodingIsExact) {
  // Bit patterns with known values, read back through the converter's safetensors reader.
  TempDir tmp;
  const std::vector<uint16_t> f16_bits = {0x3c00, 0xc100, 0x7bff, 0x0400, 0x0001, 0x0003, 0x03ff,
                                          0x8000, 0x7c00, 0xfc00, 0x3555, 0x8001};
  const std::vector<float> f16_values = {1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -14), std::ldexp(1.0f, -24),
                                         std::ldexp(3.0f, -24), std::ldexp(1023.0f, -24), -0.0f, INFINITY, -INFINITY,
                                         0.333251953125f, -std::ldexp(1.0f, -24)};
  const std::vector<uint16_t> bf16_bits = {0x3f80, 0xc0a0, 0x0001, 0x7f7f, 0x8000, 0x3eab};
  const std::vector<float> bf16_values = {1.0f, -5.0f, std::ldexp(1.0f, -133), std::ldexp(255.0f, 120), -0.0f,
                                          0.333984375f};
  write_safetensors(tmp.file("model.safetensors"),
                    {raw16_tensor("h", "F16", f16_bits), raw16_tensor("b", "BF16", bf16_bits)});
  const auto set = converter::SafetensorsSet::open_folder(tmp.path());
  const auto h = set.read_f32("h", {int64_t(f16_bits.size())});
  const auto b = set.read_f32("b", {int64_t(bf16_bits.size())});
  ASSERT_EQ(h.size(), f16_values.size());
  ASSERT_EQ(b.size(), bf16_values.size());
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i], f16_values[i]) << "f16 bits 0x" << std::hex << f16_bits[i];
    EXPECT_EQ(std::signbit(h[i]), std::signbit(f16_values[i])) << i;
  }
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i], bf16_values[i]) << "bf16 bits 0x" << std::hex << bf16_bits[i];
    EXPECT_EQ(std::signbit(b[i]), std::signbit(bf16_values[i])) << i;
  }
}

TEST(HalfPrecision, TheTestsEncodersRoundToNearestEven) {
  // The writer above must itself be right for the F16/BF16 variants to mean anything.
  EXPECT_EQ(to_f16(1.0f), 0x3c00);
  EXPECT_EQ(to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);         // tie -> even
  EXPECT_EQ(to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);     // tie -> even (up)
  EXPECT_EQ(to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);  // above the tie
  EXPECT_EQ(to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(to_f16(65520.0f), 0x7c00);                             // rounds up to infinity
  EXPECT_EQ(to_f16(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(to_f16(std::ldexp(1.0f, -25)), 0x0000);                // tie between 0 and the smallest -> 0
  EXPECT_EQ(to_f16(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(to_f16(std::ldexp(1023.5f, -24)), 0x0400);             // subnormal carries into the normals
  EXPECT_EQ(to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);         // tie -> even
  EXPECT_EQ(to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(to_bf16(-5.0f), 0xc0a0);
}

}  // namespace
}  // namespace edgeformer::testing
