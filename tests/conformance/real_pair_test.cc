// The real conversion pair: onnx-coreml turned ../shared/realmodels/onnx/..._my_network.onnx
// into ../shared/realmodels/..._my_network.mlmodel. Our conversion of the same .onnx must
// compute what that real model computes: both run with the Predictor on the same seeded
// random inputs and agree within 1e-4 abs + 1e-4 rel.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "cli/run_compare.h"
#include "converter/convert.h"
#include "executor/predictor.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace {

namespace fs = std::filesystem;
namespace cml = CoreML::Specification;
using mlconv::exec::FeatureMap;
using mlconv::exec::Tensor;

const fs::path realmodels(MLCONV_REALMODELS_DIR);
const fs::path onnx_file = realmodels / "onnx/vincentfpgarcia_from-pytorch-to-coreml__my_network.onnx";
const fs::path real_mlmodel = realmodels / "vincentfpgarcia_from-pytorch-to-coreml__my_network.mlmodel";

cml::Model convert_ours() {
  const mlconv::converter::ConvertOptions options;
  try {
    const mlconv::converter::ConversionPlan plan = mlconv::converter::plan_conversion(onnx_file, options);
    mlconv::converter::require_supported(plan);
    return mlconv::converter::export_model(plan, options);
  } catch (const mlconv::Error& error) {
    FAIL("our converter cannot convert " << onnx_file.filename().string() << ": " << error.what());
  }
  return {};
}

// Uniform values in [-1, 1) for every input the model declares, in its declared shape.
FeatureMap random_inputs(const cml::ModelDescription& description, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
  FeatureMap inputs;
  for (const cml::FeatureDescription& input : description.input()) {
    REQUIRE_MESSAGE(input.type().has_multiarraytype(), "input '" << input.name() << "' is not a MultiArray");
    const auto& dims = input.type().multiarraytype().shape();
    Tensor tensor(mlconv::exec::Shape(dims.begin(), dims.end()));
    for (float& v : tensor.values()) v = uniform(engine);
    inputs[input.name()] = mlconv::exec::FeatureValue::array(std::move(tensor));
  }
  return inputs;
}

FeatureMap run(const cml::Model& model, const FeatureMap& inputs) {
  const mlconv::exec::KernelRegistry kernels = mlconv::exec::KernelRegistry::with_builtin_kernels();
  mlconv::exec::PredictorOptions options;
  options.kernels = &kernels;
  options.threads = 1;
  mlconv::exec::Predictor predictor(model, options);
  return predictor.predict(inputs);
}

TEST_CASE("conformance: our conversion of my_network.onnx computes what onnx-coreml's my_network.mlmodel does") {
  REQUIRE_MESSAGE(fs::exists(onnx_file), onnx_file);
  REQUIRE_MESSAGE(fs::exists(real_mlmodel), real_mlmodel);
  const cml::Model ours = convert_ours();
  const mlconv::spec::LoadedModel real = mlconv::spec::load_model(real_mlmodel.string());

  // Same interface: input and output names and input shapes.
  REQUIRE(ours.description().input_size() == real.model.description().input_size());
  for (int i = 0; i < ours.description().input_size(); ++i) {
    const auto& a = ours.description().input(i);
    const auto& b = real.model.description().input(i);
    CHECK(a.name() == b.name());
    CHECK(std::equal(a.type().multiarraytype().shape().begin(), a.type().multiarraytype().shape().end(),
                     b.type().multiarraytype().shape().begin(), b.type().multiarraytype().shape().end()));
  }
  REQUIRE(ours.description().output_size() == real.model.description().output_size());

  mlconv::cli::Tolerances tolerances;
  tolerances.atol = 1e-4;
  tolerances.rtol = 1e-4;
  for (const unsigned seed : {1U, 2U, 3U}) {
    CAPTURE(seed);
    const FeatureMap inputs = random_inputs(real.model.description(), seed);
    const FeatureMap got = run(ours, inputs);
    const FeatureMap want = run(real.model, inputs);
    for (const cml::FeatureDescription& output : real.model.description().output()) {
      CAPTURE(output.name());
      REQUIRE(got.contains(output.name()));
      const Tensor& expected = want.at(output.name()).tensor;
      // A network that ignores its input would agree trivially; this one must not.
      REQUIRE(expected.size() > 1);
      CHECK(*std::max_element(expected.values().begin(), expected.values().end()) >
            *std::min_element(expected.values().begin(), expected.values().end()));
      const mlconv::cli::Comparison c =
          mlconv::cli::compare_output(output.name(), got.at(output.name()), expected, real_mlmodel.string(), tolerances);
      CHECK_MESSAGE(c.passed, "output '" << c.output << "': " << c.mismatches << " of " << c.count
                                         << " values differ; max abs error " << c.max_abs << " at " << c.max_abs_at);
    }
  }
}

}  // namespace
