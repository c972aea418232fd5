// N-d (iOS 13) linear quantization: QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear as float arithmetic. NeuralNetwork blobs are float; an int8 or
// uint8 value is carried as its integer-valued float, and a graph input or output of
// those types is an INT32 array, so the results are exact. Rounding is the round
// layer's half-to-even, as ONNX rounds.
#include <limits>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

struct IntegerRange {
  float low;
  float high;
};

// The range the quantized type holds: the zero point's type, uint8 without one.
IntegerRange quantized_range(const LayerBuilder& b, std::size_t zero_point_index) {
  const Value* zero_point = b.node().input(zero_point_index);
  const ElementType type = zero_point == nullptr ? ElementType::uint8 : zero_point->type;
  switch (type) {
    case ElementType::uint8: return {0.0F, 255.0F};
    case ElementType::int8: return {-128.0F, 127.0F};
    default: break;
  }
  b.fail("the zero point is " + std::string(element_type_name(type)) + "; QuantizeLinear writes uint8 or int8");
}

// Input `index` (a scale or zero point) as a blob that broadcasts against `x`: a scalar
// as it is, a 1-D tensor of per-channel values placed on `axis`.
std::string along_axis(LayerBuilder& b, std::size_t index, std::string_view role, const std::vector<std::int64_t>& x,
                       std::int64_t axis) {
  const auto& shape = b.shape(index);
  if (shape.size() > 1) b.fail(std::string(role) + " must be a scalar or 1-D; it is " + nd::dims_text(shape));
  if (shape.empty() || shape[0] == 1) return b.operand(index);
  const auto channel = static_cast<std::size_t>(nd::positive_axis(b, axis, x.size()));
  if (shape[0] != x[channel]) {
    b.fail(std::string(role) + " holds " + std::to_string(shape[0]) + " values; axis " + std::to_string(axis) + " of input " +
           nd::dims_text(x) + " has " + std::to_string(x[channel]));
  }
  std::vector<std::int64_t> placed(x.size(), 1);
  placed[channel] = shape[0];
  if (const TensorData* data = b.constant(index)) {
    TensorData reshaped = *data;
    reshaped.dims = placed;
    return b.constant_blob(std::string(role) + "_on_axis", reshaped);
  }
  return nd::reshape_static(b, std::string(role) + "_on_axis", b.operand(index), placed);
}

void add_clip(LayerBuilder& b, std::string_view suffix, const std::string& input, const std::string& output, float low, float high) {
  auto& clip = *b.add_layer(suffix, {input}, {output}).mutable_clip();
  clip.set_minval(low);
  clip.set_maxval(high);
}

// saturate(round(x / scale) + zero_point) from blobs to `output`.
void quantize(LayerBuilder& b, const std::string& x, const std::string& scale, const std::string& zero_point,
              IntegerRange range, const std::string& output) {
  const std::string divided = b.temp_blob("divided");
  b.add_layer("divided", {x, scale}, {divided}).mutable_dividebroadcastable();
  const std::string rounded = b.temp_blob("rounded");
  b.add_layer("rounded", {divided}, {rounded}).mutable_round();
  std::string shifted = rounded;
  if (!zero_point.empty()) {
    shifted = b.temp_blob("shifted");
    b.add_layer("shifted", {rounded, zero_point}, {shifted}).mutable_addbroadcastable();
  }
  add_clip(b, "", shifted, output, range.low, range.high);
}

}  // namespace

void build_nd_quantize_linear_layer(LayerBuilder& b) {
  if (b.input_count() < 2) b.fail("expects x and y_scale inputs");
  const auto x = b.shape(0);
  const std::int64_t axis = b.attr_int("axis", 1);
  const IntegerRange range = quantized_range(b, 2);
  const std::string scale = along_axis(b, 1, "y_scale", x, axis);
  const std::string zero_point = b.has_input(2) ? along_axis(b, 2, "y_zero_point", x, axis) : std::string();
  quantize(b, b.operand(0), scale, zero_point, range, b.output_blob(0));
  b.set_output_shape(0, x);
}

void build_nd_dequantize_linear_layer(LayerBuilder& b) {
  if (b.input_count() < 2) b.fail("expects x and x_scale inputs");
  const auto x = b.shape(0);
  const std::int64_t axis = b.attr_int("axis", 1);
  const std::string scale = along_axis(b, 1, "x_scale", x, axis);
  std::string centered = b.operand(0);
  if (b.has_input(2)) {
    const std::string zero_point = along_axis(b, 2, "x_zero_point", x, axis);
    const std::string difference = b.temp_blob("centered");
    b.add_layer("centered", {centered, zero_point}, {difference}).mutable_subtractbroadcastable();
    centered = difference;
  }
  b.add_layer("", {centered, scale}, {b.output_blob(0)}).mutable_multiplybroadcastable();
  b.set_output_shape(0, x);
}

void build_nd_dynamic_quantize_linear_layer(LayerBuilder& b) {
  // ONNX's definition, with the uint8 range [0, 255]:
  //   x_min = min(0, min(x)), x_max = max(0, max(x)), scale = (x_max - x_min) / 255,
  //   zero_point = round(saturate(-x_min / scale)), y = saturate(round(x / scale) + zero_point).
  const auto x_shape = b.shape(0);
  const std::string x = b.operand(0);
  const auto lowest = std::numeric_limits<float>::lowest();
  const auto highest = std::numeric_limits<float>::max();
  const auto reduce_all = [&](std::string_view suffix, bool max) {
    const std::string out = b.temp_blob(suffix);
    auto& layer = b.add_layer(suffix, {x}, {out});
    if (max) {
      layer.mutable_reducemax()->set_reduceall(true);
    } else {
      layer.mutable_reducemin()->set_reduceall(true);
    }
    return out;
  };
  const std::string x_min = b.temp_blob("x_min");
  add_clip(b, "x_min", reduce_all("minimum", false), x_min, lowest, 0.0F);
  const std::string x_max = b.temp_blob("x_max");
  add_clip(b, "x_max", reduce_all("maximum", true), x_max, 0.0F, highest);
  const std::string spread = b.temp_blob("spread");
  b.add_layer("spread", {x_max, x_min}, {spread}).mutable_subtractbroadcastable();
  const std::string levels = b.constant_blob("levels", TensorData::from_floats({}, {255.0F}));
  const std::string scale = b.output_blob(1);
  b.add_layer("scale", {spread, levels}, {scale}).mutable_dividebroadcastable();

  const std::string ratio = b.temp_blob("min_over_scale");
  b.add_layer("min_over_scale", {x_min, scale}, {ratio}).mutable_dividebroadcastable();
  const std::string negated = b.temp_blob("negated");
  b.add_layer("negated", {ratio}, {negated}).mutable_activation()->mutable_linear()->set_alpha(-1.0F);
  const std::string saturated = b.temp_blob("saturated");
  add_clip(b, "saturated", negated, saturated, 0.0F, 255.0F);
  const std::string zero_point = b.output_blob(2);
  b.add_layer("zero_point", {saturated}, {zero_point}).mutable_round();

  quantize(b, x, scale, zero_point, {0.0F, 255.0F}, b.output_blob(0));
  b.set_output_shape(0, x_shape);
  b.set_output_shape(1, {});
  b.set_output_shape(2, {});
}

}  // namespace mlconv::converter
