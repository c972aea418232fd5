// The arithmetic family's extra files; register_arithmetic_kernels calls these.
#pragma once

#include "executor/kernel_registry.h"

namespace mlconv::exec {

// unary, clip, ceil/floor/round/sign, exp2, trigonometric and hyperbolic layers (arithmetic_unary.cc).
void register_arithmetic_unary_kernels(KernelRegistry& registry);
// The ND broadcastable binary layers, where, comparisons and logical layers (arithmetic_broadcast.cc).
void register_arithmetic_broadcast_kernels(KernelRegistry& registry);

}  // namespace mlconv::exec
