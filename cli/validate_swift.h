// `validate --swift DIR`: the model's custom layer classes against the Swift
// classes that implement them (codes E220, E221, W220..W223, docs/validate.md).
#pragma once

#include <vector>

#include "Model.pb.h"
#include "cli/swift_scan.h"
#include "cli/validate_report.h"

namespace mlconv::cli {

// Findings in family "swift"; those about a line of Swift carry its file and line.
std::vector<ReportEntry> check_swift(const CoreML::Specification::Model& model,
                                     const std::vector<swift::SwiftClass>& classes);

}  // namespace mlconv::cli
