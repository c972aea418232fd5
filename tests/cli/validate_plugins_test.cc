// `validate --plugin`: a class no plugin implements (E210), a plugin that
// refuses the layer (E211), an output-shape function that refuses the shapes
// reaching it (E212), an output shape other than the binding's (E214), and a
// model that cannot run to find out (W210).
#include <doctest/doctest.h>

#include <fstream>

#include "executor/io/npy.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

const std::string swish_plugin = MLCONV_SWISH_PLUGIN;
const std::string topk_plugin = MLCONV_TOPK_PLUGIN;

// The Swish model of the tests with per-channel beta: `channels` float32 values in one blob.
cml::Model swish_with_channel_beta(int blobs, int channels) {
  cml::Model model = custom_layer_model("Swish");
  for (int b = 0; b < blobs; ++b) {
    cml::WeightParams* blob = custom_params(model).add_weights();
    for (int c = 0; c < channels; ++c) blob->add_floatvalue(1.0F);
  }
  return model;
}

CommandResult validate_with(const std::string& plugin, const std::filesystem::path& model) {
  return run_mlconv({"validate", "--plugin", plugin, model.string()});
}

}  // namespace

TEST_CASE("validate plugins: the Swish plugin implements the real Swish models") {
  for (const char* name : {"hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel",
                           "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape.mlmodel"}) {
    CAPTURE(name);
    const auto model = realmodels_dir() / name;
    const CommandResult result = validate_with(swish_plugin, model);
    CHECK(result.exit_code == 0);
    // The plugin finds nothing wrong; the reshape model keeps its structural W060
    // (its custom layer's output shape is not stated in the model itself).
    const bool reshapes = std::string(name).find("then_reshape") != std::string::npos;
    CHECK(result.out.find(": error ") == std::string::npos);
    CHECK(result.out.ends_with(model.string() + (reshapes ? ": 0 errors, 1 warning\n" : ": 0 errors, 0 warnings\n")));
    CHECK((result.out.find("warning W060") != std::string::npos) == reshapes);
  }
  // MLCONV_PLUGIN_PATH alone turns the check on.
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  const CommandResult by_path = run_mlconv({"validate", model.string()}, {"MLCONV_PLUGIN_PATH=" + topk_plugin});
  CHECK(by_path.exit_code == 1);
  CHECK(by_path.out.find("error E210") != std::string::npos);
}

TEST_CASE("validate plugins: E210, no plugin implements the class") {
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  const CommandResult result = validate_with(topk_plugin, model);
  CHECK(result.exit_code == 1);
  CHECK(result.out == model.string() + ": error E210: layer 'swish_1' (custom): no loaded plugin implements class "
                                       "'Swish' (1 plugin loaded; classes provided: 'CustomTopK') (hint: pass the "
                                       "plugin that implements 'Swish' with --plugin or MLCONV_PLUGIN_PATH (mlconv "
                                       "scaffold --cpp writes a skeleton))\n" +
                          model.string() + ": 1 error, 0 warnings\n");
}

TEST_CASE("validate plugins: E211, the plugin refuses the layer") {
  const auto model = save_in_scratch(swish_with_channel_beta(2, 3), "plugins-e211");
  const CommandResult result = validate_with(swish_plugin, model);
  CHECK(result.exit_code == 1);
  CHECK(result.out.starts_with(model.string() + ": error E211: layer 'act' (custom): plugin '" + swish_plugin +
                               "' refuses the layer: set_weights failed: Swish takes at most one weight blob (beta per "
                               "channel); the layer has 2 (hint: "));
}

TEST_CASE("validate plugins: E212, the output-shape function refuses the shapes that reach it") {
  const auto model = save_in_scratch(swish_with_channel_beta(1, 2), "plugins-e212");
  const CommandResult result = validate_with(swish_plugin, model);
  CHECK(result.exit_code == 1);
  CHECK(result.out.starts_with(model.string() + ": error E212: layer 'act' (custom): plugin '" + swish_plugin +
                               "' rejects the input shapes [1, 1, 3, 4, 4] that shape inference gives the layer: "
                               "output_shapes failed: beta has 2 values, one per channel, but the input [1, 1, 3, 4, 4] "
                               "has 3 channels (axis -3) (hint: "));
  // Found from the inferred shapes, the refusal is not reported a second time by the run on zero inputs.
  CHECK(result.out.find("E212", result.out.find("E212") + 1) == std::string::npos);
}

TEST_CASE("validate plugins: E214, the plugin computes another output shape than the binding states") {
  const auto model = save_in_scratch(custom_layer_model("Swish"), "plugins-e214");
  const auto bindings = model.parent_path() / "b.json";
  std::ofstream(bindings) << R"({"classes": {"Swish": {"inputs": ["x"],
      "outputs": [{"name": "y", "shape": [1, 1, "in0[-3] * 2", 4, 4]}]}}})";
  const CommandResult result =
      run_mlconv({"validate", "--plugin", swish_plugin, "--bindings", bindings.string(), model.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out == model.string() + ": error E214: layer 'act' (custom): for inputs [1, 1, 3, 4, 4], the bindings "
                                       "file gives output 0 the shape [1, 1, 6, 4, 4], but plugin '" + swish_plugin +
                                       "' computes [1, 1, 3, 4, 4] (hint: make the plugin's output_shapes and the "
                                       "binding's output rule agree (the app's outputShapes must give the same shape "
                                       "too))\n" + model.string() + ": 1 error, 0 warnings\n");
  std::ofstream(bindings) << R"({"classes": {"Swish": {"inputs": ["x"], "outputs": [{"name": "y", "sameShapeAs": 0}]}}})";
  const CommandResult agreed =
      run_mlconv({"validate", "--plugin", swish_plugin, "--bindings", bindings.string(), model.string()});
  CHECK(agreed.exit_code == 0);
  CHECK(agreed.out == model.string() + ": 0 errors, 0 warnings\n");
}

TEST_CASE("validate plugins: W210, the model cannot run to reach the custom layer") {
  cml::Model broken = custom_layer_model("Swish");
  broken.mutable_description()->mutable_input(0)->mutable_type()->mutable_multiarraytype()->clear_shape();
  const auto model = save_in_scratch(broken, "plugins-w210");
  const CommandResult result = validate_with(swish_plugin, model);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("warning W210: model: the model could not run on zero inputs, so the plugins' output shapes "
                        "were not checked: input 'x' declares no shape to make a zero input of") != std::string::npos);
  const CommandResult missing = validate_with("no-such-plugin.so", model);
  CHECK(missing.exit_code == 1);
  CHECK(missing.out == "");
}

}  // namespace mlconv::test

namespace mlconv::test {

// A binding's testVectors run the class alone, through the plugin kernel made
// for its first layer (so with that layer's beta).
TEST_CASE("validate plugins: a binding's test vectors run through the plugin (E230-E232)") {
  cml::Model swish = custom_layer_model("Swish");
  (*custom_params(swish).mutable_parameters())["beta"].set_doublevalue(2.0);
  const auto model = save_in_scratch(swish, "plugins-vectors");
  const auto dir = model.parent_path();
  std::filesystem::create_directories(dir / "vectors" / "four" / "inputs");
  std::filesystem::create_directories(dir / "vectors" / "four" / "outputs");
  const std::vector<double> x = {-1.0, 0.0, 1.0, 2.0};
  exec::io::write_npy(dir / "vectors" / "four" / "inputs" / "x.npy", {4}, x);
  // NumPy: x / (1 + np.exp(-2 * x)), as float32.
  std::vector<double> y = {-0.11920292, 0.0, 0.8807971, 1.9640275};
  exec::io::write_npy(dir / "vectors" / "four" / "outputs" / "y.npy", {4}, y);
  std::ofstream(dir / "b.json") << R"({"classes": {"Swish": {"inputs": ["x"],
      "outputs": [{"name": "y", "sameShapeAs": 0}], "parameters": {"beta": {"type": "double"}},
      "testVectors": "vectors"}}})";
  const auto validate = [&] {
    return run_mlconv({"validate", "--plugin", swish_plugin, "--bindings", (dir / "b.json").string(), model.string()});
  };
  const CommandResult pass = validate();
  CHECK(pass.exit_code == 0);
  CHECK(pass.out == model.string() + ": 0 errors, 0 warnings\n");

  y[3] = 1.5;
  exec::io::write_npy(dir / "vectors" / "four" / "outputs" / "y.npy", {4}, y);
  const CommandResult wrong = validate();
  CHECK(wrong.exit_code == 1);
  // The expected file is the finding's source, printed before the place.
  CHECK(wrong.out.find(": error E230: " + (dir / "vectors" / "four" / "outputs" / "y.npy").string() +
                       ": binding 'Swish', test case 'four': output 'y': 1 of 4 values differ from y.npy "
                       "by more than atol 1e-05 + rtol 1e-05 * |expected|; the worst is element 3: got 1.96402") !=
        std::string::npos);

  std::filesystem::remove(dir / "vectors" / "four" / "inputs" / "x.npy");
  const CommandResult missing = validate();
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find(": error E231: binding 'Swish', test case 'four': the case could not run: no file for input "
                         "'x' (expected ") != std::string::npos);
}

}  // namespace mlconv::test
