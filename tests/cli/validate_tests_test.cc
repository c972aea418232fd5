// `validate --tests DIR`: test vectors run through the Swish plugin and
// compared with expected outputs computed here, independently of mlconv
// (E230 out of tolerance, E231 a case that cannot run, E232 shape or name).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "executor/io/npy.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

// y = x * sigmoid(beta * x), the Swish formula, in double precision.
std::vector<double> swish(const std::vector<double>& x, double beta) {
  std::vector<double> y;
  for (const double v : x) y.push_back(v / (1.0 + std::exp(-beta * v)));
  return y;
}

}  // namespace

TEST_CASE("validate tests: cases pass, fail by tolerance, cannot run, or have the wrong shape") {
  cml::Model model = custom_layer_model("Swish");
  (*custom_params(model).mutable_parameters())["beta"].set_doublevalue(0.5);
  const auto path = save_in_scratch(model, "tests-vectors");
  const auto dir = path.parent_path() / "cases";
  std::vector<double> x;
  for (int i = 0; i < 48; ++i) x.push_back(-3.0 + 0.125 * i);
  const exec::Shape shape{3, 4, 4};
  const auto write_case = [&](const std::string& name, const std::vector<double>& expected, const exec::Shape& out_shape) {
    std::filesystem::create_directories(dir / name / "inputs");
    std::filesystem::create_directories(dir / name / "outputs");
    exec::io::write_npy(dir / name / "inputs" / "x.npy", shape, x);
    exec::io::write_npy(dir / name / "outputs" / "y.npy", out_shape, expected);
  };
  write_case("1_pass", swish(x, 0.5), shape);
  std::vector<double> off = swish(x, 0.5);
  off[5] += 0.01;
  off[7] += 0.001;
  write_case("2_off", off, shape);
  write_case("3_broken", swish(x, 0.5), shape);
  std::ofstream(dir / "3_broken" / "inputs" / "x.npy", std::ios::binary) << "not numpy";
  write_case("4_shape", std::vector<double>(10, 0.0), {10});

  const std::string plugin = MLCONV_SWISH_PLUGIN;
  const CommandResult result = run_mlconv({"validate", "--plugin", plugin, "--tests", dir.string(), path.string()});
  CHECK(result.exit_code == 1);
  const std::string m = path.string() + ": error ";
  const std::string expected_off =
      m + "E230: " + (dir / "2_off" / "outputs" / "y.npy").string() +
      ": test case '2_off': output 'y': 2 of 48 values differ from y.npy by more than atol 1e-05 + rtol 1e-05 * "
      "|expected|; the worst is element 5: got " ;
  CHECK(result.out.find(expected_off) != std::string::npos);
  CHECK(result.out.find(m + "E231: test case '3_broken': the case could not run: " +
                        (dir / "3_broken" / "inputs" / "x.npy").string()) != std::string::npos);
  CHECK(result.out.find(m + "E232: " + (dir / "4_shape" / "outputs" / "y.npy").string() +
                        ": test case '4_shape': output 'y' has shape [1, 1, 3, 4, 4] (48 values); y.npy holds [10] (10 "
                        "values) (hint: ") != std::string::npos);
  CHECK(result.out.find("'1_pass'") == std::string::npos);
  CHECK(result.out.ends_with(path.string() + ": 3 errors, 0 warnings\n"));

  // Wider tolerances let the 2_off case pass; only the broken ones remain.
  const CommandResult loose =
      run_mlconv({"validate", "--plugin", plugin, "--tests", dir.string(), "--atol", "0.02", path.string()});
  CHECK(loose.out.find("E230") == std::string::npos);
  CHECK(loose.out.ends_with(path.string() + ": 2 errors, 0 warnings\n"));

  const CommandResult empty = run_mlconv({"validate", "--tests", path.parent_path().string(), path.string()});
  CHECK(empty.exit_code == 2);
  CHECK(empty.err == "mlconv: error: " + path.parent_path().string() +
                         ": no test cases: expected DIR/<case>/inputs/*.npy and DIR/<case>/outputs/*.npy\n");
}

}  // namespace mlconv::test
