// `validate --plugin`: a class no plugin implements (E210), a plugin that
// refuses the layer (E211), an output-shape function that refuses the shapes
// reaching it (E212), and a model that cannot run to find out (W210).
#include <doctest/doctest.h>

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
                               "' rejects the input shapes [1, 1, 3, 4, 4]: output_shapes failed: beta has 2 values, "
                               "one per channel, but the input [1, 1, 3, 4, 4] has 3 channels (axis -3) (hint: "));
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
