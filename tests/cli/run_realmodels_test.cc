// `mlconv run` on the real models of ../shared/realmodels: what must hold for
// each (a regression list, one entry per model). Models without custom layers
// or Apple-only parts run on seeded random inputs and give finite outputs of
// the declared shapes; the Swish models run on their own image with the Swish
// plugin; the others fail with pinned messages; my_network agrees with ONNX
// Runtime on the original ONNX model (tests/fixtures/run/README.md).
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "executor/io/npy.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
namespace fs = std::filesystem;

const std::string swish_plugin = MLCONV_SWISH_PLUGIN;

enum class Expect { runs, runs_with_swish_on_floortje, fails };

struct RealModelCase {
  Expect expect;
  std::string error;  // the message after "mlconv: error: MODEL: " for Expect::fails
};

const std::map<std::string, RealModelCase>& cases() {
  static const std::map<std::string, RealModelCase> table = {
      {"JacopoMangiavacchi_CoreML-TransferLearning-Demo__s4tf_house_trainable_updatable", {Expect::runs, ""}},
      {"Kautenja_ios-semantic-segmentation__Tiramisu45", {Expect::runs, ""}},
      {"PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight",
       {Expect::fails,
        "layer 'res_crop_0' (custom): needs custom layer class 'ResCropBlockLambda'; no loaded plugin provides it "
        "(load one with --plugin)"}},
      {"Vadbeg_colorization-coreml__colorizer_tail", {Expect::runs, ""}},
      {"afsaredrisy_ios-semantic-segmentation-coreml__deeplab_dm05_float32_fp16", {Expect::runs, ""}},
      {"apple_coremltools__TinyDrawingEmbedding", {Expect::runs, ""}},
      {"hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish", {Expect::runs_with_swish_on_floortje, ""}},
      {"kodeco_mlt-materials__Es2EnBidirGruCharEncoder16Bit", {Expect::runs, ""}},
      {"kodeco_mlt-materials__Es2EnCharDecoder16Bit", {Expect::runs, ""}},
      {"kodeco_mlt-materials__GestureClassifier", {Expect::runs, ""}},
      {"kodeco_mlt-materials__HealthySnacks_pipeline",
       {Expect::fails,
        "pipeline model 0: model type 'visionFeaturePrint' cannot run: it is an Apple-only model whose implementation "
        "ships with Apple's OS; mlconv run executes neuralNetwork, neuralNetworkClassifier, neuralNetworkRegressor and "
        "pipelines of them"}},
      {"lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape",
       {Expect::runs_with_swish_on_floortje, ""}},
      {"mariozusag_activity-prediction-app__live_coreml_model_BiLSTM", {Expect::runs, ""}},
      {"vincentfpgarcia_from-pytorch-to-coreml__my_network", {Expect::runs, ""}},
  };
  return table;
}

// Every declared output is in `dir` (as --output-dir writes it) and holds
// finite values: arrays of the declared shape (when one is declared), a
// probability dictionary that sums to 1, and a predicted label that is its
// most probable key.
void check_output_dir(const cml::ModelDescription& description, const fs::path& dir) {
  nlohmann::json probabilities;
  for (const cml::FeatureDescription& output : description.output()) {
    CAPTURE(output.name());
    const cml::FeatureType& type = output.type();
    if (type.has_multiarraytype()) {
      const exec::Tensor tensor = exec::io::read_npy(dir / (output.name() + ".npy")).to_tensor();
      const exec::Shape declared(type.multiarraytype().shape().begin(), type.multiarraytype().shape().end());
      if (!declared.empty()) CHECK(tensor.shape() == declared);
      CHECK(tensor.size() > 0);
      std::int64_t non_finite = 0;
      for (float v : tensor.values()) non_finite += std::isfinite(v) ? 0 : 1;
      CHECK(non_finite == 0);
    } else if (type.has_dictionarytype()) {
      probabilities = nlohmann::json::parse(read_file(dir / (output.name() + ".json")));
      REQUIRE(probabilities.is_object());
      CHECK(probabilities.size() > 1);
      double sum = 0;
      for (const auto& [label, p] : probabilities.items()) {
        REQUIRE(p.is_number());
        CHECK(p.get<double>() >= 0);
        sum += p.get<double>();
      }
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
    }
  }
  for (const cml::FeatureDescription& output : description.output()) {
    if (!output.type().has_stringtype() || probabilities.is_null()) continue;
    const auto label = nlohmann::json::parse(read_file(dir / (output.name() + ".json")));
    REQUIRE(label.is_string());
    std::string best;
    double best_p = -1;
    for (const auto& [key, p] : probabilities.items())
      if (p.get<double>() > best_p) best = key, best_p = p.get<double>();
    CHECK(label.get<std::string>() == best);
  }
}

TEST_CASE("run: every real model runs, or fails as pinned") {
  for (const fs::path& model : real_models()) {
    const std::string stem = model.stem().string();
    CAPTURE(stem);
    const auto entry = cases().find(stem);
    REQUIRE_MESSAGE(entry != cases().end(), "add what must hold for " << stem << " to this test's table");
    const fs::path dir = scratch_dir("run-real-" + stem);
    switch (entry->second.expect) {
      case Expect::fails: {
        const CommandResult result =
            run_mlconv({"run", model.string(), "--random-inputs", "--seed", "1", "--output-dir", (dir / "out").string()});
        CHECK(result.exit_code == 1);
        CHECK(result.out == "");
        CHECK(result.err == "mlconv: error: " + model.string() + ": " + entry->second.error + "\n");
        CHECK(!fs::exists(dir / "out"));
        break;
      }
      case Expect::runs:
      case Expect::runs_with_swish_on_floortje: {
        std::vector<std::string> args{"run", model.string(), "--output-dir", (dir / "out").string()};
        if (entry->second.expect == Expect::runs) {
          args.insert(args.end(), {"--random-inputs", "--seed", "1"});
        } else {
          args.insert(args.end(), {"--plugin", swish_plugin, "-i",
                                   "image=" + (realmodels_dir() / "hollance_CoreML-Custom-Layers__floortje.png").string()});
        }
        const CommandResult result = run_mlconv(args);
        CHECK(result.err == "");
        REQUIRE(result.exit_code == 0);
        check_output_dir(spec::load_model(model).model.description(), dir / "out");
        break;
      }
    }
  }
}

TEST_CASE("run: the Swish models need the Swish plugin") {
  for (const char* stem : {"hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish",
                           "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape"}) {
    CAPTURE(stem);
    const fs::path model = realmodels_dir() / (std::string(stem) + ".mlmodel");
    const CommandResult result = run_mlconv({"run", model.string(), "--random-inputs"}, {"MLCONV_PLUGIN_PATH="});
    CHECK(result.exit_code == 1);
    const std::string layer = std::string(stem).find("hollance") == 0 ? "swish_1" : "lambda_1";
    CHECK(result.err == "mlconv: error: " + model.string() + ": layer '" + layer +
                            "' (custom): needs custom layer class 'Swish'; no loaded plugin provides it (load one with "
                            "--plugin)\n");
    // MLCONV_PLUGIN_PATH finds it as well as --plugin does.
    const CommandResult found = run_mlconv({"run", model.string(), "--random-inputs"},
                                           {"MLCONV_PLUGIN_PATH=" + fs::path(swish_plugin).parent_path().string()});
    CHECK(found.err == "");
    CHECK(found.exit_code == 0);
  }
}

TEST_CASE("run: my_network agrees with ONNX Runtime on the original ONNX model") {
  const fs::path model = realmodels_dir() / "vincentfpgarcia_from-pytorch-to-coreml__my_network.mlmodel";
  const fs::path fixtures = source_dir() / "tests" / "fixtures" / "run";
  const std::string expected = (fixtures / "my_output.npy").string();
  const CommandResult result =
      run_mlconv({"run", model.string(), "-i", "my_input=" + (fixtures / "my_input.npy").string(), "--expect",
                  "my_output=" + expected, "--atol", "1e-4", "--rtol", "1e-4"});
  CHECK(result.err == "");
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("  my_output  PASS  vs " + expected + "\n") != std::string::npos);
  CHECK(result.out.find("    0 of 10 elements outside atol 0.0001, rtol 0.0001\n") != std::string::npos);
}

}  // namespace
}  // namespace mlconv::test
