// N-d (iOS 13) mappings of the matrix and normalization ops: MatMul and Gemm
// (batchedMatMul on two blobs, so either operand may be computed), and
// BatchNormalization, InstanceNormalization and LayerNormalization written as
// reductions and broadcasting arithmetic, so their parameters may be computed too.
// With constant parameters on [N, C, H, W] the classic batchnorm layer is used.
#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

// (variance + epsilon)^-0.5 as unary POWER: RSQRT would add its own epsilon too.
void inverse_deviation(cml::NeuralNetworkLayer& layer, float epsilon) {
  auto& unary = *layer.mutable_unary();
  unary.set_type(cml::UnaryFunctionLayerParams::POWER);
  unary.set_alpha(-0.5F);
  unary.set_scale(1.0F);
  unary.set_shift(epsilon);
}

// `blob` over `axes`: the mean and 1 / sqrt(variance + epsilon), kept for broadcasting,
// and (x - mean) * that, the normalized tensor.
struct Normalized {
  std::string mean;
  std::string inverse_deviation;
  std::string normalized;
};

Normalized normalize_over(LayerBuilder& b, const std::string& x, const std::vector<std::int64_t>& axes, float epsilon) {
  const auto reduce_mean = [&](std::string_view suffix, const std::string& input) {
    const std::string out = b.temp_blob(suffix);
    auto& params = *b.add_layer(suffix, {input}, {out}).mutable_reducemean();
    for (const auto a : axes) params.add_axes(a);
    params.set_keepdims(true);
    return out;
  };
  Normalized n;
  n.mean = reduce_mean("mean", x);
  const std::string centered = b.temp_blob("centered");
  b.add_layer("centered", {x, n.mean}, {centered}).mutable_subtractbroadcastable();
  const std::string squared = b.temp_blob("squared");
  b.add_layer("squared", {centered, centered}, {squared}).mutable_multiplybroadcastable();
  const std::string variance = reduce_mean("variance", squared);
  n.inverse_deviation = b.temp_blob("inverse_deviation");
  inverse_deviation(b.add_layer("inverse_deviation", {variance}, {n.inverse_deviation}), epsilon);
  n.normalized = b.temp_blob("normalized");
  b.add_layer("normalized", {centered, n.inverse_deviation}, {n.normalized}).mutable_multiplybroadcastable();
  return n;
}

// Input `index`, a per-channel [C] vector, as [C, 1, ...] to broadcast over axis 1 of a rank-`rank` tensor.
std::string per_channel(LayerBuilder& b, std::size_t index, std::size_t rank, std::int64_t channels, std::string_view role) {
  if (nd::element_count(b.shape(index)) != channels) b.fail(std::string(role) + " must hold one value per channel (" + std::to_string(channels) + ")");
  std::vector<std::int64_t> shape(rank - 1, 1);
  shape[0] = channels;
  return nd::reshape_static(b, role, b.operand(index), shape);
}

}  // namespace

void build_nd_matmul_layer(LayerBuilder& b) {
  auto a = b.shape(0);
  auto c = b.shape(1);
  if (a.empty() || c.empty()) b.fail("MatMul operands must have rank 1 or more");
  std::string left = b.operand(0);
  std::string right = b.operand(1);
  // ONNX promotes a rank-1 operand to a matrix and drops the added axis afterwards.
  const bool vector_left = a.size() == 1;
  const bool vector_right = c.size() == 1;
  if (vector_left) left = nd::reshape_static(b, "row", left, a = {1, a[0]});
  if (vector_right) right = nd::reshape_static(b, "column", right, c = {c[0], 1});
  if (a.back() != c[c.size() - 2]) b.fail("shapes " + nd::dims_text(a) + " and " + nd::dims_text(c) + " do not multiply");
  auto out = nd::broadcast(b, std::vector<std::int64_t>(a.begin(), a.end() - 2), std::vector<std::int64_t>(c.begin(), c.end() - 2));
  out.push_back(a[a.size() - 2]);
  out.push_back(c.back());
  std::vector<std::int64_t> result = out;
  if (vector_left) result.erase(result.end() - 2);
  if (vector_right) result.pop_back();
  const bool reshape = vector_left || vector_right;
  const std::string product = reshape ? b.temp_blob("product") : b.output_blob(0);
  b.add_layer(reshape ? "product" : "", {left, right}, {product}).mutable_batchedmatmul();
  if (reshape) nd::reshape_static(b, "", product, result, b.output_blob(0));
  b.set_output_shape(0, result);
}

void build_nd_gemm_layer(LayerBuilder& b) {
  const auto a = b.shape(0);
  const auto c = b.shape(1);
  if (a.size() != 2 || c.size() != 2) b.fail("Gemm takes two matrices");
  const bool trans_a = b.attr_int("transA", 0) != 0;
  const bool trans_b = b.attr_int("transB", 0) != 0;
  const std::int64_t m = trans_a ? a[1] : a[0];
  const std::int64_t k = trans_a ? a[0] : a[1];
  const std::int64_t n = trans_b ? c[0] : c[1];
  if ((trans_b ? c[1] : c[0]) != k) b.fail("shapes " + nd::dims_text(a) + " and " + nd::dims_text(c) + " do not multiply with the transA/transB given");
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.0));
  const auto beta = static_cast<float>(b.attr_float("beta", 1.0));
  const bool bias = b.has_input(2) && beta != 0.0F;
  const bool scaled = alpha != 1.0F;
  std::string current = (scaled || bias) ? b.temp_blob("product") : b.output_blob(0);
  auto& matmul = *b.add_layer((scaled || bias) ? "product" : "", {b.operand(0), b.operand(1)}, {current}).mutable_batchedmatmul();
  matmul.set_transposea(trans_a);
  matmul.set_transposeb(trans_b);
  if (scaled) {
    const std::string next = bias ? b.temp_blob("alpha") : b.output_blob(0);
    b.add_layer(bias ? "alpha" : "", {current}, {next}).mutable_activation()->mutable_linear()->set_alpha(alpha);
    current = next;
  }
  const std::vector<std::int64_t> out{m, n};
  if (bias) {
    nd::broadcast(b, out, b.shape(2));
    std::string term = b.operand(2);
    if (beta != 1.0F) {
      const std::string scaled_bias = b.temp_blob("beta");
      b.add_layer("beta", {term}, {scaled_bias}).mutable_activation()->mutable_linear()->set_alpha(beta);
      term = scaled_bias;
    }
    b.add_layer("", {current, term}, {b.output_blob(0)}).mutable_addbroadcastable();
  }
  b.set_output_shape(0, out);
}

void build_nd_batch_norm_layer(LayerBuilder& b) {
  if (b.node().outputs.size() > 1) b.fail("training mode (running mean and variance outputs) has no Core ML form");
  const auto x = b.shape(0);
  const bool constants = b.constant(1) && b.constant(2) && b.constant(3) && b.constant(4);
  if (constants && x.size() == 4) return build_batch_norm_layer(b);
  if (x.size() < 2) b.fail("expects an input of rank 2 or more");
  const auto epsilon = static_cast<float>(b.attr_float("epsilon", 1e-5));
  const std::int64_t channels = x[1];
  const std::string mean = per_channel(b, 3, x.size(), channels, "mean");
  const std::string variance = per_channel(b, 4, x.size(), channels, "var");
  const std::string scale = per_channel(b, 1, x.size(), channels, "scale");
  const std::string shift = per_channel(b, 2, x.size(), channels, "B");
  const std::string centered = b.temp_blob("centered");
  b.add_layer("centered", {b.operand(0), mean}, {centered}).mutable_subtractbroadcastable();
  const std::string inverse = b.temp_blob("inverse_deviation");
  inverse_deviation(b.add_layer("inverse_deviation", {variance}, {inverse}), epsilon);
  const std::string gain = b.temp_blob("gain");
  b.add_layer("gain", {inverse, scale}, {gain}).mutable_multiplybroadcastable();
  const std::string normalized = b.temp_blob("scaled");
  b.add_layer("scaled", {centered, gain}, {normalized}).mutable_multiplybroadcastable();
  b.add_layer("", {normalized, shift}, {b.output_blob(0)}).mutable_addbroadcastable();
  b.set_output_shape(0, x);
}

void build_nd_instance_norm_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (b.constant(1) && b.constant(2) && x.size() == 4) return build_instance_norm_layer(b);
  if (x.size() < 3) b.fail("expects an input of rank 3 or more ([N, C, ...])");
  const auto epsilon = static_cast<float>(b.attr_float("epsilon", 1e-5));
  std::vector<std::int64_t> axes;
  for (std::size_t i = 2; i < x.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  const Normalized n = normalize_over(b, b.operand(0), axes, epsilon);
  const std::string scale = per_channel(b, 1, x.size(), x[1], "scale");
  const std::string shift = per_channel(b, 2, x.size(), x[1], "B");
  const std::string scaled = b.temp_blob("scaled");
  b.add_layer("scaled", {n.normalized, scale}, {scaled}).mutable_multiplybroadcastable();
  b.add_layer("", {scaled, shift}, {b.output_blob(0)}).mutable_addbroadcastable();
  b.set_output_shape(0, x);
}

void build_nd_layer_norm_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", -1), x.size());
  const auto epsilon = static_cast<float>(b.attr_float("epsilon", 1e-5));
  std::vector<std::int64_t> axes;
  for (auto i = static_cast<std::size_t>(axis); i < x.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  const Normalized n = normalize_over(b, b.operand(0), axes, epsilon);
  nd::broadcast(b, x, b.shape(1));
  const bool bias = b.has_input(2);
  const std::string scaled = bias ? b.temp_blob("scaled") : b.output_blob(0);
  b.add_layer(bias ? "scaled" : "", {n.normalized, b.operand(1)}, {scaled}).mutable_multiplybroadcastable();
  if (bias) {
    nd::broadcast(b, x, b.shape(2));
    b.add_layer("", {scaled, b.operand(2)}, {b.output_blob(0)}).mutable_addbroadcastable();
  }
  b.set_output_shape(0, x);
  // Optional outputs: the mean and 1 / standard deviation, reduced axes kept as 1.
  auto reduced = x;
  for (const auto a : axes) reduced[static_cast<std::size_t>(a)] = 1;
  const std::string sources[] = {n.mean, n.inverse_deviation};
  for (std::size_t i = 1; i < b.node().outputs.size() && i < 3; ++i) {
    if (b.node().outputs[i] == nullptr) continue;
    b.add_layer("output" + std::to_string(i), {sources[i - 1]}, {b.output_blob(i)}).mutable_activation()->mutable_linear()->set_alpha(1.0F);
    b.set_output_shape(i, reduced);
  }
}

}  // namespace mlconv::converter
