// `mlconv validate` through the binary: golden text and JSON for real models
// and for a model broken on purpose, exit codes, --strict and usage errors.
// Set MLCONV_UPDATE_GOLDEN=1 to rewrite tests/golden/validate/ after an intended change.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
const std::filesystem::path golden_dir = source_dir() / "tests" / "golden" / "validate";

void check_golden(const std::filesystem::path& golden, const std::string& actual) {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  CHECK(read_file(golden) == actual);
}

// Text output names the model as given on the command line; goldens hold the bare file name.
std::string with_file_name(std::string text, const std::filesystem::path& model) {
  const std::string given = model.string();
  for (std::size_t at = text.find(given); at != std::string::npos; at = text.find(given, at)) {
    text.replace(at, given.size(), model.filename().string());
  }
  return text;
}

// A network with one error (E022: reads a blob nobody produces) and one warning (W022: unused input).
std::filesystem::path broken_model() {
  cml::Model model;
  model.set_specificationversion(1);
  for (const char* name : {"x", "unused"}) {
    cml::FeatureDescription* input = model.mutable_description()->add_input();
    input->set_name(name);
    input->mutable_type()->mutable_multiarraytype()->add_shape(3);
  }
  cml::FeatureDescription* output = model.mutable_description()->add_output();
  output->set_name("y");
  output->mutable_type()->mutable_multiarraytype()->add_shape(3);
  cml::NeuralNetworkLayer* layer = model.mutable_neuralnetwork()->add_layers();
  layer->set_name("relu");
  layer->add_input("x");
  layer->add_output("y");
  layer->mutable_activation()->mutable_relu();
  cml::NeuralNetworkLayer* broken = model.mutable_neuralnetwork()->add_layers();
  broken->set_name("swish_1");
  broken->add_input("missing");
  broken->add_output("y2");
  broken->mutable_activation()->mutable_relu();
  const auto path = scratch_dir("validate-broken") / "broken.mlmodel";
  spec::save_model(model, path);
  return path;
}

// Only a warning: the same model without the broken layer.
std::filesystem::path warning_model() {
  spec::LoadedModel loaded = spec::load_model(broken_model());
  loaded.model.mutable_neuralnetwork()->mutable_layers()->RemoveLast();
  const auto path = scratch_dir("validate-warning") / "warning.mlmodel";
  spec::save_model(loaded.model, path);
  return path;
}

const char* const golden_models[] = {
    "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish",
    "kodeco_mlt-materials__HealthySnacks_pipeline",
    "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape",
};

}  // namespace

TEST_CASE("validate: text and JSON of three real models match their golden files") {
  for (const char* stem : golden_models) {
    CAPTURE(stem);
    const auto model = realmodels_dir() / (std::string(stem) + ".mlmodel");
    const CommandResult text = run_mlconv({"validate", model.string()});
    CHECK(text.exit_code == 0);
    CHECK(text.err == "");
    check_golden(golden_dir / (std::string(stem) + ".txt"), with_file_name(text.out, model));
    const CommandResult json = run_mlconv({"validate", "--format", "json", model.string()});
    CHECK(json.exit_code == 0);
    CHECK(nlohmann::json::parse(json.out)["errors"] == 0);
    check_golden(golden_dir / (std::string(stem) + ".json"), json.out);
  }
}

TEST_CASE("validate: the Swish-then-reshape model of coremltools issue 114 warns about the custom layer's shape") {
  const auto model = realmodels_dir() / "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape.mlmodel";
  const CommandResult result = run_mlconv({"validate", model.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(": warning W060: layer 'reshape_1' (reshape): input 'lambda_1_output' has no known shape: it "
                        "comes from layer 'lambda_1' (custom) of class 'Swish'") != std::string::npos);
  CHECK(result.out.find("bindings file") != std::string::npos);
  CHECK(result.out.find(model.string() + ": 0 errors, 1 warning\n") != std::string::npos);
}

TEST_CASE("validate: no real model has errors") {
  for (const auto& model : real_models()) {
    CAPTURE(model.filename().string());
    const CommandResult result = run_mlconv({"validate", "--format", "json", model.string()});
    CHECK(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["errors"] == 0);
  }
}

TEST_CASE("validate: errors are listed one per line and exit with 1") {
  const auto model = broken_model();
  const CommandResult text = run_mlconv({"validate", model.string()});
  CHECK(text.exit_code == 1);
  check_golden(golden_dir / "broken.txt", with_file_name(text.out, model));
  CHECK(text.out.find(model.string() + ": error E022: layer 'swish_1' (activation): input 'missing' is neither a model "
                                       "input nor produced by an earlier layer (hint: ") != std::string::npos);
  CHECK(text.err == "mlconv: error: " + model.string() + ": validation failed\n");

  const CommandResult json = run_mlconv({"validate", "--format", "json", model.string()});
  CHECK(json.exit_code == 1);
  check_golden(golden_dir / "broken.json", json.out);
  const auto report = nlohmann::json::parse(json.out);
  CHECK(report["errors"] == 1);
  CHECK(report["warnings"] == 2);  // W022 'unused' and W023: nobody reads 'y2'
}

TEST_CASE("validate: warnings exit with 0, or 1 under --strict") {
  const auto model = warning_model();
  const CommandResult plain = run_mlconv({"validate", model.string()});
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == model.string() + ": warning W022: input 'unused': no layer reads this model input (hint: remove "
                                      "the input, or connect it to the layer that should read it)\n" +
                         model.string() + ": 0 errors, 1 warning\n");
  CHECK(plain.err == "");
  const CommandResult strict = run_mlconv({"validate", "--strict", model.string()});
  CHECK(strict.exit_code == 1);
  CHECK(strict.out == plain.out);
  CHECK(strict.err == "mlconv: error: " + model.string() + ": validation failed: --strict counts warnings as errors\n");
}

TEST_CASE("validate: unreadable models and usage errors") {
  const CommandResult missing = run_mlconv({"validate", "missing.mlmodel"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out == "");
  CHECK(missing.err == "mlconv: error: missing.mlmodel: cannot open: No such file or directory\n");
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  CHECK(run_mlconv({"validate", "--format", "yaml", model.string()}).exit_code == 2);
  CHECK(run_mlconv({"validate"}).exit_code == 2);
}

}  // namespace mlconv::test
