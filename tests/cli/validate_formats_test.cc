// `validate --format junit|github`: golden reports for a broken model and for
// the Swish model checked against its article-style Swift class, escaping of
// hostile text, and exit codes that do not depend on the format.
// Set MLCONV_UPDATE_GOLDEN=1 to rewrite tests/golden/validate/ after an intended change.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "cli/validate_report.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

const std::filesystem::path golden_dir = source_dir() / "tests" / "golden" / "validate";

void check_golden(const std::filesystem::path& golden, const std::string& actual) {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  CHECK(read_file(golden) == actual);
}

// Paths differ between machines; goldens hold them relative to the source tree and realmodels.
std::string portable(std::string text) {
  for (const auto& [from, to] : {std::pair{(realmodels_dir() / "").string(), std::string("")},
                                 std::pair{(source_dir() / "").string(), std::string("")}}) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_CASE("validate formats: junit and github reports of the Swish model with its Swift class") {
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  const auto swift_dir = source_dir() / "tests" / "fixtures" / "swift";
  for (const char* format : {"junit", "github"}) {
    CAPTURE(format);
    const CommandResult result = run_mlconv({"validate", "--format", format, "--swift", swift_dir.string(), model.string()});
    CHECK(result.exit_code == 0);
    check_golden(golden_dir / (std::string("swish_swift.") + (format == std::string("junit") ? "xml" : "github")),
                 portable(result.out));
    // --strict fails on the warning in every format; junit then marks its test cases failed.
    const CommandResult strict =
        run_mlconv({"validate", "--strict", "--format", format, "--swift", swift_dir.string(), model.string()});
    CHECK(strict.exit_code == 1);
    if (format == std::string("junit")) CHECK(strict.out.find("<failure type=\"W221\"") != std::string::npos);
  }
}

TEST_CASE("validate formats: junit and github reports of a model with errors in several families") {
  CoreML::Specification::Model model = custom_layer_model("Swish");
  model.mutable_neuralnetwork()->mutable_layers(0)->add_input("missing");  // E022 (graph)
  const auto path = save_in_scratch(model, "formats-broken", "broken_custom.mlmodel");
  const auto bindings = path.parent_path() / "b.json";
  std::ofstream(bindings) << R"({"classes": {"Swish": {"inputs": ["x"], "outputs": [{"name": "y", "sameShapeAs": 0}],
                                 "parameters": {"beta": {"type": "double"}}}}})";
  for (const char* format : {"junit", "github"}) {
    CAPTURE(format);
    const CommandResult result = run_mlconv({"validate", "--format", format, "--bindings", bindings.string(), path.string()});
    CHECK(result.exit_code == 1);
    std::string out = result.out;
    for (const auto& given : {bindings.string(), path.string()}) {
      const std::string name = std::filesystem::path(given).filename().string();
      for (std::size_t at = out.find(given); at != std::string::npos; at = out.find(given, at)) out.replace(at, given.size(), name);
    }
    check_golden(golden_dir / (std::string("broken_custom.") + (format == std::string("junit") ? "xml" : "github")), out);
  }
}

TEST_CASE("validate formats: hostile text is escaped for XML and for workflow commands") {
  CHECK(cli::xml_escape("a<b>&\"'\n\x01 \xC3\xA9 \xFF \xED\xA0\x80 \xEF\xBF\xBE") ==
        "a&lt;b&gt;&amp;&quot;&apos;&#10;\xEF\xBF\xBD \xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  cli::Report report;
  report.model_path = "dir/m,odel:1.mlmodel";
  report.model_file = "m,odel:1.mlmodel";
  report.entries.push_back(cli::ReportEntry{
      {"E022", spec::validation::Severity::error, "layer 'a\nb' (custom)", "a\nb", "custom", "100% broken", "fix"},
      "graph", "", 0});
  std::ostringstream github;
  cli::print_github(report, github);
  CHECK(github.str() == "::error file=dir/m%2Codel%3A1.mlmodel,title=E022::layer 'a%0Ab' (custom): 100%25 broken "
                        "(hint: fix)\ndir/m,odel:1.mlmodel: 1 error, 0 warnings\n");
}

}  // namespace mlconv::test
