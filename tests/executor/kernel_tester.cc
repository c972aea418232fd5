#include "tests/executor/kernel_tester.h"

#include <cmath>
#include <numeric>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <google/protobuf/text_format.h>

#include "executor/kernel_registry.h"
#include "executor/network.h"
#include "spec/error.h"

namespace mlconv::exec::testing {

Layer layer_from_text(std::string_view text) {
  Layer layer;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &layer))
    throw std::runtime_error("test layer text does not parse: " + std::string(text));
  return layer;
}

std::vector<Tensor> run_layer(const Layer& layer, std::vector<Tensor> inputs, const LayerRun& options) {
  static const KernelRegistry registry = KernelRegistry::with_builtin_kernels();
  if (static_cast<int>(inputs.size()) != layer.input_size())
    throw std::runtime_error("test gives " + std::to_string(inputs.size()) + " inputs for a layer with " +
                             std::to_string(layer.input_size()));
  BuildContext build;
  build.array_mapping = options.mapping;
  build.kernels = &registry;
  build.compile_network = [&build](const CoreML::Specification::NeuralNetwork& body, const std::string& where) {
    return std::make_unique<Network>(body.layers(), build, where, std::set<std::string>{}, false);
  };
  google::protobuf::RepeatedPtrField<Layer> layers;
  *layers.Add() = layer;
  Network network(layers, build, "", {}, false);
  Environment blobs;
  for (int i = 0; i < layer.input_size(); ++i) blobs.put(layer.input(i), std::move(inputs[static_cast<std::size_t>(i)]));
  ThreadPool pool(options.threads);
  RunContext run;
  run.pool = &pool;
  run.blobs = &blobs;
  run.seed = options.seed;
  network.run(run);
  std::vector<Tensor> outputs;
  for (const std::string& name : layer.output()) {
    const Tensor* tensor = blobs.find(name);
    if (tensor == nullptr) throw std::runtime_error("layer did not produce '" + name + "'");
    outputs.push_back(*tensor);
  }
  return outputs;
}

std::vector<Tensor> run_layer(std::string_view layer_text, std::vector<Tensor> inputs, const LayerRun& options) {
  return run_layer(layer_from_text(layer_text), std::move(inputs), options);
}

void check_tensor(const Tensor& actual, const Shape& expected_shape, const std::vector<float>& expected, float atol,
                  float rtol) {
  REQUIRE_MESSAGE(actual.shape() == expected_shape, "shape " << shape_to_string(actual.shape()) << ", expected "
                                                              << shape_to_string(expected_shape));
  REQUIRE(actual.size() == static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const float a = actual.values()[i];
    const float e = expected[i];
    const bool both_nan = std::isnan(a) && std::isnan(e);
    const bool close = both_nan || (std::isinf(e) ? a == e : std::fabs(a - e) <= atol + rtol * std::fabs(e));
    if (!close) {
      std::ostringstream message;
      message << "element " << i << " is " << a << ", expected " << e;
      FAIL(message.str());
    }
  }
}

Tensor arange(Shape shape, float start) {
  std::vector<float> values(static_cast<std::size_t>(element_count(shape)));
  std::iota(values.begin(), values.end(), start);
  return Tensor(std::move(shape), std::move(values));
}

Tensor rank5(std::int64_t channels, std::int64_t height, std::int64_t width, std::vector<float> values) {
  return Tensor({1, 1, channels, height, width}, std::move(values));
}

}  // namespace mlconv::exec::testing
