// Custom layers from rules. Parameter values are converted to the declared Core ML
// type here, with the rule and node named in every message, because a wrong type
// only shows up when the app's MLCustomLayer class reads it.
#include "converter/export/custom_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "converter/rules/shape_expression.h"

namespace mlconv::converter {
namespace {

class CustomLayerWriter {
 public:
  CustomLayerWriter(LayerBuilder& b, const CustomAction& action, const RuleOrigin& origin)
      : b_(b), action_(action), origin_(origin) {}

  void write() {
    std::vector<std::string> inputs;
    for (const std::size_t index : layer_inputs()) inputs.push_back(computed_blob(index));
    std::vector<std::string> outputs;
    for (std::size_t i = 0; i < b_.node().outputs.size(); ++i) outputs.push_back(b_.output_blob(i));
    auto& layer = b_.add_layer("", inputs, outputs);
    auto& custom = *layer.mutable_custom();
    custom.set_classname(action_.class_name);
    if (!action_.description.empty()) custom.set_description(action_.description);
    for (const ParameterSource& source : action_.parameters) {
      (*custom.mutable_parameters())[source.name] = parameter_value(source);
    }
    for (const WeightSource& source : action_.weights) write_weight(*custom.add_weights(), source);
    write_output_shapes(custom);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    Error e(message);
    e.within("rule " + origin_.describe()).within(b_.node().describe()).in_file(b_.node().location.describe());
    throw e;
  }

  [[nodiscard]] std::string input_name(std::size_t index) const {
    return index < action_.input_names.size() ? action_.input_names[index] : "input" + std::to_string(index);
  }

  [[nodiscard]] std::optional<std::size_t> input_index(const std::string& name) const {
    for (std::size_t i = 0; i < std::max(action_.input_names.size(), b_.input_count()); ++i) {
      if (input_name(i) == name) return i;
    }
    return std::nullopt;
  }

  [[nodiscard]] std::vector<std::size_t> layer_inputs() const {
    std::vector<std::size_t> out;
    if (action_.input_order.empty()) {
      for (std::size_t i = 0; i < b_.input_count(); ++i) {
        if (b_.has_input(i) && b_.constant(i) == nullptr) out.push_back(i);
      }
      return out;
    }
    for (const std::string& name : action_.input_order) {
      const auto index = input_index(name);
      if (!index || !b_.has_input(*index)) fail("input_order names '" + name + "', but the node has no such input");
      out.push_back(*index);
    }
    return out;
  }

  std::string computed_blob(std::size_t index) const {
    if (b_.constant(index) != nullptr) {
      fail("input '" + input_name(index) + "' is a constant; take it as a parameter or weight instead of listing it in input_order");
    }
    return b_.blob(index);
  }

  // The source value of a parameter as an attribute (constant inputs become int or float).
  Attribute source_value(const ParameterSource& source) const {
    if (source.from == ParameterSource::From::literal) return *source.value;
    if (source.from == ParameterSource::From::attribute) {
      if (const Attribute* a = b_.node().find_attribute(source.key)) return *a;
      if (source.value) return *source.value;
      fail("parameter '" + source.name + "': attribute '" + source.key + "' is missing and the rule gives no default");
    }
    const auto index = input_index(source.key);
    if (!index || !b_.has_input(*index)) {
      if (source.value) return *source.value;
      fail("parameter '" + source.name + "': the node has no input '" + source.key + "' and the rule gives no default");
    }
    const TensorData* data = b_.constant(*index);
    if (data == nullptr) fail("parameter '" + source.name + "': input '" + source.key + "' is computed at run time; a parameter needs a constant");
    if (data->element_count() != 1) fail("parameter '" + source.name + "': input '" + source.key + "' holds " + std::to_string(data->element_count()) + " values; expected one");
    const bool integral = data->type != ElementType::float32 && data->type != ElementType::float16 && data->type != ElementType::float64;
    if (integral) return Attribute(data->to_ints()[0]);
    return Attribute(static_cast<double>(data->to_floats()[0]));
  }

  cml::CustomLayerParams::CustomLayerParamValue parameter_value(const ParameterSource& source) const {
    const Attribute value = source_value(source);
    cml::CustomLayerParams::CustomLayerParamValue out;
    const auto mismatch = [&](std::string_view expected) -> std::int64_t {
      fail("parameter '" + source.name + "' (" + std::string(parameter_type_name(source.type)) + "): value " + value.describe() +
           " is " + std::string(attribute_kind_name(value.kind())) + ", expected " + std::string(expected));
    };
    const auto whole_number = [&]() -> std::int64_t {
      if (value.kind() == Attribute::Kind::int_) return value.as_int();
      if (value.kind() == Attribute::Kind::float_ && std::trunc(value.as_float()) == value.as_float() &&
          std::abs(value.as_float()) < 9.0e15) {
        return static_cast<std::int64_t>(value.as_float());
      }
      return mismatch("an integer");
    };
    switch (source.type) {
      case ParameterType::double_:
        if (value.kind() != Attribute::Kind::float_ && value.kind() != Attribute::Kind::int_) mismatch("a number");
        out.set_doublevalue(value.as_float());
        break;
      case ParameterType::string:
        if (value.kind() != Attribute::Kind::string) mismatch("a string");
        out.set_stringvalue(value.as_string());
        break;
      case ParameterType::int_: {
        const std::int64_t n = whole_number();
        // intValue is int32; larger values keep their meaning in longValue.
        if (n < std::numeric_limits<std::int32_t>::min() || n > std::numeric_limits<std::int32_t>::max()) {
          out.set_longvalue(n);
        } else {
          out.set_intvalue(static_cast<std::int32_t>(n));
        }
        break;
      }
      case ParameterType::long_: out.set_longvalue(whole_number()); break;
      case ParameterType::bool_: out.set_boolvalue(whole_number() != 0); break;
    }
    return out;
  }

  void write_weight(cml::WeightParams& params, const WeightSource& source) const {
    const TensorData* data = nullptr;
    if (const auto index = input_index(source.input); index && b_.has_input(*index)) {
      data = b_.constant(*index);
      if (data == nullptr) fail("weight '" + source.input + "' is computed at run time; weights must be constants");
    } else if (const Value* value = b_.graph().find_value(source.input); value != nullptr && value->constant) {
      data = &*value->constant;
    } else {
      fail("weight '" + source.input + "' is neither an input of the node nor an initializer");
    }
    std::vector<float> values;
    try {
      values = data->to_floats();
    } catch (const Error& e) {
      fail("weight '" + source.input + "': " + e.message());
    }
    if (source.as == ElementType::float16) {
      std::string bytes(values.size() * 2, '\0');
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint16_t half = float_to_half(values[i]);
        bytes[2 * i] = static_cast<char>(half & 0xffU);
        bytes[2 * i + 1] = static_cast<char>(half >> 8U);
      }
      params.set_float16value(bytes);
    } else {
      set_float_weights(params, values);
    }
  }

  std::vector<std::int64_t> dims_of(std::size_t index) const {
    if (const TensorData* data = b_.constant(index)) return data->dims;
    return b_.shape(index);
  }

  void write_output_shapes(const cml::CustomLayerParams& custom) {
    const std::size_t outputs = b_.node().outputs.size();
    if (action_.output_shapes.size() > 1 && action_.output_shapes.size() != outputs) {
      fail("output_shape gives " + std::to_string(action_.output_shapes.size()) + " shapes for " + std::to_string(outputs) + " outputs");
    }
    for (std::size_t k = 0; k < outputs; ++k) {
      if (action_.output_shapes.empty()) {
        // Without a shape rule the layer is assumed to keep its first input's shape.
        const auto inputs = layer_inputs();
        if (inputs.empty()) fail("the layer has no computed input; give an output_shape rule");
        b_.set_output_shape(k, b_.shape(inputs.front()));
        continue;
      }
      const ShapeRule& rule = action_.output_shapes[action_.output_shapes.size() == 1 ? 0 : k];
      if (rule.same_as_input) {
        const auto index = input_index(*rule.same_as_input);
        if (!index || !b_.has_input(*index)) fail("output_shape: the node has no input '" + *rule.same_as_input + "'");
        b_.set_output_shape(k, dims_of(*index));
        continue;
      }
      const ShapeScope scope{
          [&](const std::string& input, std::int64_t axis) -> std::int64_t {
            const auto index = input_index(input);
            if (!index || !b_.has_input(*index)) fail("output_shape: the node has no input '" + input + "'");
            const auto dims = dims_of(*index);
            const auto rank = static_cast<std::int64_t>(dims.size());
            if (axis < -rank || axis >= rank) fail("output_shape: " + input + "[" + std::to_string(axis) + "] is outside its rank " + std::to_string(rank));
            return dims[static_cast<std::size_t>(axis < 0 ? axis + rank : axis)];
          },
          [&](const std::string& name) -> std::int64_t {
            const auto it = custom.parameters().find(name);
            if (it == custom.parameters().end()) fail("output_shape: '" + name + "' is not a parameter of this rule");
            const auto& v = it->second;
            switch (v.value_case()) {
              case cml::CustomLayerParams::CustomLayerParamValue::kIntValue: return v.intvalue();
              case cml::CustomLayerParams::CustomLayerParamValue::kLongValue: return v.longvalue();
              case cml::CustomLayerParams::CustomLayerParamValue::kBoolValue: return v.boolvalue() ? 1 : 0;
              default: fail("output_shape: parameter '" + name + "' is not an integer");
            }
          }};
      std::vector<std::int64_t> shape;
      for (const std::string& expression : rule.dims) {
        try {
          shape.push_back(evaluate_shape_expression(expression, scope));
        } catch (const Error& e) {
          if (!e.file().empty()) throw;
          fail("output_shape: " + e.message());
        }
      }
      b_.set_output_shape(k, shape);
    }
  }

  LayerBuilder& b_;
  const CustomAction& action_;
  const RuleOrigin& origin_;
};

}  // namespace

void build_custom_layer(LayerBuilder& b, const CustomAction& action, const RuleOrigin& origin) {
  CustomLayerWriter(b, action, origin).write();
}

CustomAction default_custom_action(const Node& node) {
  CustomAction action;
  action.class_name = node.op_type;
  action.description = "converted from " + node.op_type + " by mlconv --allow-custom";
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const std::string name = "input" + std::to_string(i);
    action.input_names.push_back(name);
    if (node.inputs[i] == nullptr) continue;
    if (node.inputs[i]->constant) {
      action.weights.push_back({name, ElementType::float32});
    } else {
      action.input_order.push_back(name);
    }
  }
  for (const auto& [name, attribute] : node.attributes) {
    ParameterSource source;
    source.name = name;
    source.from = ParameterSource::From::attribute;
    source.key = name;
    switch (attribute.kind()) {
      case Attribute::Kind::int_: source.type = ParameterType::int_; break;
      case Attribute::Kind::float_: source.type = ParameterType::double_; break;
      case Attribute::Kind::string: source.type = ParameterType::string; break;
      default: continue;  // lists, tensors and graphs have no custom-parameter type
    }
    action.parameters.push_back(source);
  }
  if (!action.input_order.empty()) action.output_shapes.push_back({action.input_order.front(), {}});
  return action;
}

}  // namespace mlconv::converter
