// docs/onnx-ops.md is generated from ONNX's op registry and the built-in mapping
// table; this keeps it current.
#include "converter/op_coverage.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace mlconv::converter {
namespace {

TEST_CASE("op coverage: docs/onnx-ops.md matches the mapping table") {
  const std::string generated = onnx_op_coverage_markdown();
  const auto path = test::source_dir() / "docs" / "onnx-ops.md";
  if (std::getenv("MLCONV_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << generated;
  }
  INFO("docs/onnx-ops.md is stale; regenerate: MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc='op coverage*'");
  CHECK(test::read_file(path) == generated);
}

TEST_CASE("op coverage: mapped ops say their layers, unmapped ones need a rule") {
  const std::string table = onnx_op_coverage_markdown();
  // Conv comes from the built-in table; TopK has only an N-d mapping; NonMaxSuppression none yet.
  CHECK(table.find("| `Conv` | 11 | yes | convolution; N-d: convolution (computed weights: second input) |") != std::string::npos);
  CHECK(table.find("| `TopK` | 11 | yes | N-d: topK (computed K: second input) |") != std::string::npos);
  CHECK(table.find("| `Resize` | 13 | yes | upsample (NN / BILINEAR) |") != std::string::npos);
  CHECK(table.find("| `NonMaxSuppression` | 11 | rule |  |") != std::string::npos);
  CHECK(table.find("| `Constant` | 13 | yes | becomes an initializer (ONNX frontend) |") != std::string::npos);
  // ONNX 1.12 defines more than 150 ops in the default domain.
  CHECK(std::count(table.begin(), table.end(), '\n') > 150);
}

}  // namespace
}  // namespace mlconv::converter
