// Kernels of the shape family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_shape_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
