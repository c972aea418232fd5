// `validate --plugin LIB.so`: every custom class of the model has an
// implementation in the loaded plugins, each plugin accepts its layers
// (parameters and weights), and -- running the model once on zero inputs --
// each plugin's output-shape function accepts the shapes that reach it
// (codes E210..E213, W210, docs/validate.md).
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"
#include "cli/validate_report.h"

namespace mlconv::cli {

// `model` must hold its weight values (plugins read them). `plugins` are
// files or directories; MLCONV_PLUGIN_PATH adds more. A plugin that cannot be
// loaded throws mlconv::Error (a usage failure, not a finding).
std::vector<ReportEntry> check_plugins(const CoreML::Specification::Model& model, const std::vector<std::string>& plugins);

}  // namespace mlconv::cli
