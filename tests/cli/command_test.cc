// The global options every command shares: --quiet and --verbose choose what
// reaches stderr, --color and NO_COLOR whether it is coloured. The tests run
// the binary with stderr in a file, so `auto` never colours here;
// tests/cli/color_tty_test.sh covers a terminal.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace mlconv::test {

namespace {

const std::string escape = "\x1b[";

// The Swish example with one field our schema does not know appended (field 1000,
// varint 1): it loads, and `dump --json` warns that JSON cannot show the field.
std::filesystem::path model_with_unknown_field() {
  const auto dir = scratch_dir("global_options");
  const auto path = dir / "unknown_field.mlmodel";
  std::ofstream(path, std::ios::binary) << read_file(source_dir() / "examples/NeuralMcNeuralNet.mlmodel")
                                        << std::string("\xc0\x3e\x01", 3);
  return path;
}

}  // namespace

TEST_CASE("command: --quiet keeps errors and drops warnings, before or after the command") {
  const std::string model = model_with_unknown_field().string();
  const CommandResult normal = run_mlconv({"dump", "--json", model}, {"NO_COLOR=1"});
  REQUIRE(normal.exit_code == 0);
  CHECK(normal.err.rfind("mlconv: warning: " + model + ": 1 unknown field(s) cannot appear in JSON", 0) == 0);
  for (const auto& args : {std::vector<std::string>{"--quiet", "dump", "--json", model},
                           std::vector<std::string>{"dump", "--json", model, "-q"}}) {
    const CommandResult quiet = run_mlconv(args, {"NO_COLOR=1"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err == "");
    CHECK(quiet.out == normal.out);
  }
  const CommandResult failed = run_mlconv({"-q", "inspect", model + ".missing"}, {"NO_COLOR=1"});
  CHECK(failed.exit_code == 1);
  CHECK(failed.err == "mlconv: error: " + model + ".missing: cannot open: No such file or directory\n");
}

TEST_CASE("command: --verbose adds info lines and twice debug lines, on stderr only") {
  const auto model = source_dir() / "examples/NeuralMcNeuralNet.mlmodel";
  const std::string read_line = "mlconv: info: read " + model.string() + ": " +
                                std::to_string(std::filesystem::file_size(model)) + " bytes, specificationVersion 2";
  const CommandResult plain = run_mlconv({"run", model.string(), "--random-inputs", "--plugin", MLCONV_SWISH_PLUGIN},
                                         {"NO_COLOR=1"});
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.err == "");
  const CommandResult verbose = run_mlconv(
      {"--verbose", "run", model.string(), "--random-inputs", "--plugin", MLCONV_SWISH_PLUGIN}, {"NO_COLOR=1"});
  CHECK(verbose.exit_code == 0);
  CHECK(verbose.err.rfind(read_line + "\nmlconv: info: loaded plugin " + std::string(MLCONV_SWISH_PLUGIN) + "\n", 0) == 0);
  CHECK(verbose.err.find("mlconv: debug:") == std::string::npos);
  const CommandResult debug = run_mlconv(
      {"-vv", "run", model.string(), "--random-inputs", "--plugin", MLCONV_SWISH_PLUGIN}, {"NO_COLOR=1"});
  CHECK(debug.exit_code == 0);
  CHECK(debug.err.find("\nmlconv: debug: model and plugins loaded and prepared in ") != std::string::npos);
  // The report on stdout is the same whatever the verbosity (but for timings).
  CHECK(verbose.out.substr(0, verbose.out.find("Timing")) == plain.out.substr(0, plain.out.find("Timing")));

  const CommandResult inspect = run_mlconv({"inspect", model.string(), "-v"}, {"NO_COLOR=1"});
  CHECK(inspect.err == read_line + " (large weight values skipped)\n");
  const CommandResult quiet_wins = run_mlconv({"-q", "-v", "inspect", model.string()}, {"NO_COLOR=1"});
  CHECK(quiet_wins.err == "");
}

TEST_CASE("command: convert at --verbose says what covered the graph, at debug every node") {
  const auto example = source_dir() / "examples/swish";
  const auto out = scratch_dir("global_options_convert") / "swish.mlmodel";
  const CommandResult result =
      run_mlconv({"-vv", "convert", (example / "model.json").string(), "-o", out.string(), "--rules",
                  (example / "rules.json").string(), "--image-input", "image"},
                 {"NO_COLOR=1"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.find("mlconv: info: read " + (example / "model.json").string() + ": ") == 0);
  CHECK(result.err.find(" 0 unsupported op type(s); 1 rule file(s)\n") != std::string::npos);
  CHECK(result.err.find("\nmlconv: debug: ") != std::string::npos);
  CHECK(result.err.find("Swish") != std::string::npos);
}

TEST_CASE("command: colour only when asked for or on a terminal, never under NO_COLOR unless asked for") {
  const std::vector<std::string> missing{"inspect", "missing.mlmodel"};
  const auto with = [&](std::vector<std::string> front) {
    front.insert(front.end(), missing.begin(), missing.end());
    return front;
  };
  CHECK(run_mlconv(missing, {"NO_COLOR="}).err.find(escape) == std::string::npos);  // not a terminal
  CHECK(run_mlconv(with({"--color", "never"}), {"NO_COLOR="}).err.find(escape) == std::string::npos);
  const CommandResult always = run_mlconv(with({"--color", "always"}), {"NO_COLOR="});
  CHECK(always.exit_code == 1);
  CHECK(always.err.rfind("mlconv: " + escape, 0) == 0);
  CHECK(always.err.find("error") != std::string::npos);
  // NO_COLOR wins even over an explicit --color always.
  CHECK(run_mlconv(with({"--color=always"}), {"NO_COLOR=1"}).err.find(escape) == std::string::npos);
  // A usage error is reported the way the options before it ask.
  const CommandResult usage = run_mlconv({"--color", "always", "inspect", "--frobnicate"}, {"NO_COLOR="});
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find(escape) != std::string::npos);
  const CommandResult bad = run_mlconv({"--color", "sometimes", "inspect", "x.mlmodel"}, {"NO_COLOR=1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("mlconv: error: --color: sometimes not in {auto,always,never}", 0) == 0);
}

TEST_CASE("command: every --help has examples, and the root's points to the guide") {
  const CommandResult root = run_mlconv({"--help"});
  CHECK(root.exit_code == 0);
  CHECK(root.out.find("man mlconv") != std::string::npos);
  CHECK(root.out.find("docs/") != std::string::npos);
  CHECK(root.out.find("--quiet") != std::string::npos);
  for (const std::string command : {"inspect", "dump", "validate", "convert", "run", "scaffold", "completion", "manpage"}) {
    CAPTURE(command);
    const CommandResult help = run_mlconv({command, "--help"});
    CHECK(help.exit_code == 0);
    const auto examples = help.out.find("\nExamples:\n");
    REQUIRE(examples != std::string::npos);
    // Two to four example lines, each a real invocation of this command.
    int count = 0;
    std::istringstream lines(help.out.substr(examples + 11));
    for (std::string line; std::getline(lines, line) && line.starts_with("  ");)
      if (line.find("mlconv " + command) != std::string::npos) ++count;
    CHECK(count >= 2);
    CHECK(count <= 4);
  }
}

}  // namespace mlconv::test
