// Kernels of the dense family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_dense_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
