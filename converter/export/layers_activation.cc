// Elementwise activations, Clip and Softmax. Each ONNX default is written
// explicitly, because Core ML's proto3 defaults (alpha = 0) mean something else.
#include <cmath>
#include <limits>
#include <optional>

#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

// One activation layer from input 0 to output 0; the caller sets its function.
cml::ActivationParams& activation(LayerBuilder& b) {
  const auto shape = b.shape(0);
  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  b.set_output_shape(0, shape);
  return *layer.mutable_activation();
}

}  // namespace

void build_relu_layer(LayerBuilder& b) { activation(b).mutable_relu(); }

void build_leaky_relu_layer(LayerBuilder& b) {
  const auto alpha = static_cast<float>(b.attr_float("alpha", 0.01));
  activation(b).mutable_leakyrelu()->set_alpha(alpha);
}

void build_prelu_layer(LayerBuilder& b) {
  const auto& x = b.shape(0);
  const std::vector<float> slope = b.constant_floats(1, "slope");
  if (slope.size() != 1 && static_cast<std::int64_t>(slope.size()) != x[1]) {
    b.fail("slope has " + std::to_string(slope.size()) + " values; expected 1 or one per channel (" + std::to_string(x[1]) + ")");
  }
  set_float_weights(*activation(b).mutable_prelu()->mutable_alpha(), slope);
}

void build_elu_layer(LayerBuilder& b) {
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.0));
  activation(b).mutable_elu()->set_alpha(alpha);
}

void build_selu_layer(LayerBuilder& b) {
  // selu(x) = gamma * elu_alpha(x): an ELU layer, then a scalar multiply.
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.67326319217681884765625));
  const auto gamma = static_cast<float>(b.attr_float("gamma", 1.05070102214813232421875));
  const auto shape = b.shape(0);
  const std::string elu = b.temp_blob("elu");
  b.add_layer("elu", {b.blob(0)}, {elu}).mutable_activation()->mutable_elu()->set_alpha(alpha);
  b.add_layer("", {elu}, {b.output_blob(0)}).mutable_multiply()->set_alpha(gamma);
  b.set_output_shape(0, shape);
}

void build_sigmoid_layer(LayerBuilder& b) { activation(b).mutable_sigmoid(); }

void build_hard_sigmoid_layer(LayerBuilder& b) {
  const auto alpha = static_cast<float>(b.attr_float("alpha", 0.2));
  const auto beta = static_cast<float>(b.attr_float("beta", 0.5));
  auto* hard = activation(b).mutable_sigmoidhard();
  hard->set_alpha(alpha);
  hard->set_beta(beta);
}

void build_tanh_layer(LayerBuilder& b) { activation(b).mutable_tanh(); }
void build_softplus_layer(LayerBuilder& b) { activation(b).mutable_softplus(); }
void build_softsign_layer(LayerBuilder& b) { activation(b).mutable_softsign(); }

void build_thresholded_relu_layer(LayerBuilder& b) {
  // ONNX keeps x > alpha, Core ML keeps x >= alpha. For float32 inputs, x > alpha is
  // exactly x >= the next float above alpha, so the layer agrees with ONNX at x == alpha.
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.0));
  activation(b).mutable_thresholdedrelu()->set_alpha(std::nextafter(alpha, std::numeric_limits<float>::infinity()));
}

void build_clip_layer(LayerBuilder& b) {
  // Bounds are attributes up to opset 10 and optional constant inputs from opset 11.
  std::optional<float> low;
  std::optional<float> high;
  if (b.graph().opset_version(b.node().domain) < 11 && b.graph().opset_version(b.node().domain) > 0) {
    if (b.has_attr("min")) low = static_cast<float>(b.attr_float("min", 0));
    if (b.has_attr("max")) high = static_cast<float>(b.attr_float("max", 0));
  } else {
    for (std::size_t i = 1; i <= 2; ++i) {
      if (!b.has_input(i)) continue;
      const std::vector<float> bound = b.constant_floats(i, i == 1 ? "min" : "max");
      if (bound.size() != 1) b.fail(std::string(i == 1 ? "min" : "max") + " must be a scalar");
      (i == 1 ? low : high) = bound[0];
    }
  }
  if (low && high && *low > *high) b.fail("min " + std::to_string(*low) + " is greater than max " + std::to_string(*high));
  const auto shape = b.shape(0);
  if (!low && !high) {
    b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_activation()->mutable_linear()->set_alpha(1.0F);
    b.set_output_shape(0, shape);
    return;
  }
  // Rank-5 Core ML has no clip layer: max(x, lo) is unary THRESHOLD, and
  // min(y, hi) = -max(-y, -hi), i.e. negate, THRESHOLD at -hi, negate.
  const auto threshold = [](cml::NeuralNetworkLayer& layer, float at) {
    auto* unary = layer.mutable_unary();
    unary->set_type(cml::UnaryFunctionLayerParams::THRESHOLD);
    unary->set_alpha(at);
    unary->set_scale(1.0F);
  };
  std::string current = b.blob(0);
  if (low) {
    const std::string next = high ? b.temp_blob("lower") : b.output_blob(0);
    threshold(b.add_layer(high ? "lower" : "", {current}, {next}), *low);
    current = next;
  }
  if (high) {
    const std::string negated = b.temp_blob("negated");
    b.add_layer("negate", {current}, {negated}).mutable_multiply()->set_alpha(-1.0F);
    const std::string bounded = b.temp_blob("upper");
    threshold(b.add_layer("upper", {negated}, {bounded}), -*high);
    b.add_layer("", {bounded}, {b.output_blob(0)}).mutable_multiply()->set_alpha(-1.0F);
  }
  b.set_output_shape(0, shape);
}

void build_softmax_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  const auto rank = static_cast<std::int64_t>(x.size());
  std::int64_t axis = b.attr_int("axis", opset >= 13 || opset == 0 ? -1 : 1);
  if (axis < 0) axis += rank;
  // Core ML's classic softmax runs over C. Before opset 13 ONNX flattens from `axis`,
  // so axis 1 over [N, C, 1, 1] is the same thing.
  const bool over_channels = axis == 1 && (rank == 2 || opset >= 13 || x[2] * x[3] == 1);
  if (!over_channels) {
    b.fail("softmax over axis " + std::to_string(axis) + " of a rank-" + std::to_string(rank) +
           " input; rank-5 Core ML softmax runs over the channel axis (1) only");
  }
  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  layer.mutable_softmax();
  b.set_output_shape(0, x);
}

}  // namespace mlconv::converter
