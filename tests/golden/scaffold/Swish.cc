// Custom layer plugin for hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel, written by `mlconv scaffold --cpp`.
// Build: cmake -S . -B build -DCMAKE_PREFIX_PATH=<mlconv prefix> && cmake --build build
// Check: mlconv validate --plugin build/<library> MODEL; run: mlconv run --plugin build/<library> MODEL
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

// Dimension `axis` of `shape`, counting from the end when negative (bindings-file rules).
[[maybe_unused]] std::int64_t dim(const mlconv::plugin::Shape& shape, int axis) {
  const int rank = static_cast<int>(shape.size());
  const int at = axis < 0 ? axis + rank : axis;
  if (at < 0 || at >= rank) throw std::invalid_argument("the input has rank " + std::to_string(rank));
  return shape[static_cast<std::size_t>(at)];
}

// Class 'Swish' (layers: 'swish_1').
// A fancy new activation function
class Swish final : public mlconv::plugin::CustomLayer {
 public:
  void init(const mlconv::plugin::LayerInfo& layer, const mlconv::plugin::Parameters& params) override {
    if (layer.input_count != 1 || layer.output_count != 1)
      throw std::invalid_argument("Swish takes 1 inputs and 1 outputs");
    if (!params.has("beta"))
      throw std::invalid_argument("parameter " "'beta'" " is required");
    beta_ = (params.number("beta", 0.0));
  }

  void set_weights(std::span<const mlconv::plugin::Weight> weights) override {
    if (weights.size() != 0)
      throw std::invalid_argument("Swish takes 0 weight blobs, got " + std::to_string(weights.size()));
  }

  std::vector<mlconv::plugin::Shape> output_shapes(std::span<const mlconv::plugin::Shape> inputs) override {
    if (inputs.size() != 1)
      throw std::invalid_argument("Swish takes 1 inputs, got " + std::to_string(inputs.size()));
    // PLACEHOLDER (mlconv scaffold): the model does not say how this class shapes its outputs. Each
    // output below takes the shape of an input; replace this with the class's real rule.
    return {
        inputs[0],  // output0
    };
  }

  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output> outputs,
                const mlconv::plugin::Context& context) override {
    // Compute outputs[i].values() from inputs[i].values() (dense, row-major float32).
    (void)inputs;
    (void)outputs;
    (void)context;
    throw std::runtime_error("Swish: evaluate is not written yet (mlconv scaffold skeleton)");
  }

 private:
  double beta_{};  // beta (doubleValue)
};

}  // namespace

MLCONV_PLUGIN(registrar) {
  registrar.add<Swish>("Swish");
}
