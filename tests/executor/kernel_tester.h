// Runs one layer built from inline protobuf text on inline tensors, the way
// ORT's OpTester and TFLM's KernelRunner test a single op. Expected values in
// kernel tests come from hand calculation or NumPy, never from the executor.
#pragma once

#include <string_view>
#include <vector>

#include "executor/kernel.h"
#include "executor/tensor.h"

namespace mlconv::exec::testing {

// Parses a NeuralNetworkLayer from protobuf text format, e.g.
//   name: "r" input: "x" output: "y" activation { ReLU {} }
// Fails the test (throws) on a syntax error.
Layer layer_from_text(std::string_view text);

struct LayerRun {
  ShapeMapping mapping = ShapeMapping::rank5;
  int threads = 1;
  std::uint64_t seed = 0;
};

// Builds the layer's kernel with the built-in registry and runs it; inputs
// are bound to layer.input() in order. Returns the outputs in layer.output() order.
std::vector<Tensor> run_layer(const Layer& layer, std::vector<Tensor> inputs, const LayerRun& options = {});
std::vector<Tensor> run_layer(std::string_view layer_text, std::vector<Tensor> inputs, const LayerRun& options = {});

// Checks shape and values (|a - e| <= atol + rtol * |e|, NaN equal to NaN), naming the first mismatch.
void check_tensor(const Tensor& actual, const Shape& expected_shape, const std::vector<float>& expected,
                  float atol = 1e-5F, float rtol = 1e-5F);

// 0, 1, 2, ... (plus `start`) in the given shape: np.arange(n).reshape(shape) + start.
Tensor arange(Shape shape, float start = 0.0F);

// [1, 1, C, H, W] from a [C, H, W] list of values, the rank-5 blob of a classic layer.
Tensor rank5(std::int64_t channels, std::int64_t height, std::int64_t width, std::vector<float> values);

}  // namespace mlconv::exec::testing
