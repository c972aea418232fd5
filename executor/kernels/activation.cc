// Kernels of the activation family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_activation_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
