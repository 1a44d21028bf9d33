#include "edgeformer/kernels/kernel_set.h"

#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

// The set of `isa`: its base's set, then the variants.inc lines of `isa` itself.
constexpr KernelSet make_kernel_set(Isa isa) {
  KernelSet set = isa == Isa::kScalar ? KernelSet{} : make_kernel_set(isa_base(isa));
  set.isa = isa;
#define EF_VARIANT(slot, variant_isa, function) \
  if (Isa::variant_isa == isa) set.slot = function;
#include "edgeformer/kernels/variants.inc"
#undef EF_VARIANT
  return set;
}

constexpr KernelSet kKernelSets[] = {
    make_kernel_set(Isa::kScalar),     make_kernel_set(Isa::kAvx2),        make_kernel_set(Isa::kAvxVnni),
    make_kernel_set(Isa::kAvx512Vnni), make_kernel_set(Isa::kNeon),        make_kernel_set(Isa::kNeonDotprod),
    make_kernel_set(Isa::kNeonI8mm),
};

// Every slot of every set is filled: the scalar lines cover kernel_ops.inc.
constexpr bool every_slot_filled() {
  for (const KernelSet& set : kKernelSets) {
#define EF_KERNEL_OP(slot, Fn) \
    if (set.slot == nullptr) return false;
#include "edgeformer/kernels/kernel_ops.inc"
#undef EF_KERNEL_OP
  }
  return true;
}
static_assert(every_slot_filled(), "variants.inc must give every kernel slot a scalar reference");

// Whether this build has variants of `isa` (a set that only inherits is its base's).
constexpr bool has_variants(Isa isa) {
  bool found = isa == Isa::kScalar;
#define EF_VARIANT(slot, variant_isa, function) found = found || Isa::variant_isa == isa;
#include "edgeformer/kernels/variants.inc"
#undef EF_VARIANT
  return found;
}

}  // namespace

const KernelSet& kernel_set(Isa isa) {
  Isa nearest = isa;
  while (!has_variants(nearest)) nearest = isa_base(nearest);
  return kKernelSets[static_cast<int>(nearest)];
}

}  // namespace edgeformer::kernels
