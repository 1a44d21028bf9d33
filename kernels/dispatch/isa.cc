#include "edgeformer/kernels/isa.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace edgeformer::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
  }
  return "?";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
    case Isa::kAvx2:  // F16C: every AVX2 CPU has it; the int4 kernels convert f16 scales with it
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Isa::kAvx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    default: return false;
#endif
  }
  return false;
}

namespace {

Isa best_supported(Isa ceiling) {
  for (int isa = static_cast<int>(ceiling); isa > 0; --isa)
    if (isa_supported(static_cast<Isa>(isa))) return static_cast<Isa>(isa);
  return Isa::kScalar;
}

Isa read_selection() {
  Isa ceiling = Isa::kAvx512Vnni;
  if (const char* requested = std::getenv("EDGEFORMER_ISA")) {
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512Vnni})
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
