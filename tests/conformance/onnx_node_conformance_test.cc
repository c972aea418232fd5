// The tracked conformance suite: every ONNX backend node test case (generated into the
// build tree by the onnx.generate_node_tests fixture) through convert -> run -> compare
// within 1e-4 abs + 1e-4 rel. A case in tests/conformance/onnx_node_expected_pass.txt that
// no longer passes fails the test; a case that newly passes is reported so it can be
// added. Every case's class goes to the report file (MLCONV_CONFORMANCE_REPORT).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "executor/kernel_registry.h"
#include "tests/conformance/onnx_case_runner.h"

namespace {

namespace fs = std::filesystem;
using mlconv::conformance::CaseClass;
using mlconv::conformance::CaseResult;

const fs::path expected_list_path = fs::path(MLCONV_SOURCE_DIR) / "tests/conformance/onnx_node_expected_pass.txt";

// One case name per line; blank lines and '#' comments ignored.
std::set<std::string> read_expected_list(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read the expected-pass list " << path);
  std::set<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line.erase(std::find(line.begin(), line.end(), '#'), line.end());
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.erase(0, 1);
    if (!line.empty()) names.insert(line);
  }
  return names;
}

// Groups failures by their reason: the message with quoted names ('x', "x") and bracketed
// shapes blanked, so "input 'a': shape [3, 4] ..." and "input 'b': shape [5] ..." fall
// together. A case with unsupported ops counts once under each op it lacks.
std::vector<std::string> reason_keys(const CaseResult& r) {
  if (r.result == CaseClass::mismatch) return {"outputs differ beyond 1e-4"};
  const std::string unsupported = "unsupported ops: ";
  if (r.detail.starts_with(unsupported)) {
    std::vector<std::string> keys;
    std::istringstream ops(r.detail.substr(unsupported.size()));
    for (std::string op; std::getline(ops >> std::ws, op, ',');) keys.push_back("unsupported op " + op);
    return keys;
  }
  std::string key;
  char close = 0;
  for (const char c : r.detail) {
    if (close != 0) {
      if (c == close) {
        key += "…";
        key += c;
        close = 0;
      }
      continue;
    }
    key += c;
    if (c == '\'' || c == '"') close = c;
    if (c == '[') close = ']';
  }
  return {key};
}

void write_report(const fs::path& path, const std::vector<CaseResult>& results) {
  std::ofstream out(path);
  REQUIRE_MESSAGE(out, "cannot write the report " << path);
  out << "# ONNX backend node tests through convert -> run -> compare (atol 1e-4, rtol 1e-4)\n"
      << "# case\tclass\tdetail\n";
  for (const CaseResult& r : results) {
    out << r.name << '\t' << mlconv::conformance::case_class_name(r.result) << '\t' << r.detail << '\n';
  }
  REQUIRE_MESSAGE(out.flush(), "cannot write the report " << path);
}

void write_passing(const fs::path& path, const std::vector<CaseResult>& results) {
  std::ofstream out(path);
  REQUIRE_MESSAGE(out, "cannot write " << path);
  out << "# ONNX backend node test cases that pass convert -> run -> compare (atol 1e-4, rtol 1e-4).\n"
      << "# A listed case that stops passing fails the conformance test. Update: see docs/conformance.md.\n";
  for (const CaseResult& r : results)
    if (r.result == CaseClass::pass) out << r.name << '\n';
  REQUIRE_MESSAGE(out.flush(), "cannot write " << path);
}

TEST_CASE("conformance: ONNX backend node tests convert, run and match (MLCONV_ONNX_NODE_TESTS)" *
          doctest::skip(std::getenv("MLCONV_ONNX_NODE_TESTS") == nullptr)) {
  fs::path root(std::getenv("MLCONV_ONNX_NODE_TESTS"));
  if (fs::exists(root / "node")) root /= "node";
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE_FALSE(cases.empty());
  const std::set<std::string> expected = read_expected_list(expected_list_path);

  const mlconv::exec::KernelRegistry kernels = mlconv::exec::KernelRegistry::with_builtin_kernels();
  std::vector<CaseResult> results;
  results.reserve(cases.size());
  for (const fs::path& dir : cases) results.push_back(mlconv::conformance::run_onnx_case(dir, kernels));

  const char* report_env = std::getenv("MLCONV_CONFORMANCE_REPORT");
  const fs::path report = report_env != nullptr ? fs::path(report_env) : fs::path("conformance-report.txt");
  const fs::path passing = report.parent_path() / "conformance-passing.txt";
  write_report(report, results);
  write_passing(passing, results);

  std::map<CaseClass, int> by_class;
  std::map<std::pair<CaseClass, std::string>, std::vector<std::string>> by_reason;
  std::set<std::string> seen;
  std::vector<std::string> newly_passing;
  for (const CaseResult& r : results) {
    seen.insert(r.name);
    ++by_class[r.result];
    if (r.result != CaseClass::pass)
      for (const std::string& key : reason_keys(r)) by_reason[{r.result, key}].push_back(r.name);
    if (r.result == CaseClass::pass && !expected.contains(r.name)) newly_passing.push_back(r.name);
  }

  std::ostringstream summary;
  summary << "ONNX backend node tests: " << by_class[CaseClass::pass] << " of " << results.size()
          << " pass (expected list: " << expected.size() << ")\n";
  for (const CaseClass c : {CaseClass::convert_fail, CaseClass::run_fail, CaseClass::mismatch})
    summary << "  " << mlconv::conformance::case_class_name(c) << ": " << by_class[c] << "\n";
  std::vector<std::pair<std::pair<CaseClass, std::string>, std::vector<std::string>>> reasons(by_reason.begin(),
                                                                                               by_reason.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  summary << "Most common failure reasons (cases; a case lacking several ops counts under each):\n";
  for (std::size_t i = 0; i < reasons.size() && i < 25; ++i) {
    const auto& [key, names] = reasons[i];
    summary << "  " << names.size() << " " << mlconv::conformance::case_class_name(key.first) << ": " << key.second
            << " (e.g. " << names.front() << ")\n";
  }
  summary << "Report: " << fs::absolute(report).string() << "\n";
  MESSAGE(summary.str());

  if (!newly_passing.empty()) {
    std::string names;
    for (const std::string& n : newly_passing) names += "\n  " + n;
    MESSAGE(newly_passing.size() << " case(s) pass that are not in the expected list; add them (or copy "
                                 << fs::absolute(passing).string() << " over " << expected_list_path.string()
                                 << "):" << names);
  }
  for (const CaseResult& r : results) {
    if (expected.contains(r.name) && r.result != CaseClass::pass)
      FAIL_CHECK("regression: " << r.name << " is in the expected-pass list but is now "
                                    << mlconv::conformance::case_class_name(r.result) << ": " << r.detail);
  }
  for (const std::string& name : expected)
    if (!seen.contains(name)) FAIL_CHECK("the expected-pass list names " << name << ", which is not a generated case");
}

}  // namespace
