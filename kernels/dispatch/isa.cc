#include "edgeformer/kernels/isa.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) || defined(__arm__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace edgeformer::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvxVnni: return "avxvnni";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDotprod: return "neondotprod";
    case Isa::kNeonI8mm: return "neoni8mm";
  }
  return "?";
}

#if defined(__x86_64__) || defined(__i386__)
namespace {

// CPU features from cpuid, and whether the OS saves the registers they use (XCR0): read directly, since the
// compilers' __builtin_cpu_supports do not all know F16C and AVX-VNNI.
struct X86Features {
  bool avx2 = false, avx512 = false, avx_vnni = false;
};

X86Features read_x86_features() {
  X86Features f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = ecx & (1u << 12), osxsave = ecx & (1u << 27), f16c = ecx & (1u << 29);
  if (!osxsave) return f;
  unsigned xcr0_low, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  const bool os_ymm = (xcr0_low & 0x6) == 0x6, os_zmm = (xcr0_low & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const bool avx2 = ebx & (1u << 5), avx512f = ebx & (1u << 16), avx512bw = ebx & (1u << 30),
             avx512vl = ebx & (1u << 31), avx512vnni = ecx & (1u << 11);
  unsigned leaf7_1_eax = 0;
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) leaf7_1_eax = eax;
  f.avx2 = os_ymm && avx2 && fma && f16c;  // every AVX2 CPU has F16C; the int4 kernels convert f16 scales with it
  f.avx_vnni = f.avx2 && (leaf7_1_eax & (1u << 4));
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512bw && avx512vl && avx512vnni;
  return f;
}

const X86Features& x86_features() {
  static const X86Features features = read_x86_features();
  return features;
}

}  // namespace
#endif

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::kAvx2: return x86_features().avx2;
    case Isa::kAvxVnni: return x86_features().avx_vnni;
    case Isa::kAvx512Vnni: return x86_features().avx512;
#elif defined(__aarch64__)
    case Isa::kNeon: return true;
    case Isa::kNeonDotprod: return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    case Isa::kNeonI8mm: return isa_supported(Isa::kNeonDotprod) && (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
#elif defined(__arm__) && defined(EDGEFORMER_HAVE_ARM_KERNELS)
    // 32-bit ARM: the NEON kernels are built for NEON + VFPv4 (fused multiply-add, half-precision conversions),
    // which Cortex-A7/A15/A17 and every ARMv8 core running 32-bit code have; Cortex-A8/A9 take the reference.
    case Isa::kNeon: {
      const unsigned long hwcap = getauxval(AT_HWCAP);
      return (hwcap & HWCAP_NEON) && (hwcap & HWCAP_VFPv4);
    }
#endif
    default: return false;
  }
}

namespace {

// The levels of one architecture are in increasing order; another architecture's levels are never supported, so
// walking down from any ceiling finds the best of this CPU's below it.
Isa best_supported(Isa ceiling) {
  for (int isa = static_cast<int>(ceiling); isa > 0; --isa)
    if (isa_supported(static_cast<Isa>(isa))) return static_cast<Isa>(isa);
  return Isa::kScalar;
}

Isa read_selection() {
  Isa ceiling = Isa::kNeonI8mm;  // the highest level of all
  if (const char* requested = std::getenv("EDGEFORMER_ISA")) {
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni, Isa::kNeon, Isa::kNeonDotprod,
                    Isa::kNeonI8mm})
      if (std::strcmp(requested, isa_name(isa)) == 0) ceiling = isa;
  }
  return best_supported(ceiling);
}

}  // namespace

Isa selected_isa() {
  static const Isa selected = read_selection();
  return selected;
}

}  // namespace edgeformer::kernels
