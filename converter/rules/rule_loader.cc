// Reading rules files. Every field is checked where it is read, so a mistake is
// reported as "rules.json:12: rule /rules/0: ..." with what was expected.
#include <fstream>
#include <set>
#include <sstream>

#include "converter/frontends/json_locations.h"
#include "converter/rules/rule.h"
#include "converter/rules/shape_expression.h"
#include "spec/error.h"
#include "spec/json_limits.h"

namespace mlconv::converter {
namespace {

using nlohmann::json;

class RulesReader {
 public:
  explicit RulesReader(const JsonLocations& locations) : locations_(locations) {}

  std::vector<Rule> read(const json& doc) {
    if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array()) {
      throw Error("expected an object with a \"rules\" array").in_file(locations_.where(""));
    }
    for (const auto& [key, value] : doc.items()) {
      if (key != "rules" && key != "$schema") throw error("/" + key, "unknown field '" + key + "'; expected \"rules\"");
    }
    std::vector<Rule> rules;
    for (std::size_t i = 0; i < doc["rules"].size(); ++i) rules.push_back(rule(doc["rules"][i], "/rules/" + std::to_string(i)));
    return rules;
  }

 private:
  Error error(const std::string& pointer, const std::string& message) const {
    // Name the rule (the first two pointer tokens) and, when deeper, the field.
    const std::size_t rule_end = pointer.find('/', std::string("/rules/").size());
    const std::string rule_pointer = pointer.substr(0, rule_end);
    std::string where = "rule " + rule_pointer;
    if (rule_end != std::string::npos) where += " at " + pointer.substr(rule_end);
    Error e(message);
    e.within(where).in_file(locations_.where(pointer));
    return e;
  }

  void check_fields(const json& object, const std::string& pointer, std::initializer_list<std::string_view> allowed) const {
    if (!object.is_object()) throw error(pointer, "expected an object");
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (const auto name : allowed) known = known || name == key;
      if (!known) {
        std::string list;
        for (const auto name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
        throw error(pointer_child(pointer, key), "unknown field '" + key + "'; expected one of " + list);
      }
    }
  }

  std::string string_field(const json& object, const std::string& pointer, const char* key, bool required) const {
    if (!object.contains(key)) {
      if (required) throw error(pointer, std::string("missing required field '") + key + "'");
      return {};
    }
    if (!object[key].is_string()) throw error(pointer_child(pointer, key), "expected a string");
    return object[key].get<std::string>();
  }

  std::vector<std::string> strings(const json& object, const std::string& pointer, const char* key) const {
    std::vector<std::string> out;
    if (!object.contains(key)) return out;
    const std::string at = pointer_child(pointer, key);
    if (!object[key].is_array()) throw error(at, "expected an array of strings");
    for (std::size_t i = 0; i < object[key].size(); ++i) {
      if (!object[key][i].is_string()) throw error(pointer_child(at, i), "expected a string");
      out.push_back(object[key][i].get<std::string>());
    }
    return out;
  }

  // A plain JSON scalar or array as an attribute: 3 -> int, 0.5 -> float, "x" -> string,
  // true -> int 1, [1, 2] -> ints, [0.5] -> floats, ["a"] -> strings.
  Attribute plain_value(const json& value, const std::string& pointer) const {
    if (value.is_boolean()) return Attribute(static_cast<std::int64_t>(value.get<bool>()));
    if (value.is_number_integer()) return Attribute(value.get<std::int64_t>());
    if (value.is_number()) return Attribute(value.get<double>());
    if (value.is_string()) return Attribute(value.get<std::string>());
    if (value.is_array()) {
      bool all_int = true;
      bool all_number = true;
      bool all_string = true;
      for (const auto& item : value) {
        all_int = all_int && item.is_number_integer();
        all_number = all_number && item.is_number();
        all_string = all_string && item.is_string();
      }
      if (all_int) return Attribute(value.get<std::vector<std::int64_t>>());
      if (all_number) return Attribute(value.get<std::vector<double>>());
      if (all_string) return Attribute(value.get<std::vector<std::string>>());
    }
    throw error(pointer, "expected a number, string, boolean, or an array of one of them");
  }

  // {"type": "float", "value": 0.5} or {"type": "float", "from_attribute": "beta", "default": 1.0}.
  AttributeTemplate attribute_template(const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"type", "value", "from_attribute", "default"});
    const std::string type_name = string_field(object, pointer, "type", true);
    const auto kind = attribute_kind_from_name(type_name);
    if (!kind || *kind == Attribute::Kind::tensor || *kind == Attribute::Kind::graph) {
      throw error(pointer_child(pointer, "type"), "unknown type '" + type_name + "'; expected int, float, string, ints, floats or strings");
    }
    AttributeTemplate out;
    const auto typed = [&](const json& v, const std::string& at) {
      Attribute plain = plain_value(v, at);
      if (*kind == Attribute::Kind::float_ && plain.kind() == Attribute::Kind::int_) return Attribute(plain.as_float());
      if (*kind == Attribute::Kind::floats && plain.kind() == Attribute::Kind::ints) return Attribute(plain.as_floats());
      if (plain.kind() != *kind) throw error(at, "value is " + std::string(attribute_kind_name(plain.kind())) + ", expected " + type_name);
      return plain;
    };
    if (object.contains("value") == object.contains("from_attribute")) {
      throw error(pointer, "expected exactly one of 'value' and 'from_attribute'");
    }
    if (object.contains("value")) out.literal = typed(object["value"], pointer_child(pointer, "value"));
    out.from_attribute = string_field(object, pointer, "from_attribute", false);
    if (object.contains("default")) out.fallback = typed(object["default"], pointer_child(pointer, "default"));
    return out;
  }

  RuleMatch match(const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"op_type", "domain", "opset", "name", "name_regex", "attributes"});
    RuleMatch out;
    out.op_type = string_field(object, pointer, "op_type", true);
    out.domain = string_field(object, pointer, "domain", false);
    if (out.domain == "ai.onnx") out.domain.clear();
    if (object.contains("opset")) {
      const std::string at = pointer_child(pointer, "opset");
      check_fields(object["opset"], at, {"min", "max"});
      for (const char* bound : {"min", "max"}) {
        if (!object["opset"].contains(bound)) continue;
        if (!object["opset"][bound].is_number_integer()) throw error(pointer_child(at, bound), "expected an integer");
        (std::string(bound) == "min" ? out.opset_min : out.opset_max) = object["opset"][bound].get<std::int64_t>();
      }
    }
    out.name_glob = string_field(object, pointer, "name", false);
    out.name_regex_text = string_field(object, pointer, "name_regex", false);
    if (!out.name_regex_text.empty()) {
      try {
        out.name_regex.emplace(out.name_regex_text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        throw error(pointer_child(pointer, "name_regex"), std::string("invalid regular expression: ") + e.what());
      }
    }
    if (object.contains("attributes")) {
      const std::string at = pointer_child(pointer, "attributes");
      if (!object["attributes"].is_object()) throw error(at, "expected an object of attribute values");
      for (const auto& [key, value] : object["attributes"].items()) {
        out.attributes.push_back({key, plain_value(value, pointer_child(at, key))});
      }
    }
    return out;
  }

  ParameterSource parameter(const std::string& name, const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"type", "from_attribute", "from_input", "value", "default"});
    ParameterSource out;
    out.name = name;
    const std::string type = string_field(object, pointer, "type", true);
    static const std::pair<std::string_view, ParameterType> types[] = {
        {"double", ParameterType::double_}, {"string", ParameterType::string}, {"int", ParameterType::int_},
        {"long", ParameterType::long_},     {"bool", ParameterType::bool_}};
    bool found = false;
    for (const auto& [type_name, parameter_type] : types) {
      if (type_name == type) {
        out.type = parameter_type;
        found = true;
      }
    }
    if (!found) throw error(pointer_child(pointer, "type"), "unknown parameter type '" + type + "'; expected double, string, int, long or bool");
    const int sources = static_cast<int>(object.contains("from_attribute")) + static_cast<int>(object.contains("from_input")) +
                        static_cast<int>(object.contains("value"));
    if (sources != 1) throw error(pointer, "expected exactly one of 'from_attribute', 'from_input' and 'value'");
    if (object.contains("value")) {
      out.from = ParameterSource::From::literal;
      out.value = plain_value(object["value"], pointer_child(pointer, "value"));
    } else {
      out.from = object.contains("from_attribute") ? ParameterSource::From::attribute : ParameterSource::From::input;
      out.key = string_field(object, pointer, out.from == ParameterSource::From::attribute ? "from_attribute" : "from_input", true);
      if (object.contains("default")) out.value = plain_value(object["default"], pointer_child(pointer, "default"));
    }
    return out;
  }

  ShapeRule shape_rule(const json& object, const std::string& pointer, const CustomAction& custom) const {
    check_fields(object, pointer, {"same_as_input", "dims"});
    ShapeRule out;
    if (object.contains("same_as_input") == object.contains("dims")) throw error(pointer, "expected exactly one of 'same_as_input' and 'dims'");
    if (object.contains("same_as_input")) {
      out.same_as_input = string_field(object, pointer, "same_as_input", true);
      if (std::find(custom.input_names.begin(), custom.input_names.end(), *out.same_as_input) == custom.input_names.end()) {
        throw error(pointer_child(pointer, "same_as_input"), "'" + *out.same_as_input + "' is not one of input_names");
      }
      return out;
    }
    out.dims = strings(object, pointer, "dims");
    for (std::size_t i = 0; i < out.dims.size(); ++i) {
      try {
        check_shape_expression(out.dims[i]);
      } catch (const Error& e) {
        throw error(pointer_child(pointer_child(pointer, "dims"), i), e.message());
      }
    }
    return out;
  }

  CustomAction custom(const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"class_name", "description", "input_names", "input_order", "parameters", "weights", "output_shape"});
    CustomAction out;
    out.class_name = string_field(object, pointer, "class_name", true);
    if (out.class_name.empty()) throw error(pointer_child(pointer, "class_name"), "class_name must not be empty");
    out.description = string_field(object, pointer, "description", false);
    out.input_names = strings(object, pointer, "input_names");
    out.input_order = strings(object, pointer, "input_order");
    for (std::size_t i = 0; i < out.input_order.size(); ++i) {
      if (std::find(out.input_names.begin(), out.input_names.end(), out.input_order[i]) == out.input_names.end()) {
        throw error(pointer_child(pointer_child(pointer, "input_order"), i), "'" + out.input_order[i] + "' is not one of input_names");
      }
    }
    if (object.contains("parameters")) {
      const std::string at = pointer_child(pointer, "parameters");
      if (!object["parameters"].is_object()) throw error(at, "expected an object of parameters");
      for (const auto& [name, spec] : object["parameters"].items()) out.parameters.push_back(parameter(name, spec, pointer_child(at, name)));
    }
    if (object.contains("weights")) {
      const std::string at = pointer_child(pointer, "weights");
      if (!object["weights"].is_array()) throw error(at, "expected an array");
      for (std::size_t i = 0; i < object["weights"].size(); ++i) {
        const std::string item = pointer_child(at, i);
        check_fields(object["weights"][i], item, {"from", "as"});
        WeightSource weight{string_field(object["weights"][i], item, "from", true), ElementType::float32};
        const std::string as = string_field(object["weights"][i], item, "as", false);
        if (as == "float16") {
          weight.as = ElementType::float16;
        } else if (!as.empty() && as != "float32") {
          throw error(pointer_child(item, "as"), "expected float32 or float16");
        }
        out.weights.push_back(weight);
      }
    }
    if (object.contains("output_shape")) {
      const json& shape = object["output_shape"];
      const std::string at = pointer_child(pointer, "output_shape");
      if (shape.is_array()) {
        for (std::size_t i = 0; i < shape.size(); ++i) out.output_shapes.push_back(shape_rule(shape[i], pointer_child(at, i), out));
      } else {
        out.output_shapes.push_back(shape_rule(shape, at, out));
      }
    }
    return out;
  }

  CompositeAction composite(const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"inputs", "outputs", "constants", "nodes"});
    CompositeAction out;
    out.inputs = strings(object, pointer, "inputs");
    out.outputs = strings(object, pointer, "outputs");
    std::set<std::string> known(out.inputs.begin(), out.inputs.end());
    if (object.contains("constants")) {
      const std::string at = pointer_child(pointer, "constants");
      if (!object["constants"].is_object()) throw error(at, "expected an object of constants");
      for (const auto& [name, spec] : object["constants"].items()) {
        AttributeTemplate value = attribute_template(spec, pointer_child(at, name));
        const auto kind = value.literal ? value.literal->kind() : value.fallback ? value.fallback->kind() : Attribute::Kind::float_;
        if (kind != Attribute::Kind::float_ && kind != Attribute::Kind::int_) {
          throw error(pointer_child(at, name), "a composite constant is a scalar: type int or float");
        }
        out.constants.push_back({name, std::move(value)});
        known.insert(name);
      }
    }
    if (!object.contains("nodes") || !object["nodes"].is_array() || object["nodes"].empty()) {
      throw error(pointer, "expected a non-empty 'nodes' array");
    }
    for (std::size_t i = 0; i < object["nodes"].size(); ++i) {
      const std::string at = pointer_child(pointer_child(pointer, "nodes"), i);
      const json& node = object["nodes"][i];
      check_fields(node, at, {"op_type", "domain", "inputs", "outputs", "attributes"});
      CompositeNode built{string_field(node, at, "op_type", true), string_field(node, at, "domain", false),
                          strings(node, at, "inputs"), strings(node, at, "outputs"), {}};
      for (std::size_t k = 0; k < built.inputs.size(); ++k) {
        if (!built.inputs[k].empty() && !known.contains(built.inputs[k])) {
          throw error(pointer_child(pointer_child(at, "inputs"), k),
                      "'" + built.inputs[k] + "' is not a composite input, a constant or an earlier node's output");
        }
      }
      known.insert(built.outputs.begin(), built.outputs.end());
      if (node.contains("attributes")) {
        for (const auto& [key, spec] : node["attributes"].items()) {
          built.attributes.emplace(key, attribute_template(spec, pointer_child(pointer_child(at, "attributes"), key)));
        }
      }
      out.nodes.push_back(std::move(built));
    }
    for (std::size_t k = 0; k < out.outputs.size(); ++k) {
      if (!known.contains(out.outputs[k])) throw error(pointer_child(pointer_child(pointer, "outputs"), k), "'" + out.outputs[k] + "' is produced by no composite node");
    }
    return out;
  }

  Rule rule(const json& object, const std::string& pointer) const {
    check_fields(object, pointer, {"match", "custom", "composite", "comment"});
    if (!object.contains("match")) throw error(pointer, "missing required field 'match'");
    Rule out;
    out.origin = RuleOrigin{locations_.file(), pointer, locations_.line(pointer)};
    out.match = match(object["match"], pointer_child(pointer, "match"));
    if (object.contains("custom") == object.contains("composite")) throw error(pointer, "expected exactly one action: 'custom' or 'composite'");
    if (object.contains("custom")) {
      out.action = custom(object["custom"], pointer_child(pointer, "custom"));
    } else {
      out.action = composite(object["composite"], pointer_child(pointer, "composite"));
    }
    return out;
  }

  const JsonLocations& locations_;
};

}  // namespace

std::vector<Rule> parse_rules(std::string_view text, const std::string& file) {
  const json doc = parse_json_text(file, text);
  const JsonLocations locations(file, text);
  return RulesReader(locations).read(doc);
}

std::vector<Rule> load_rules_file(const std::filesystem::path& path) {
  return parse_rules(spec::read_json_file(path, "rules file", spec::max_json_small_file_bytes), path.string());
}

}  // namespace mlconv::converter
