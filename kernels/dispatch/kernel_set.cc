#include "edgeformer/kernels/kernel_set.h"

namespace edgeformer::kernels {

namespace {

constexpr KernelSet kScalarKernels = {Isa::kScalar, fully_connected_f32_ref, fully_connected_q8_ref,
                                      fully_connected_q4_ref, quantize_rows_q8_ref, swiglu_f32_ref, gelu_f32_ref,
                                      layer_norm_f32_ref, attention_f32_ref, rope_f32_ref, rms_norm_f32_ref};
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
constexpr KernelSet kAvx2Kernels = {Isa::kAvx2, fully_connected_f32_avx2, fully_connected_q8_avx2,
                                    fully_connected_q4_avx2, quantize_rows_q8_avx2, swiglu_f32_avx2, gelu_f32_avx2,
                                    layer_norm_f32_avx2, attention_f32_avx2, rope_f32_avx2, rms_norm_f32_avx2};
// AVX-VNNI adds vpdpbusd on ymm for int8 and int4; everything else is the AVX2 set.
constexpr KernelSet kAvxVnniKernels = {Isa::kAvxVnni, fully_connected_f32_avx2, fully_connected_q8_avxvnni,
                                       fully_connected_q4_avxvnni, quantize_rows_q8_avx2, swiglu_f32_avx2,
                                       gelu_f32_avx2, layer_norm_f32_avx2, attention_f32_avx2, rope_f32_avx2,
                                       rms_norm_f32_avx2};
constexpr KernelSet kAvx512VnniKernels = {Isa::kAvx512Vnni, fully_connected_f32_avx512, fully_connected_q8_avx512vnni,
                                          fully_connected_q4_avx512vnni, quantize_rows_q8_avx512, swiglu_f32_avx512,
                                          gelu_f32_avx512, layer_norm_f32_avx512, attention_f32_avx512,
                                          rope_f32_avx2, rms_norm_f32_avx2};
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS)
#if defined(__aarch64__)
constexpr QuantizeRowsQ8Fn kNeonQuantize = quantize_rows_q8_neon;
constexpr SwiGluF32Fn kNeonSwiGlu = swiglu_f32_neon;
constexpr GeluF32Fn kNeonGelu = gelu_f32_neon;
constexpr AttentionF32Fn kNeonAttention = attention_f32_neon;
constexpr RopeF32Fn kNeonRope = rope_f32_neon;
constexpr RmsNormF32Fn kNeonRmsNorm = rms_norm_f32_neon;
#else
// 32-bit ARMv7 NEON has no vector division nor round-half-away: those kernels stay the reference there.
constexpr QuantizeRowsQ8Fn kNeonQuantize = quantize_rows_q8_ref;
constexpr SwiGluF32Fn kNeonSwiGlu = swiglu_f32_ref;
constexpr GeluF32Fn kNeonGelu = gelu_f32_ref;
constexpr AttentionF32Fn kNeonAttention = attention_f32_ref;
constexpr RopeF32Fn kNeonRope = rope_f32_ref;
constexpr RmsNormF32Fn kNeonRmsNorm = rms_norm_f32_ref;
#endif
constexpr KernelSet kNeonKernels = {Isa::kNeon, fully_connected_f32_neon, fully_connected_q8_neon,
                                    fully_connected_q4_neon, kNeonQuantize, kNeonSwiGlu, kNeonGelu, layer_norm_f32_ref,
                                    kNeonAttention, kNeonRope, kNeonRmsNorm};
#if defined(__aarch64__)
// The dot product takes over int8 and int4; i8mm then takes the int8 prompt GEMM.
constexpr KernelSet kNeonDotprodKernels = {Isa::kNeonDotprod, fully_connected_f32_neon,
                                           fully_connected_q8_neon_dotprod, fully_connected_q4_neon_dotprod,
                                           kNeonQuantize, kNeonSwiGlu, kNeonGelu, layer_norm_f32_ref,
                                           kNeonAttention, kNeonRope, kNeonRmsNorm};
constexpr KernelSet kNeonI8mmKernels = {Isa::kNeonI8mm, fully_connected_f32_neon, fully_connected_q8_neon_i8mm,
                                        fully_connected_q4_neon_dotprod, kNeonQuantize, kNeonSwiGlu, kNeonGelu,
                                        layer_norm_f32_ref, kNeonAttention, kNeonRope, kNeonRmsNorm};
#endif
#endif

}  // namespace

const KernelSet& kernel_set(Isa isa) {
#if defined(EDGEFORMER_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx512Vnni) return kAvx512VnniKernels;
  if (isa == Isa::kAvxVnni) return kAvxVnniKernels;
  if (isa == Isa::kAvx2) return kAvx2Kernels;
#endif
#if defined(EDGEFORMER_HAVE_ARM_KERNELS)
#if defined(__aarch64__)
  if (isa == Isa::kNeonI8mm) return kNeonI8mmKernels;
  if (isa == Isa::kNeonDotprod) return kNeonDotprodKernels;
#endif
  if (isa == Isa::kNeon) return kNeonKernels;
#endif
  (void)isa;
  return kScalarKernels;
}

}  // namespace edgeformer::kernels
