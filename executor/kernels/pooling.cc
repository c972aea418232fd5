// Kernels of the pooling family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_pooling_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
