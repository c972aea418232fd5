// `mlconv convert` through the binary: the examples convert and `inspect` shows their
// custom layer dependency, output is byte-identical across runs, nothing is written on
// failure, and the summary, --check report and unsupported-op message match golden
// files (MLCONV_UPDATE_GOLDEN=1 rewrites them; review the diff).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

const std::filesystem::path golden_dir = source_dir() / "tests" / "golden" / "convert";
const std::filesystem::path examples = source_dir() / "examples";

bool updating_goldens() {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

// Paths in messages depend on the checkout and build directory; goldens hold them
// relative to the test's working directory (scratch files) or the source tree.
std::string relative_paths(std::string text) {
  for (const std::string& root : {std::filesystem::current_path().string() + "/", source_dir().string() + "/"}) {
    for (std::size_t at = text.find(root); at != std::string::npos; at = text.find(root, at)) text.erase(at, root.size());
  }
  return text;
}

void check_golden(const std::string& name, const std::string& actual) {
  const auto golden = golden_dir / name;
  const std::string text = relative_paths(actual);
  if (updating_goldens()) {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << text;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  CHECK(read_file(golden) == text);
}

CommandResult convert(const std::vector<std::string>& args) {
  std::vector<std::string> full{"convert"};
  full.insert(full.end(), args.begin(), args.end());
  return run_mlconv(full, {"NO_COLOR=1"});
}

TEST_CASE("convert CLI: the Swish example becomes a model with custom layer Swish, shown by inspect") {
  const auto dir = scratch_dir("convert_cli_swish");
  const auto out = (dir / "swish.mlmodel").string();
  const CommandResult result = convert({(examples / "swish" / "model.json").string(), "-o", out, "--rules",
                                        (examples / "swish" / "rules.json").string(), "--image-input", "image", "--image-scale",
                                        "0.00392157", "--author", "mlconv tests", "--input-description", "image=a photo"});
  CHECK(result.err == "");
  REQUIRE(result.exit_code == 0);
  check_golden("swish.txt", result.out);
  const CommandResult inspect = run_mlconv({"inspect", "--json", out});
  REQUIRE(inspect.exit_code == 0);
  const auto report = nlohmann::json::parse(inspect.out);
  REQUIRE(report["customLayers"].size() == 1);
  CHECK(report["customLayers"][0]["className"] == "Swish");
  CHECK(report["customLayers"][0]["usages"][0]["parameters"]["beta"]["type"] == "double");
  CHECK(report["specificationVersion"] == 2);
  CHECK(report["inputs"][0]["image"]["colorSpace"] == "RGB");
  CHECK(report["inputs"][0]["shortDescription"] == "a photo");
  CHECK(report["preprocessing"][0]["scaler"]["channelScale"].get<double>() == doctest::Approx(0.00392157));
  CHECK(report["metadata"]["author"] == "mlconv tests");
  CHECK(report["metadata"]["license"] == "MIT");  // from the graph's metadata
  const CommandResult text = run_mlconv({"inspect", out});
  CHECK(text.out.find("Swish") != std::string::npos);
  const CommandResult validate = run_mlconv({"validate", out});
  CHECK(validate.exit_code == 0);
  CHECK(validate.out.find("0 errors") != std::string::npos);
}

TEST_CASE("convert CLI: the composite rules give a model without custom layers") {
  const auto dir = scratch_dir("convert_cli_composite");
  const auto out = (dir / "swish.mlmodel").string();
  const CommandResult result = convert({(examples / "swish" / "model.json").string(), "-o", out, "--rules",
                                        (examples / "swish" / "rules-composite.json").string()});
  REQUIRE(result.exit_code == 0);
  check_golden("swish-composite.txt", result.out);
  const auto report = nlohmann::json::parse(run_mlconv({"inspect", "--json", out}).out);
  CHECK(report["customLayers"].empty());
  CHECK(report["specificationVersion"] == 1);
  CHECK(run_mlconv({"validate", out}).exit_code == 0);
}

TEST_CASE("convert CLI: the TopK example becomes custom layer CustomTopK") {
  const auto dir = scratch_dir("convert_cli_topk");
  const auto out = (dir / "topk.mlmodel").string();
  const CommandResult result = convert({(examples / "topk" / "model.json").string(), "-o", out, "--rules",
                                        (examples / "topk" / "rules.json").string()});
  CHECK(result.err == "");
  REQUIRE(result.exit_code == 0);
  check_golden("topk.txt", result.out);
  const auto report = nlohmann::json::parse(run_mlconv({"inspect", "--json", out}).out);
  REQUIRE(report["customLayers"].size() == 1);
  CHECK(report["customLayers"][0]["className"] == "CustomTopK");
  const auto& parameters = report["customLayers"][0]["usages"][0]["parameters"];
  CHECK(parameters["k"]["value"] == 5);
  CHECK(parameters["sorted"]["type"] == "bool");
  // The rule's output shape [x[0], k] sizes both outputs.
  for (const auto& output : report["outputs"]) CHECK(output["multiArray"]["shape"] == nlohmann::json::array({5}));
  CHECK(report["outputs"].size() == 2);
}

TEST_CASE("convert CLI: identical input gives byte-identical output") {
  const auto dir = scratch_dir("convert_cli_deterministic");
  const std::vector<std::string> common = {(examples / "swish" / "model.json").string(), "--rules",
                                           (examples / "swish" / "rules.json").string(), "--class-labels",
                                           (dir / "labels.txt").string()};
  std::ofstream(dir / "labels.txt") << "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
  auto first = common;
  first.insert(first.end(), {"-o", (dir / "one.mlmodel").string()});
  auto second = common;
  second.insert(second.end(), {"-o", (dir / "two.mlmodel").string()});
  REQUIRE(convert(first).exit_code == 0);
  REQUIRE(convert(second).exit_code == 0);
  CHECK(read_file(dir / "one.mlmodel") == read_file(dir / "two.mlmodel"));
  const auto report = nlohmann::json::parse(run_mlconv({"inspect", "--json", (dir / "one.mlmodel").string()}).out);
  CHECK(report["type"] == "neuralNetworkClassifier");
}

TEST_CASE("convert CLI: unsupported ops are all listed with rules to paste, and nothing is written") {
  const auto dir = scratch_dir("convert_cli_unsupported");
  const auto out = dir / "never.mlmodel";
  const CommandResult result = convert({(examples / "swish" / "model.json").string(), "-o", out.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "");
  check_golden("swish-unsupported.err", result.err);
  CHECK_FALSE(std::filesystem::exists(out));
  // An existing output file is left as it was.
  std::ofstream(out) << "old";
  CHECK(convert({(examples / "swish" / "model.json").string(), "-o", out.string()}).exit_code == 1);
  CHECK(read_file(out) == "old");
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("convert CLI: --check prints the pre-flight report and fails on uncovered ops") {
  const auto model = (examples / "swish" / "model.json").string();
  const CommandResult covered = convert({model, "--check", "--rules", (examples / "swish" / "rules.json").string()});
  CHECK(covered.exit_code == 0);
  check_golden("swish-check.txt", covered.out);
  const CommandResult uncovered = convert({model, "--check"});
  CHECK(uncovered.exit_code == 1);
  check_golden("swish-check-uncovered.txt", uncovered.out);
}

TEST_CASE("convert CLI: --check exports too, so a covered node its mapping refuses fails the check") {
  const auto dir = scratch_dir("convert_cli_check_export");
  const auto model = (dir / "resize.json").string();
  // Every node has a mapping, but the Resize scales are a graph input: the upsample layer
  // needs fixed factors, which only the export finds out.
  std::ofstream(model) << R"({
  "name": "runtime_resize",
  "opset_imports": [{"domain": "", "version": 13}],
  "inputs": [{"name": "x", "type": "float32", "shape": [1, 3, 4, 4]},
             {"name": "scales", "type": "float32", "shape": [4]}],
  "outputs": [{"name": "y", "type": "float32"}],
  "nodes": [{"name": "grow", "op_type": "Resize", "inputs": ["x", "", "scales"], "outputs": ["y"]}]
})";
  const CommandResult result = convert({model, "--check"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.find("grow (Resize): upsample") != std::string::npos);
  CHECK(result.out.find("1 nodes, 0 unsupported\nExport: FAILS: " + model + ":7: node 'grow' (Resize): scales (input 2 "
                        "'scales') is computed at run time") != std::string::npos);
  CHECK(result.err == "mlconv: error: " + model + ": pre-flight check failed: every node is covered, but the export fails\n");
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("convert CLI: --allow-custom makes unsupported ops custom layers and says so") {
  const auto dir = scratch_dir("convert_cli_allow_custom");
  const auto out = (dir / "m.mlmodel").string();
  const CommandResult result = convert({(examples / "swish" / "model.json").string(), "-o", out, "--allow-custom"});
  REQUIRE(result.exit_code == 0);
  check_golden("swish-allow-custom.txt", result.out);
  const auto report = nlohmann::json::parse(run_mlconv({"inspect", "--json", out}).out);
  CHECK(report["customLayers"][0]["className"] == "Swish");
}

TEST_CASE("convert CLI: a deployment target below what the layers need fails naming them") {
  const auto dir = scratch_dir("convert_cli_target");
  const auto out = dir / "m.mlmodel";
  const CommandResult result = convert({(examples / "swish" / "model.json").string(), "-o", out.string(), "--rules",
                                        (examples / "swish" / "rules.json").string(), "--minimum-deployment-target", "iOS11"});
  CHECK(result.exit_code == 1);
  CHECK(result.err ==
        "mlconv: error: " + (examples / "swish" / "model.json").string() +
            ": the model needs specificationVersion 2 (iOS 11.2), above the deployment target iOS 11:\n"
        "  layer 'swish1' (custom): custom layers need iOS 11.2\n");
  CHECK_FALSE(std::filesystem::exists(out));
  const CommandResult raised = convert({(examples / "swish" / "model.json").string(), "-o", out.string(), "--rules",
                                        (examples / "swish" / "rules.json").string(), "--minimum-deployment-target", "iOS13"});
  REQUIRE(raised.exit_code == 0);
  CHECK(nlohmann::json::parse(run_mlconv({"inspect", "--json", out.string()}).out)["specificationVersion"] == 4);
}

TEST_CASE("convert CLI: ONNX input and bad options are clear errors") {
  const auto dir = scratch_dir("convert_cli_errors");
  std::ofstream(dir / "m.onnx") << "x";
  const CommandResult no_output = convert({(examples / "swish" / "model.json").string(), "--allow-custom"});
  CHECK(no_output.exit_code == 2);
  CHECK(no_output.err == "mlconv: error: convert needs -o OUT.mlmodel (or --check)\n");
  const CommandResult bias = convert({(examples / "swish" / "model.json").string(), "-o", (dir / "x.mlmodel").string(),
                                      "--allow-custom", "--image-input", "image", "--image-bias", "1,x,2"});
  CHECK(bias.exit_code == 2);
  CHECK(bias.err == "mlconv: error: --image-bias '1,x,2': expected numbers separated by commas, e.g. -1,-1,-1\n");
}

}  // namespace
}  // namespace mlconv::test
