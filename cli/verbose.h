// What the commands report on stderr at --verbose (info) about the files they
// read; kept in one place so every command says it the same way.
#pragma once

#include <spdlog/spdlog.h>

#include "spec/model_io.h"

namespace mlconv::cli {

inline void log_model_read(const spec::LoadedModel& loaded) {
  spdlog::info("read {}: {} bytes, specificationVersion {}{}", loaded.origin, loaded.size_bytes,
               loaded.model.specificationversion(),
               loaded.weight_values_elided ? " (large weight values skipped)" : "");
}

}  // namespace mlconv::cli
