// Conformance for ops whose node tests feed weights or scales as graph inputs (LSTM, GRU,
// RNN, Resize, Upsample): the same cases with those operands frozen into initializers
// (scripts/freeze-node-test-operands.py), plus the recurrent, resize and einsum cases the
// node tests lack (scripts/gen-recurrent-cases.py, gen-resize-cases.py, gen-einsum-cases.py;
// NumPy references). Every case in onnx_operand_cases_expected_pass.txt must pass; the others
// are refused by design (cubic, tf_crop_and_resize, rounding Core ML's upsample lacks).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "executor/kernel_registry.h"
#include "tests/conformance/onnx_case_runner.h"

namespace {

namespace fs = std::filesystem;

const fs::path operand_list_path = fs::path(MLCONV_SOURCE_DIR) / "tests/conformance/onnx_operand_cases_expected_pass.txt";

std::set<std::string> read_names(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line.erase(std::find(line.begin(), line.end(), '#'), line.end());
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.insert(line);
  }
  return names;
}

TEST_CASE("conformance: operand-frozen recurrent and resize cases convert, run and match (MLCONV_ONNX_OPERAND_CASES)" *
          doctest::skip(std::getenv("MLCONV_ONNX_OPERAND_CASES") == nullptr)) {
  const fs::path root(std::getenv("MLCONV_ONNX_OPERAND_CASES"));
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE_FALSE(cases.empty());
  const std::set<std::string> expected = read_names(operand_list_path);
  const mlconv::exec::KernelRegistry kernels = mlconv::exec::KernelRegistry::with_builtin_kernels();
  std::set<std::string> seen;
  int passed = 0;
  std::string refused;
  for (const fs::path& dir : cases) {
    const mlconv::conformance::CaseResult r = mlconv::conformance::run_onnx_case(dir, kernels);
    seen.insert(r.name);
    const bool pass = r.result == mlconv::conformance::CaseClass::pass;
    passed += pass ? 1 : 0;
    if (expected.contains(r.name)) {
      CHECK_MESSAGE(pass, r.name << " is " << mlconv::conformance::case_class_name(r.result) << ": " << r.detail);
    } else {
      refused += "\n  " + r.name + (pass ? ": passes, add it to the list" : ": " + r.detail);
    }
  }
  MESSAGE("operand-frozen cases: " << passed << " of " << cases.size() << " pass (expected list: " << expected.size()
                                   << "); not listed:" << refused);
  for (const std::string& name : expected) CHECK_MESSAGE(seen.contains(name), "the list names " << name << ", which was not generated");
}

}  // namespace
