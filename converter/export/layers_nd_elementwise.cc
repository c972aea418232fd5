// N-d (iOS 13) elementwise mappings: broadcasting arithmetic (variadic Sum/Max/Min/Mean
// become a chain of two-input layers), comparisons and logic, Where, Clip and the unary
// math layers. Constant operands become loadConstantND layers.
#include <limits>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

using Layer = cml::NeuralNetworkLayer;
using SetParams = void (*)(Layer&);

// Folds inputs 0..n-1 left to right with a two-input broadcasting layer.
void chain(LayerBuilder& b, SetParams set, std::string_view extra_name = {}) {
  if (b.input_count() == 0) b.fail("needs at least one input");
  std::string current = b.operand(0);
  std::vector<std::int64_t> shape = b.shape(0);
  if (b.input_count() == 1) {
    b.add_layer("", {current}, {b.output_blob(0)}).mutable_activation()->mutable_linear()->set_alpha(1.0F);
    b.set_output_shape(0, shape);
    return;
  }
  for (std::size_t i = 1; i < b.input_count(); ++i) {
    shape = nd::broadcast(b, shape, b.shape(i));
    const bool last = i + 1 == b.input_count() && extra_name.empty();
    const std::string next = last ? b.output_blob(0) : b.temp_blob("step" + std::to_string(i));
    set(b.add_layer(last ? "" : "step" + std::to_string(i), {current, b.operand(i)}, {next}));
    current = next;
  }
  b.set_output_shape(0, shape);
  if (!extra_name.empty()) {  // Mean: the sum scaled by 1/n
    b.add_layer(extra_name, {current}, {b.output_blob(0)})
        .mutable_activation()
        ->mutable_linear()
        ->set_alpha(1.0F / static_cast<float>(b.input_count()));
  }
}

void binary(LayerBuilder& b, SetParams set) {
  if (b.input_count() != 2) b.fail("expects two inputs");
  set(nd::broadcast_layer(b));
}

}  // namespace

void build_nd_add_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_addbroadcastable(); }); }
void build_nd_sub_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_subtractbroadcastable(); }); }
void build_nd_mul_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_multiplybroadcastable(); }); }
void build_nd_div_layer(LayerBuilder& b) {
  // Integer division truncates toward zero.
  const Value* x = b.node().input(0);
  const bool integral = x != nullptr && x->type != ElementType::float32 && x->type != ElementType::float16 &&
                        x->type != ElementType::float64 && x->type != ElementType::undefined;
  if (!integral) return binary(b, [](Layer& l) { l.mutable_dividebroadcastable(); });
  if (b.input_count() != 2) b.fail("expects two inputs");
  const auto shape = nd::broadcast(b, b.shape(0), b.shape(1));
  const std::string quotient = b.temp_blob("quotient");
  b.add_layer("quotient", {b.operand(0), b.operand(1)}, {quotient}).mutable_dividebroadcastable();
  nd::truncate(b, quotient, b.output_blob(0));
  b.set_output_shape(0, shape);
}
void build_nd_pow_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_powbroadcastable(); }); }
void build_nd_sum_layer(LayerBuilder& b) { chain(b, [](Layer& l) { l.mutable_addbroadcastable(); }); }
void build_nd_max_layer(LayerBuilder& b) { chain(b, [](Layer& l) { l.mutable_maxbroadcastable(); }); }
void build_nd_min_layer(LayerBuilder& b) { chain(b, [](Layer& l) { l.mutable_minbroadcastable(); }); }
void build_nd_mean_layer(LayerBuilder& b) { chain(b, [](Layer& l) { l.mutable_addbroadcastable(); }, "mean"); }

void build_nd_mod_layer(LayerBuilder& b) {
  // Core ML's mod follows the divisor's sign (Python's %), which is ONNX's fmod = 0.
  if (b.attr_int("fmod", 0) == 0) return binary(b, [](Layer& l) { l.mutable_modbroadcastable(); });
  // C's fmod takes the dividend's sign: x - trunc(x / y) * y.
  if (b.input_count() != 2) b.fail("expects two inputs");
  const auto shape = nd::broadcast(b, b.shape(0), b.shape(1));
  const std::string x = b.operand(0);
  const std::string y = b.operand(1);
  const std::string quotient = b.temp_blob("quotient");
  b.add_layer("quotient", {x, y}, {quotient}).mutable_dividebroadcastable();
  const std::string whole = b.temp_blob("whole");
  nd::truncate(b, quotient, whole);
  const std::string multiple = b.temp_blob("multiple");
  b.add_layer("multiple", {whole, y}, {multiple}).mutable_multiplybroadcastable();
  b.add_layer("", {x, multiple}, {b.output_blob(0)}).mutable_subtractbroadcastable();
  b.set_output_shape(0, shape);
}

void build_nd_isnan_layer(LayerBuilder& b) {
  // NaN is the one value not equal to itself.
  const auto shape = b.shape(0);
  const std::string x = b.operand(0);
  b.add_layer("", {x, x}, {b.output_blob(0)}).mutable_notequal();
  b.set_output_shape(0, shape);
}

void build_nd_isinf_layer(LayerBuilder& b) {
  const bool positive = b.attr_int("detect_positive", 1) != 0;
  const bool negative = b.attr_int("detect_negative", 1) != 0;
  const auto shape = b.shape(0);
  const float infinity = std::numeric_limits<float>::infinity();
  if (!positive && !negative) {
    // Nothing is detected: x > +inf is false everywhere.
    b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_greaterthan()->set_alpha(infinity);
  } else if (positive && negative) {
    const std::string magnitude = b.temp_blob("abs");
    auto& abs = *b.add_layer("abs", {b.operand(0)}, {magnitude}).mutable_unary();
    abs.set_type(cml::UnaryFunctionLayerParams::ABS);
    abs.set_scale(1.0F);
    b.add_layer("", {magnitude}, {b.output_blob(0)}).mutable_equal()->set_alpha(infinity);
  } else {
    b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_equal()->set_alpha(positive ? infinity : -infinity);
  }
  b.set_output_shape(0, shape);
}

void build_nd_equal_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_equal(); }); }
void build_nd_greater_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_greaterthan(); }); }
void build_nd_greater_equal_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_greaterequal(); }); }
void build_nd_less_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_lessthan(); }); }
void build_nd_less_equal_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_lessequal(); }); }
void build_nd_and_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_logicaland(); }); }
void build_nd_or_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_logicalor(); }); }
void build_nd_xor_layer(LayerBuilder& b) { binary(b, [](Layer& l) { l.mutable_logicalxor(); }); }
void build_nd_not_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_logicalnot(); }

void build_nd_where_layer(LayerBuilder& b) {
  if (b.input_count() != 3) b.fail("expects three inputs (condition, X, Y)");
  const auto shape = nd::broadcast(b, nd::broadcast(b, b.shape(0), b.shape(1)), b.shape(2));
  b.add_layer("", {b.operand(0), b.operand(1), b.operand(2)}, {b.output_blob(0)}).mutable_wherebroadcastable();
  b.set_output_shape(0, shape);
}

void build_nd_clip_layer(LayerBuilder& b) {
  // Bounds: attributes up to opset 10, optional constant inputs from opset 11.
  float low = std::numeric_limits<float>::lowest();
  float high = std::numeric_limits<float>::max();
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  const bool computed_bound = (b.has_input(1) && b.constant(1) == nullptr) || (b.has_input(2) && b.constant(2) == nullptr);
  if (opset >= 11 && computed_bound) {
    // Bounds computed at run time: max with the lower one, then min with the upper one.
    const auto shape = b.shape(0);
    std::string current = b.operand(0);
    if (b.has_input(1)) {
      const std::string next = b.has_input(2) ? b.temp_blob("lower") : b.output_blob(0);
      b.add_layer(b.has_input(2) ? "lower" : "", {current, b.operand(1)}, {next}).mutable_maxbroadcastable();
      current = next;
    }
    if (b.has_input(2)) b.add_layer("", {current, b.operand(2)}, {b.output_blob(0)}).mutable_minbroadcastable();
    b.set_output_shape(0, shape);
    return;
  }
  if (opset > 0 && opset < 11) {
    low = static_cast<float>(b.attr_float("min", low));
    high = static_cast<float>(b.attr_float("max", high));
  } else {
    for (std::size_t i = 1; i <= 2; ++i) {
      if (!b.has_input(i)) continue;
      const std::vector<float> bound = b.constant_floats(i, i == 1 ? "min" : "max");
      if (bound.size() != 1) b.fail(std::string(i == 1 ? "min" : "max") + " must be a scalar");
      (i == 1 ? low : high) = bound[0];
    }
  }
  auto& clip = *nd::same_shape_layer(b).mutable_clip();
  clip.set_minval(low);
  clip.set_maxval(high);
}

namespace {

void unary_function(LayerBuilder& b, cml::UnaryFunctionLayerParams::Operation operation, float alpha = 0.0F) {
  auto& unary = *nd::same_shape_layer(b).mutable_unary();
  unary.set_type(operation);
  unary.set_alpha(alpha);
  unary.set_scale(1.0F);
}

}  // namespace

void build_nd_exp_layer(LayerBuilder& b) { unary_function(b, cml::UnaryFunctionLayerParams::EXP); }
void build_nd_log_layer(LayerBuilder& b) { unary_function(b, cml::UnaryFunctionLayerParams::LOG); }
void build_nd_sqrt_layer(LayerBuilder& b) { unary_function(b, cml::UnaryFunctionLayerParams::SQRT); }
void build_nd_abs_layer(LayerBuilder& b) { unary_function(b, cml::UnaryFunctionLayerParams::ABS); }
// INVERSE adds an epsilon; x^-1 is exact.
void build_nd_reciprocal_layer(LayerBuilder& b) { unary_function(b, cml::UnaryFunctionLayerParams::POWER, -1.0F); }
void build_nd_neg_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_activation()->mutable_linear()->set_alpha(-1.0F); }
void build_nd_floor_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_floor(); }
void build_nd_ceil_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_ceil(); }
void build_nd_round_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_round(); }
void build_nd_sign_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_sign(); }
void build_nd_sin_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_sin(); }
void build_nd_cos_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_cos(); }
void build_nd_tan_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_tan(); }
void build_nd_asin_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_asin(); }
void build_nd_acos_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_acos(); }
void build_nd_atan_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_atan(); }
void build_nd_sinh_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_sinh(); }
void build_nd_cosh_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_cosh(); }
void build_nd_asinh_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_asinh(); }
void build_nd_acosh_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_acosh(); }
void build_nd_atanh_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_atanh(); }
void build_nd_erf_layer(LayerBuilder& b) { nd::same_shape_layer(b).mutable_erf(); }

void build_nd_trilu_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_trilu(b);
  // A constant 0/1 mask over the last two axes: upper keeps column - row >= k, lower <= k.
  const auto x = b.shape(0);
  if (x.size() < 2) b.fail("expects an input of rank 2 or more");
  std::int64_t k = 0;
  if (b.has_input(1)) {
    const auto values = b.constant_ints(1, "k");
    if (values.size() != 1) b.fail("k must hold one value");
    k = values[0];
  }
  const bool upper = b.attr_int("upper", 1) != 0;
  const std::int64_t rows = x[x.size() - 2];
  const std::int64_t columns = x.back();
  std::vector<float> mask;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < columns; ++j) mask.push_back((upper ? j - i >= k : j - i <= k) ? 1.0F : 0.0F);
  }
  const std::string mask_blob = b.constant_blob("mask", TensorData::from_floats({rows, columns}, mask));
  b.add_layer("", {b.operand(0), mask_blob}, {b.output_blob(0)}).mutable_multiplybroadcastable();
  b.set_output_shape(0, x);
}

void build_nd_gelu_layer(LayerBuilder& b) {
  const std::string approximate = b.attr_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") b.fail("approximate '" + approximate + "'; expected 'none' or 'tanh'");
  nd::same_shape_layer(b).mutable_gelu()->set_mode(approximate == "tanh" ? cml::GeluLayerParams::TANH_APPROXIMATION
                                                                          : cml::GeluLayerParams::EXACT);
}

}  // namespace mlconv::converter
