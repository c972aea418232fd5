// Kernels of the arithmetic family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_arithmetic_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
