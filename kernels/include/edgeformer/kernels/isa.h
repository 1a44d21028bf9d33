#pragma once
// Instruction sets the kernels have variants for, read from the CPU once.
namespace edgeformer::kernels {

enum class Isa {
  kScalar = 0,      // the portable reference kernels
  kAvx2 = 1,        // x86-64 AVX2 + FMA + F16C
  kAvxVnni = 2,     // x86-64 AVX2 + AVX-VNNI (vpdpbusd on ymm, e.g. Alder Lake and later client cores)
  kAvx512Vnni = 3,  // x86-64 AVX-512 F/BW/VL + VNNI
  kNeon = 4,        // Advanced SIMD: every aarch64 core, and 32-bit ARMv7 cores that report NEON
  kNeonDotprod = 5, // aarch64 + the dot-product extension (sdot; Cortex-A55/A75 and later)
  kNeonI8mm = 6,    // aarch64 + dot product + int8 matrix multiply (smmla; Cortex-A510/A710, Neoverse V1/N2)
};

const char* isa_name(Isa isa);
// The ISA whose kernel set `isa`'s set builds on (kScalar for itself): a set takes every slot its own variants do not
// fill from there. AVX-512 builds on AVX2, not AVX-VNNI: most AVX-512 cores lack the VEX-encoded VNNI.
constexpr Isa isa_base(Isa isa) {
  switch (isa) {
    case Isa::kAvxVnni:
    case Isa::kAvx512Vnni: return Isa::kAvx2;
    case Isa::kNeonDotprod: return Isa::kNeon;
    case Isa::kNeonI8mm: return Isa::kNeonDotprod;
    default: return Isa::kScalar;
  }
}
// Whether this CPU (and its OS) can run the variants of `isa`.
bool isa_supported(Isa isa);
// The best supported ISA, lowered by the environment variable
// EDGEFORMER_ISA=scalar|avx2|avxvnni|avx512vnni|neon|neondotprod|neoni8mm (a request above what the CPU has falls
// back to the best it has). Read once per process.
Isa selected_isa();

}  // namespace edgeformer::kernels
