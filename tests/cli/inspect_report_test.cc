// The inspect report in-process: a load without weight values (what inspect
// does unless --weights) must give the same report as a full load.
#include <doctest/doctest.h>

#include "cli/inspect_report.h"
#include "cli/inspect_text.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {

TEST_CASE("inspect reports the same with and without weight values loaded") {
  for (const auto& path : real_models()) {
    CAPTURE(path);
    const auto full = cli::build_inspect_report(spec::load_model(path), {});
    spec::LoadOptions options;
    options.elide_weight_values_over = 1024;
    const auto elided = cli::build_inspect_report(spec::load_model(path, options), {});
    CHECK(full == elided);
  }
}

TEST_CASE("number formatting for people") {
  CHECK(cli::group_thousands(0) == "0");
  CHECK(cli::group_thousands(999) == "999");
  CHECK(cli::group_thousands(1000) == "1,000");
  CHECK(cli::group_thousands(1234567) == "1,234,567");
  CHECK(cli::human_bytes(1) == "1 byte");
  CHECK(cli::human_bytes(952) == "952 bytes");
  CHECK(cli::human_bytes(1558) == "1.56 kB");
  CHECK(cli::human_bytes(524288000) == "524 MB");
  CHECK(cli::shortest_double(0.01F) == 0.01);
  CHECK(cli::json_number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(cli::json_number(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

}  // namespace mlconv::test
