// The ONNX op coverage table of docs/onnx-ops.md, generated from ONNX's own op
// registry and the converter's built-in mapping table so it cannot drift: a test
// regenerates it and fails when the checked-in file differs.
#pragma once

#include <string>

namespace mlconv::converter {

// Markdown: every op of the default ONNX domain (latest version in the linked ONNX
// library) with the Core ML layers it converts to, or how to convert it without a
// built-in mapping; then built-in mappings of other domains.
std::string onnx_op_coverage_markdown();

}  // namespace mlconv::converter
