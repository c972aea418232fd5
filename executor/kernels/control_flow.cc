// Kernels of the control flow family. (Being filled in: see kernel_registry.h.)
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_control_flow_kernels(KernelRegistry& /*registry*/) {}

}  // namespace mlconv::exec
