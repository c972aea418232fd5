// docs/layers.md is generated from the kernel registry; this keeps it current.
#include "cli/layer_support.h"

#include <algorithm>
#include <cstdlib>

#include <doctest/doctest.h>

#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::cli {
namespace {

TEST_CASE("layer support: docs/layers.md matches the kernel registry") {
  const std::string generated = layer_support_markdown(exec::KernelRegistry::with_builtin_kernels());
  const auto path = test::source_dir() / "docs" / "layers.md";
  if (std::getenv("MLCONV_UPDATE_GOLDEN") != nullptr) {
    spec::write_file_atomically(path, generated);  // an interrupted update leaves the old table, not half a new one
  }
  INFO("docs/layers.md is stale; regenerate: MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc='layer support*'");
  CHECK(test::read_file(path) == generated);
  // Every one of the schema's 158 layer cases has a row.
  CHECK(std::count(generated.begin(), generated.end(), '\n') >= 158);
}

}  // namespace
}  // namespace mlconv::cli
