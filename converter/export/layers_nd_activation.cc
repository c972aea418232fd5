// N-d (iOS 13) mappings of the activations Core ML's activation layer cannot take on
// any rank (PRelu with a broadcasting slope, Celu, HardSwish, Mish, Shrink) and of the
// softmax family (Softmax, LogSoftmax, Hardmax) along any axis. Before opset 13 the
// softmax family works on the input flattened to 2-D at `axis`; a reshape pair
// around the layer keeps that meaning.
#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

cml::ActivationParams& activation_of(LayerBuilder& b, std::string_view suffix, const std::string& input, std::string& output) {
  if (output.empty()) output = b.temp_blob(suffix);
  return *b.add_layer(suffix, {input}, {output}).mutable_activation();
}

enum class SoftmaxKind { softmax, log_softmax, hardmax };

void softmax_family(LayerBuilder& b, SoftmaxKind kind) {
  const auto x = b.shape(0);
  const std::size_t rank = std::max<std::size_t>(x.size(), 1);
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  const bool flattening = opset > 0 && opset < 13;
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", flattening ? 1 : -1), rank);
  std::string input = b.operand(0);
  // Opset < 13 with axis before the last: the layer runs over [outer, inner].
  const bool reshape = flattening && axis != static_cast<std::int64_t>(rank) - 1 && x.size() > 1;
  std::int64_t layer_axis = axis;
  std::int64_t outer = 1;
  for (std::int64_t i = 0; i < axis && i < static_cast<std::int64_t>(x.size()); ++i) outer *= x[static_cast<std::size_t>(i)];
  if (reshape) {
    input = nd::reshape_static(b, "flatten", input, {outer, nd::element_count(x) / outer});
    layer_axis = 1;
  }
  const bool more = reshape || kind == SoftmaxKind::log_softmax;
  std::string out = more ? b.temp_blob("softmax") : b.output_blob(0);
  if (kind == SoftmaxKind::hardmax) {
    const std::int64_t depth = reshape ? nd::element_count(x) / outer : x.empty() ? 1 : x[static_cast<std::size_t>(axis)];
    const std::string index = b.temp_blob("argmax");
    auto& arg = *b.add_layer("argmax", {input}, {index}).mutable_argmax();
    arg.set_axis(layer_axis);
    arg.set_removedim(true);
    auto& one_hot = *b.add_layer(more ? "onehot" : "", {index}, {out}).mutable_onehot();
    one_hot.set_onehotvectorsize(static_cast<std::uint64_t>(depth));
    one_hot.set_axis(layer_axis);
    one_hot.set_onvalue(1.0F);
    one_hot.set_offvalue(0.0F);
  } else {
    b.add_layer(more ? "softmax" : "", {input}, {out}).mutable_softmaxnd()->set_axis(layer_axis);
  }
  if (kind == SoftmaxKind::log_softmax) {
    const std::string logged = reshape ? b.temp_blob("log") : b.output_blob(0);
    auto& unary = *b.add_layer(reshape ? "log" : "", {out}, {logged}).mutable_unary();
    unary.set_type(cml::UnaryFunctionLayerParams::LOG);
    unary.set_scale(1.0F);
    out = logged;
  }
  if (reshape) nd::reshape_static(b, "", out, x, b.output_blob(0));
  b.set_output_shape(0, x);
}

}  // namespace

void build_nd_softmax_layer(LayerBuilder& b) { softmax_family(b, SoftmaxKind::softmax); }
void build_nd_log_softmax_layer(LayerBuilder& b) { softmax_family(b, SoftmaxKind::log_softmax); }
void build_nd_hardmax_layer(LayerBuilder& b) { softmax_family(b, SoftmaxKind::hardmax); }

void build_nd_prelu_layer(LayerBuilder& b) {
  // prelu(x) = relu(x) - slope * relu(-x), with the slope broadcasting as ONNX allows.
  const auto shape = nd::broadcast(b, b.shape(0), b.shape(1));
  const std::string x = b.operand(0);
  std::string positive;
  activation_of(b, "positive", x, positive).mutable_relu();
  std::string negated;
  activation_of(b, "negated", x, negated).mutable_linear()->set_alpha(-1.0F);
  std::string magnitude;
  activation_of(b, "magnitude", negated, magnitude).mutable_relu();
  const std::string scaled = b.temp_blob("scaled");
  b.add_layer("scaled", {magnitude, b.operand(1)}, {scaled}).mutable_multiplybroadcastable();
  b.add_layer("", {positive, scaled}, {b.output_blob(0)}).mutable_subtractbroadcastable();
  b.set_output_shape(0, shape);
}

void build_nd_celu_layer(LayerBuilder& b) {
  // celu(x) = alpha * elu_1(x / alpha).
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.0));
  if (alpha == 0.0F) b.fail("alpha must not be 0");
  const auto shape = b.shape(0);
  std::string scaled;
  activation_of(b, "scaled", b.operand(0), scaled).mutable_linear()->set_alpha(1.0F / alpha);
  std::string elu;
  activation_of(b, "elu", scaled, elu).mutable_elu()->set_alpha(1.0F);
  std::string out = b.output_blob(0);
  activation_of(b, "", elu, out).mutable_linear()->set_alpha(alpha);
  b.set_output_shape(0, shape);
}

void build_nd_hard_swish_layer(LayerBuilder& b) {
  // hardswish(x) = x * hardsigmoid(x) with alpha 1/6, beta 0.5.
  const auto shape = b.shape(0);
  const std::string x = b.operand(0);
  std::string gate;
  auto& hard = *activation_of(b, "gate", x, gate).mutable_sigmoidhard();
  hard.set_alpha(1.0F / 6.0F);
  hard.set_beta(0.5F);
  b.add_layer("", {x, gate}, {b.output_blob(0)}).mutable_multiplybroadcastable();
  b.set_output_shape(0, shape);
}

void build_nd_mish_layer(LayerBuilder& b) {
  // mish(x) = x * tanh(softplus(x)).
  const auto shape = b.shape(0);
  const std::string x = b.operand(0);
  std::string soft;
  activation_of(b, "softplus", x, soft).mutable_softplus();
  std::string gate;
  activation_of(b, "tanh", soft, gate).mutable_tanh();
  b.add_layer("", {x, gate}, {b.output_blob(0)}).mutable_multiplybroadcastable();
  b.set_output_shape(0, shape);
}

void build_nd_shrink_layer(LayerBuilder& b) {
  // shrink(x) = x + bias below -lambd, x - bias above lambd, 0 between. Selecting with
  // where rather than multiplying by 0/1 masks keeps infinities out of the zero branch.
  const auto shape = b.shape(0);
  const auto bias = static_cast<float>(b.attr_float("bias", 0.0));
  const auto lambd = static_cast<float>(b.attr_float("lambd", 0.5));
  const std::string x = b.operand(0);
  const std::string below = b.temp_blob("below");
  b.add_layer("below", {x}, {below}).mutable_lessthan()->set_alpha(-lambd);
  const std::string above = b.temp_blob("above");
  b.add_layer("above", {x}, {above}).mutable_greaterthan()->set_alpha(lambd);
  std::string raised;
  auto& raise = *activation_of(b, "raised", x, raised).mutable_linear();
  raise.set_alpha(1.0F);
  raise.set_beta(bias);
  std::string lowered;
  auto& lower = *activation_of(b, "lowered", x, lowered).mutable_linear();
  lower.set_alpha(1.0F);
  lower.set_beta(-bias);
  const std::string zero = b.constant_blob("zero", TensorData::from_floats({}, {0.0F}));
  const std::string outer = b.temp_blob("outer");
  b.add_layer("outer", {above, lowered, zero}, {outer}).mutable_wherebroadcastable();
  b.add_layer("", {below, raised, outer}, {b.output_blob(0)}).mutable_wherebroadcastable();
  b.set_output_shape(0, shape);
}

}  // namespace mlconv::converter
