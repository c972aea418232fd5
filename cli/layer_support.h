// The layer-support table of docs/layers.md, generated from the schema and the
// kernel registry so it cannot drift: a test regenerates it and fails when
// the checked-in file differs.
#pragma once

#include <string>

#include "executor/kernel_registry.h"

namespace mlconv::cli {

std::string layer_support_markdown(const exec::KernelRegistry& kernels);

}  // namespace mlconv::cli
