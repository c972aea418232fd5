// Model-level execution: inputs checked and mapped to blobs, image
// preprocessing, classifier outputs, pipelines and model types that cannot run.
#include "executor/predictor.h"

#include <doctest/doctest.h>
#include <google/protobuf/text_format.h>

#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/weights.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

namespace cml = CoreML::Specification;

// Passes its input through and records the blob shape it saw, so tests can
// check the shape mapping without depending on a kernel family.
struct Probe final : Kernel {
  static inline Shape seen;
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    seen = inputs[0]->shape();
    *outputs[0] = *inputs[0];
  }
};

std::unique_ptr<Kernel> make_probe(const Layer&, const BuildContext&) { return std::make_unique<Probe>(); }

cml::Model model_from_text(const std::string& text) {
  cml::Model model;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &model));
  return model;
}

struct Fixture {
  KernelRegistry registry;
  PredictorOptions options;
  Fixture() {
    registry.add(Layer::kCopy, make_probe);
    options.kernels = &registry;
    options.threads = 1;
  }
};

const char* const array_model = R"(
  specificationVersion: 4
  description {
    input { name: "x" type { multiArrayType { shape: 3 dataType: FLOAT32 } } }
    output { name: "y" type { multiArrayType { shape: 3 dataType: DOUBLE } } }
  }
  neuralNetwork { layers { name: "p" input: "x" output: "y" copy {} } }
)";

TEST_CASE("predictor: a rank-1 array input becomes a [1,1,C,1,1] blob and comes back in its declared shape") {
  Fixture f;
  const cml::Model model = model_from_text(array_model);
  Predictor predictor(model, f.options);
  const FeatureMap outputs = predictor.predict({{"x", FeatureValue::array(Tensor({3}, {1, 2, 3}))}});
  CHECK(Probe::seen == Shape{1, 1, 3, 1, 1});
  const FeatureValue& y = outputs.at("y");
  CHECK(y.array_type == cml::ArrayFeatureType::DOUBLE);
  testing::check_tensor(y.tensor, {3}, {1, 2, 3});
}

TEST_CASE("predictor: wrong shape, unknown and missing inputs are named") {
  Fixture f;
  const cml::Model model = model_from_text(array_model);
  Predictor predictor(model, f.options);
  CHECK_THROWS_WITH_AS(predictor.predict({{"x", FeatureValue::array(Tensor({4}))}}),
                       "input 'x' has shape [4]; the model accepts [3]", Error);
  CHECK_THROWS_WITH_AS(predictor.predict({{"z", FeatureValue::array(Tensor({3}))}}),
                       "the model has no input 'z'; its inputs are: x", Error);
  CHECK_THROWS_WITH_AS(predictor.predict({}), "missing input 'x' (MultiArray (Float32 3))", Error);
}

TEST_CASE("predictor: exact mapping keeps the rank; flexible ranges are enforced") {
  Fixture f;
  const cml::Model model = model_from_text(R"(
    specificationVersion: 4
    description {
      input { name: "x" type { multiArrayType { shape: [1, 2] dataType: FLOAT32
              shapeRange { sizeRanges { lowerBound: 1 upperBound: 1 } sizeRanges { lowerBound: 1 upperBound: -1 } } } } }
      output { name: "y" type { multiArrayType { dataType: FLOAT32 } } }
    }
    neuralNetwork { arrayInputShapeMapping: EXACT_ARRAY_MAPPING layers { name: "p" input: "x" output: "y" copy {} } }
  )");
  Predictor predictor(model, f.options);
  const FeatureMap outputs = predictor.predict({{"x", FeatureValue::array(Tensor({1, 5}))}});
  CHECK(Probe::seen == Shape{1, 5});
  CHECK(outputs.at("y").tensor.shape() == Shape{1, 5});
  CHECK_THROWS_WITH_AS(predictor.predict({{"x", FeatureValue::array(Tensor({2, 5}))}}),
                       "input 'x' has shape [2, 5]; the model accepts [1..1, 1..inf]", Error);
}

TEST_CASE("predictor: image preprocessing scales and biases by colour, in the BGR channel order") {
  Fixture f;
  const cml::Model model = model_from_text(R"(
    specificationVersion: 4
    description {
      input { name: "img" type { imageType { width: 2 height: 1 colorSpace: BGR } } }
      output { name: "y" type { multiArrayType { dataType: FLOAT32 } } }
    }
    neuralNetwork {
      preprocessing { featureName: "img" scaler { channelScale: 0.5 redBias: 1 greenBias: 2 blueBias: 3 } }
      layers { name: "p" input: "img" output: "y" copy {} }
    }
  )");
  Predictor predictor(model, f.options);
  // Channels in the model's order: B, G, R.
  const Tensor pixels({3, 1, 2}, {10, 20, 30, 40, 50, 60});
  const FeatureMap outputs = predictor.predict({{"img", FeatureValue::image(pixels, cml::ImageFeatureType::BGR)}});
  CHECK(Probe::seen == Shape{1, 1, 3, 1, 2});
  testing::check_tensor(outputs.at("y").tensor, {1, 1, 3, 1, 2}, {8, 13, 17, 22, 26, 31});
  CHECK_THROWS_WITH_AS(
      predictor.predict({{"img", FeatureValue::image(Tensor({3, 2, 2}), cml::ImageFeatureType::BGR)}}),
      "input 'img': image is 2 x 2; the model expects 2 x 1", Error);
}

TEST_CASE("predictor: a classifier gives the top label and the probability dictionary") {
  Fixture f;
  const cml::Model model = model_from_text(R"(
    specificationVersion: 4
    description {
      input { name: "x" type { multiArrayType { shape: 3 dataType: FLOAT32 } } }
      output { name: "label" type { stringType {} } }
      output { name: "probs" type { dictionaryType { stringKeyType {} } } }
      predictedFeatureName: "label"
      predictedProbabilitiesName: "probs"
    }
    neuralNetworkClassifier {
      layers { name: "p" input: "x" output: "scores" copy {} }
      stringClassLabels { vector: ["cat", "dog", "eel"] }
    }
  )");
  Predictor predictor(model, f.options);
  const FeatureMap outputs = predictor.predict({{"x", FeatureValue::array(Tensor({3}, {0.2F, 0.7F, 0.1F}))}});
  CHECK(outputs.at("label").text == "dog");
  const FeatureValue& probs = outputs.at("probs");
  REQUIRE(probs.string_entries.size() == 3);
  CHECK(probs.string_entries[1].first == "dog");
  CHECK(probs.string_entries[1].second == doctest::Approx(0.7));
}

TEST_CASE("predictor: optional inputs default to the declared fill value") {
  Fixture f;
  const cml::Model model = model_from_text(R"(
    specificationVersion: 5
    description {
      input { name: "h" type { multiArrayType { shape: 2 dataType: FLOAT32 floatDefaultValue: 0.5 } isOptional: true } }
      output { name: "y" type { multiArrayType { shape: 2 dataType: FLOAT32 } } }
    }
    neuralNetwork { layers { name: "p" input: "h" output: "y" copy {} } }
  )");
  Predictor predictor(model, f.options);
  testing::check_tensor(predictor.predict({}).at("y").tensor, {2}, {0.5F, 0.5F});
}

TEST_CASE("predictor: an Apple-only model in a pipeline is refused by type name, with its position") {
  Fixture f;
  const spec::LoadedModel loaded =
      spec::load_model(std::string(MLCONV_REALMODELS_DIR) + "/kodeco_mlt-materials__HealthySnacks_pipeline.mlmodel");
  CHECK_THROWS_WITH_AS(Predictor(loaded.model, f.options),
                       "pipeline model 0: model type 'visionFeaturePrint' cannot run: it is an Apple-only model whose "
                       "implementation ships with Apple's OS; mlconv run executes neuralNetwork, "
                       "neuralNetworkClassifier, neuralNetworkRegressor and pipelines of them",
                       Error);
}

// y = W x + b with W = [[1, 2], [3, 4]] (float32) and b = [10, 20] (float16: 0x4900, 0x4D00).
const char* const dense_model = R"(
  specificationVersion: 4
  description {
    input { name: "x" type { multiArrayType { shape: 2 dataType: FLOAT32 } } }
    output { name: "y" type { multiArrayType { shape: 2 dataType: FLOAT32 } } }
  }
  neuralNetwork { layers { name: "fc" input: "x" output: "y" innerProduct {
    inputChannels: 2 outputChannels: 2 hasBias: true
    weights { floatValue: [1, 2, 3, 4] } bias { float16Value: "\000I\000M" } } } }
)";

TEST_CASE("predictor: a model given to keep holds no weight values once the kernels have copied them") {
  const KernelRegistry registry = KernelRegistry::with_builtin_kernels();
  PredictorOptions options;
  options.kernels = &registry;
  options.threads = 1;
  Predictor predictor(model_from_text(dense_model), options);
  const cml::NeuralNetworkLayer& layer = predictor.model().neuralnetwork().layers(0);
  CHECK(layer.innerproduct().weights().floatvalue_size() == 0);
  CHECK(layer.innerproduct().bias().float16value().empty());
  CHECK(predictor.released_weight_bytes() == 4 * 4 + 2 * 2);
  // The blobs still describe themselves (for messages and inspect-like reports), but cannot be decoded.
  const std::vector<spec::WeightBlob> blobs = spec::layer_weights(layer);
  REQUIRE(blobs.size() == 2);
  CHECK(blobs[0].storage == spec::WeightStorage::float32);
  CHECK(blobs[0].count == 4);
  CHECK(blobs[0].values_elided);
  CHECK(blobs[1].storage == spec::WeightStorage::float16);
  CHECK(blobs[1].count == 2);
  CHECK_THROWS_AS(spec::decode_weights(blobs[0]), Error);
  for (int run = 0; run < 2; ++run) {
    const FeatureMap outputs = predictor.predict({{"x", FeatureValue::array(Tensor({2}, {1, 1}))}});
    testing::check_tensor(outputs.at("y").tensor, {2}, {13, 27});
  }
}

TEST_CASE("predictor: a borrowed model keeps its weight values") {
  const KernelRegistry registry = KernelRegistry::with_builtin_kernels();
  PredictorOptions options;
  options.kernels = &registry;
  options.threads = 1;
  const cml::Model model = model_from_text(dense_model);
  Predictor predictor(model, options);
  CHECK(model.neuralnetwork().layers(0).innerproduct().weights().floatvalue_size() == 4);
  CHECK(predictor.released_weight_bytes() == 0);
  testing::check_tensor(predictor.predict({{"x", FeatureValue::array(Tensor({2}, {1, 1}))}}).at("y").tensor, {2}, {13, 27});
}

}  // namespace
}  // namespace mlconv::exec
