// Kernels of the resampling family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_resampling_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
