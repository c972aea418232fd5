// `mlconv inspect` through the binary: golden outputs for every real model and
// pinned messages for bad input. Set MLCONV_UPDATE_GOLDEN=1 to rewrite the
// golden files after an intended change, then review the diff before committing.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

const std::filesystem::path golden_dir = source_dir() / "tests" / "golden" / "inspect";

bool updating_goldens() {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

void check_golden(const std::filesystem::path& golden, const std::string& actual) {
  if (updating_goldens()) {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  CHECK(read_file(golden) == actual);
}

}  // namespace

TEST_CASE("inspect --json of every real model matches its golden file") {
  for (const auto& model : real_models()) {
    CAPTURE(model);
    const CommandResult result = run_mlconv({"inspect", "--json", model.string()});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    const auto report = nlohmann::json::parse(result.out);
    CHECK(report["file"] == model.filename().string());
    check_golden(golden_dir / (model.stem().string() + ".json"), result.out);
  }
}

TEST_CASE("inspect --layers of every real model matches its golden file") {
  for (const auto& model : real_models()) {
    CAPTURE(model);
    const CommandResult result = run_mlconv({"inspect", "--layers", model.string()});
    CHECK(result.exit_code == 0);
    check_golden(golden_dir / (model.stem().string() + ".txt"), result.out);
  }
}

TEST_CASE("inspect --weights reports statistics for every weight blob") {
  const auto model = realmodels_dir() / "kodeco_mlt-materials__Es2EnCharDecoder16Bit.mlmodel";
  const CommandResult result = run_mlconv({"inspect", "--json", "--weights", model.string()});
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  int blobs = 0;
  for (const auto& layer : report["layers"]) {
    for (const auto& weight : layer["weights"]) {
      CAPTURE(layer["name"]);
      REQUIRE(weight.contains("statistics"));
      CHECK(weight["elementType"] == "float16");
      CHECK(weight["statistics"]["nan"] == 0);
      CHECK(weight["statistics"]["min"].get<double>() <= weight["statistics"]["max"].get<double>());
      ++blobs;
    }
  }
  CHECK(blobs > 0);
  const CommandResult text = run_mlconv({"inspect", "--weights", model.string()});
  CHECK(text.out.find("\nWeights\n") != std::string::npos);
  CHECK(text.out.find("float16 × ") != std::string::npos);
}

TEST_CASE("inspect shows the custom layer dependency of the Swish model") {
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  const CommandResult result = run_mlconv({"inspect", "--json", model.string()});
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  REQUIRE(report["customLayers"].size() == 1);
  const auto& swish = report["customLayers"][0];
  CHECK(swish["className"] == "Swish");
  REQUIRE(swish["usages"].size() == 1);
  CHECK(swish["usages"][0]["parameters"]["beta"]["type"] == "double");
  CHECK(report["minimumSpecificationVersion"] == 2);
}

struct BadInput {
  std::string name;
  std::string bytes;
};

TEST_CASE("inspect rejects bad input with a message naming the file and exit code 1") {
  const auto dir = scratch_dir("inspect_bad_input");
  const std::string swish = read_file(realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel");
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random());

  struct Case {
    std::string file;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty.mlmodel", "", "empty file; expected a Core ML model (.mlmodel)"},
      {"truncated.mlmodel", swish.substr(0, swish.size() / 2),
       "not a valid protobuf message (truncated, corrupt, or with messages nested more than 256 deep); "
       "expected a Core ML model (.mlmodel)"},
      {"version0.mlmodel", std::string("\x08\x00\x12\x00", 4), "specificationVersion is 0; expected 1 to 10"},
      {"version11.mlmodel", std::string("\x08\x0b\x12\x00", 4),
       "specificationVersion 11 is newer than this mlconv knows (10, iOS 26)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    const auto path = dir / c.file;
    std::ofstream(path, std::ios::binary) << c.bytes;
    const CommandResult result = run_mlconv({"inspect", path.string()}, {"NO_COLOR=1"});
    CHECK(result.exit_code == 1);
    CHECK(result.out == "");
    CHECK(result.err.rfind("mlconv: error: " + path.string() + ": " + c.message, 0) == 0);
  }

  const auto random_path = dir / "random.mlmodel";
  std::ofstream(random_path, std::ios::binary) << noise;
  const CommandResult random_result = run_mlconv({"inspect", random_path.string()}, {"NO_COLOR=1"});
  CHECK(random_result.exit_code == 1);
  CHECK(random_result.err.rfind("mlconv: error: " + random_path.string() + ": ", 0) == 0);

  const auto onnx = realmodels_dir() / "onnx" / "onnx_onnx__light_shufflenet.onnx";
  const CommandResult onnx_result = run_mlconv({"inspect", onnx.string()}, {"NO_COLOR=1"});
  CHECK(onnx_result.exit_code == 1);
  CHECK(onnx_result.err == "mlconv: error: " + onnx.string() +
                           ": not a valid protobuf message (truncated, corrupt, or with messages nested more than 256 "
                           "deep); expected a Core ML model (.mlmodel) (this is an ONNX file; inspect and dump read Core "
                           "ML .mlmodel files)\n");

  const CommandResult missing = run_mlconv({"inspect", (dir / "missing.mlmodel").string()}, {"NO_COLOR=1"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err == "mlconv: error: " + (dir / "missing.mlmodel").string() + ": cannot open: No such file or directory\n");

  const CommandResult directory = run_mlconv({"inspect", dir.string()}, {"NO_COLOR=1"});
  CHECK(directory.exit_code == 1);
  CHECK(directory.err == "mlconv: error: " + dir.string() + ": is a directory; expected a .mlmodel file\n");
}

TEST_CASE("inspect command-line mistakes exit with code 2") {
  const CommandResult no_model = run_mlconv({"inspect"}, {"NO_COLOR=1"});
  CHECK(no_model.exit_code == 2);
  CHECK(no_model.err.rfind("mlconv: error: model is required", 0) == 0);
  const CommandResult unknown = run_mlconv({"inspect", "--frobnicate", "x.mlmodel"}, {"NO_COLOR=1"});
  CHECK(unknown.exit_code == 2);
  const CommandResult none = run_mlconv({}, {"NO_COLOR=1"});
  CHECK(none.exit_code == 2);
}

TEST_CASE("--version and --help") {
  const CommandResult version = run_mlconv({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("mlconv ") + MLCONV_VERSION + "\n");
  const CommandResult help = run_mlconv({"inspect", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Examples:") != std::string::npos);
}

}  // namespace mlconv::test
