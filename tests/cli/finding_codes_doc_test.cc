// docs/troubleshooting.md's code table is generated from the code catalog; these
// keep the page current and the catalog complete: every code a check registers or
// a source file reports has an entry, and every entry is still reported somewhere.
#include "cli/finding_codes_doc.h"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>

#include <doctest/doctest.h>

#include "spec/validation/code_catalog.h"
#include "spec/validation/validator.h"
#include "tests/support/test_support.h"

namespace mlconv::cli {
namespace {

namespace fs = std::filesystem;
namespace validation = spec::validation;

TEST_CASE("finding codes: docs/troubleshooting.md matches the code catalog") {
  const auto path = test::source_dir() / "docs" / "troubleshooting.md";
  const std::string page = test::read_file(path);
  REQUIRE(page.find(finding_codes_begin_marker) != std::string::npos);
  REQUIRE(page.find(finding_codes_end_marker) != std::string::npos);
  const std::string generated = splice_finding_codes(page);
  if (std::getenv("MLCONV_UPDATE_GOLDEN") != nullptr) std::ofstream(path, std::ios::binary) << generated;
  INFO("docs/troubleshooting.md is stale; regenerate: MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc='finding codes*'");
  CHECK(test::read_file(path) == generated);
}

TEST_CASE("finding codes: the table has a row per code and keeps pipes inside cells") {
  const std::string table = finding_codes_markdown();
  for (const validation::CodeDoc& doc : validation::finding_codes()) {
    CAPTURE(doc.code);
    CHECK(table.find("<a id=\"" + std::string(doc.code) + "\"></a>" + std::string(doc.code) + " | ") != std::string::npos);
  }
  // E230's rule holds `atol + rtol * |expected|`; an unescaped | would end the cell.
  CHECK(table.find("rtol * \\|expected\\|") != std::string::npos);
}

TEST_CASE("finding codes: every registered check has a catalog entry with its severity") {
  for (const validation::Check& check : validation::all_checks().checks()) {
    CAPTURE(check.code);
    const validation::CodeDoc* doc = validation::find_code(check.code);
    REQUIRE(doc != nullptr);
    CHECK(doc->severity == check.severity);
    CHECK(doc->needs.empty());
  }
}

TEST_CASE("finding codes: the catalog lists exactly the codes the sources report") {
  // Codes appear in the sources as string literals ("E210"); the catalog itself is left out.
  const std::regex literal("\"([EW][0-9]{3})\"");
  std::set<std::string> reported;
  for (const char* dir : {"spec", "cli"}) {
    for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() / dir)) {
      if (entry.path().extension() != ".cc" || entry.path().filename() == "code_catalog.cc") continue;
      const std::string text = test::read_file(entry.path());
      for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) reported.insert((*it)[1]);
    }
  }
  std::set<std::string> catalogued;
  for (const validation::CodeDoc& doc : validation::finding_codes()) {
    CAPTURE(doc.code);
    CHECK(catalogued.insert(std::string(doc.code)).second);  // no code twice
    CHECK(!doc.rule.empty());
    CHECK(!doc.fix.empty());
    // A code's letter is its severity.
    CHECK((doc.code[0] == 'E') == (doc.severity == validation::Severity::error));
  }
  for (const std::string& code : reported) {
    CAPTURE(code);
    CHECK_MESSAGE(catalogued.contains(code), "reported in the sources but missing from spec/validation/code_catalog.cc");
  }
  for (const std::string& code : catalogued) {
    CAPTURE(code);
    CHECK_MESSAGE(reported.contains(code), "in the catalog but reported nowhere in spec/ or cli/");
  }
}

}  // namespace
}  // namespace mlconv::cli
