#pragma once
// Declares every kernel variant of this build from variants.inc, each with the type of the slot it fills: a
// variant's signature is its slot's, checked where it is defined and where a set takes it.
#include <type_traits>

#include "edgeformer/kernels/kernel_set.h"

namespace edgeformer::kernels {

#define EF_VARIANT(slot, isa, function) std::remove_pointer_t<decltype(KernelSet::slot)> function;
#include "edgeformer/kernels/variants.inc"
#undef EF_VARIANT

}  // namespace edgeformer::kernels
