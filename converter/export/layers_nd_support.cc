// Helpers shared by the N-d (iOS 13) mappings in layers_nd_*.cc.
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter::nd {

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

std::int64_t positive_axis(const LayerBuilder& b, std::int64_t axis, std::size_t rank, std::string_view what) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) {
    b.fail(std::string(what) + " " + std::to_string(axis) + " is outside [" + std::to_string(-r) + ", " + std::to_string(r) + ") for rank " +
           std::to_string(r));
  }
  return axis < 0 ? axis + r : axis;
}

std::vector<std::int64_t> broadcast(const LayerBuilder& b, const std::vector<std::int64_t>& x, const std::vector<std::int64_t>& y) {
  const std::size_t rank = std::max(x.size(), y.size());
  std::vector<std::int64_t> out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t dx = i < rank - x.size() ? 1 : x[i - (rank - x.size())];
    const std::int64_t dy = i < rank - y.size() ? 1 : y[i - (rank - y.size())];
    if (dx != dy && dx != 1 && dy != 1) b.fail("shapes " + dims_text(x) + " and " + dims_text(y) + " do not broadcast");
    out[i] = dx == 1 ? dy : dx;
  }
  return out;
}

std::int64_t element_count(const std::vector<std::int64_t>& dims) {
  return TensorData{ElementType::undefined, dims, {}}.element_count();
}

TensorData zeros(const LayerBuilder& b, std::string_view what, const std::vector<std::int64_t>& dims) {
  const std::int64_t count = element_count(dims);
  if (count < 0 || count > max_generated_elements) {
    b.fail(std::string(what) + " would be a constant of shape " + dims_text(dims) + ", more than the 2^26 elements mlconv writes as one");
  }
  return TensorData::from_floats(dims, std::vector<float>(static_cast<std::size_t>(count), 0.0F));
}

cml::NeuralNetworkLayer& same_shape_layer(LayerBuilder& b) {
  const auto shape = b.shape(0);
  auto& layer = b.add_layer("", {b.operand(0)}, {b.output_blob(0)});
  b.set_output_shape(0, shape);
  return layer;
}

cml::NeuralNetworkLayer& broadcast_layer(LayerBuilder& b) {
  const auto shape = broadcast(b, b.shape(0), b.shape(1));
  auto& layer = b.add_layer("", {b.operand(0), b.operand(1)}, {b.output_blob(0)});
  b.set_output_shape(0, shape);
  return layer;
}

std::string reshape_static(LayerBuilder& b, std::string_view suffix, const std::string& input, const std::vector<std::int64_t>& shape,
                           std::string output) {
  if (output.empty()) output = b.temp_blob(suffix);
  auto& params = *b.add_layer(suffix, {input}, {output}).mutable_reshapestatic();
  if (shape.empty()) params.add_targetshape(1);
  for (const auto d : shape) params.add_targetshape(d);
  return output;
}

void truncate(LayerBuilder& b, const std::string& input, const std::string& output) {
  const std::string magnitude = b.temp_blob("abs");
  auto& abs = *b.add_layer("abs", {input}, {magnitude}).mutable_unary();
  abs.set_type(cml::UnaryFunctionLayerParams::ABS);
  abs.set_scale(1.0F);
  const std::string floored = b.temp_blob("floor");
  b.add_layer("floor", {magnitude}, {floored}).mutable_floor();
  const std::string sign = b.temp_blob("sign");
  b.add_layer("sign", {input}, {sign}).mutable_sign();
  b.add_layer("", {floored, sign}, {output}).mutable_multiplybroadcastable();
}

}  // namespace mlconv::converter::nd
