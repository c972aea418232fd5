// Reading a bindings file: the same rules as schemas/bindings.schema.json,
// checked by hand so each error names the JSON pointer of the bad value
// (a generic schema validator would not be available to the tool itself).
#include "spec/validation/bindings.h"

#include <fstream>
#include <set>
#include <sstream>

#include "spec/error.h"
#include "spec/json_limits.h"

namespace mlconv::spec::validation {

namespace cml = CoreML::Specification;
using Json = nlohmann::json;

std::string_view param_type_name(ParamType type) {
  switch (type) {
    case ParamType::double_: return "double";
    case ParamType::string: return "string";
    case ParamType::int_: return "int";
    case ParamType::long_: return "long";
    case ParamType::bool_: return "bool";
  }
  return "?";
}

std::string_view param_type_field(ParamType type) {
  switch (type) {
    case ParamType::double_: return "doubleValue";
    case ParamType::string: return "stringValue";
    case ParamType::int_: return "intValue";
    case ParamType::long_: return "longValue";
    case ParamType::bool_: return "boolValue";
  }
  return "?";
}

std::optional<ParamType> stored_param_type(const cml::CustomLayerParams::CustomLayerParamValue& value) {
  using V = cml::CustomLayerParams::CustomLayerParamValue;
  switch (value.value_case()) {
    case V::kDoubleValue: return ParamType::double_;
    case V::kStringValue: return ParamType::string;
    case V::kIntValue: return ParamType::int_;
    case V::kLongValue: return ParamType::long_;
    case V::kBoolValue: return ParamType::bool_;
    case V::VALUE_NOT_SET: break;
  }
  return std::nullopt;
}

std::string_view weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::float32: return "float32";
    case WeightType::float16: return "float16";
    case WeightType::bytes: return "bytes";
  }
  return "?";
}

const ParameterBinding* ClassBinding::parameter(std::string_view name) const {
  for (const auto& p : parameters)
    if (p.name == name) return &p;
  return nullptr;
}

const ClassBinding* Bindings::find(std::string_view class_name) const {
  for (const auto& c : classes)
    if (c.class_name == class_name) return &c;
  return nullptr;
}

namespace {

// RFC 6901: '~' and '/' inside a key are escaped.
std::string pointer_key(std::string_view key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw Error((pointer.empty() ? std::string("/") : pointer) + ": " + what).in_file(file_);
  }

  // The object at `pointer`, with every key among `allowed` (a typo is an error, not ignored).
  const Json& object(const Json& value, const std::string& pointer, std::initializer_list<std::string_view> allowed) const {
    if (!value.is_object()) fail(pointer, "expected an object");
    for (const auto& [key, item] : value.items()) {
      bool known = false;
      for (const auto name : allowed) known = known || key == name;
      if (!known) fail(pointer + "/" + pointer_key(key), "unknown key '" + key + "'");
    }
    return value;
  }
  std::string string(const Json& value, const std::string& pointer, bool non_empty = true) const {
    if (!value.is_string()) fail(pointer, "expected a string");
    std::string text = value.get<std::string>();
    if (non_empty && text.empty()) fail(pointer, "expected a non-empty string");
    return text;
  }
  template <class Enum>
  Enum choice(const Json& value, const std::string& pointer, std::initializer_list<std::pair<std::string_view, Enum>> options) const {
    const std::string text = string(value, pointer);
    std::string names;
    for (const auto& [name, e] : options) {
      if (text == name) return e;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    fail(pointer, "'" + text + "' is not one of " + names);
  }
  ShapeRule rule(const Json& value, const std::string& pointer) const {
    if (value.is_number_integer()) {
      if (value.get<std::int64_t>() < 0) fail(pointer, "expected a size of 0 or more");
      return ShapeRule::parse(std::to_string(value.get<std::int64_t>()));
    }
    const std::string text = string(value, pointer);
    try {
      return ShapeRule::parse(text);
    } catch (const Error& e) {
      fail(pointer, e.message());
    }
  }
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  std::string file_;
};

ParameterBinding read_parameter(const Reader& r, const std::string& name, const Json& value, const std::string& at) {
  r.object(value, at, {"type", "required", "description"});
  ParameterBinding p;
  p.name = name;
  p.pointer = at;
  if (!value.contains("type")) r.fail(at, "missing key 'type'");
  p.type = r.choice<ParamType>(value["type"], at + "/type",
                               {{"double", ParamType::double_}, {"string", ParamType::string}, {"int", ParamType::int_},
                                {"long", ParamType::long_}, {"bool", ParamType::bool_}});
  if (value.contains("required")) {
    if (!value["required"].is_boolean()) r.fail(at + "/required", "expected true or false");
    p.required = value["required"].get<bool>();
  }
  if (value.contains("description")) r.string(value["description"], at + "/description", false);
  return p;
}

WeightBinding read_weight(const Reader& r, const Json& value, const std::string& at) {
  r.object(value, at, {"name", "type", "count", "description"});
  WeightBinding w;
  w.pointer = at;
  if (!value.contains("name")) r.fail(at, "missing key 'name'");
  if (!value.contains("type")) r.fail(at, "missing key 'type'");
  w.name = r.string(value["name"], at + "/name");
  w.type = r.choice<WeightType>(value["type"], at + "/type",
                                {{"float32", WeightType::float32}, {"float16", WeightType::float16},
                                 {"bytes", WeightType::bytes}});
  if (value.contains("count")) w.count = r.rule(value["count"], at + "/count");
  if (value.contains("description")) r.string(value["description"], at + "/description", false);
  return w;
}

OutputBinding read_output(const Reader& r, const Json& value, const std::string& at, std::size_t input_count) {
  r.object(value, at, {"name", "sameShapeAs", "shape", "description"});
  OutputBinding o;
  o.pointer = at;
  if (!value.contains("name")) r.fail(at, "missing key 'name'");
  o.name = r.string(value["name"], at + "/name");
  if (value.contains("sameShapeAs") == value.contains("shape")) r.fail(at, "expected exactly one of 'sameShapeAs' and 'shape'");
  if (value.contains("sameShapeAs")) {
    const Json& k = value["sameShapeAs"];
    if (!k.is_number_integer() || k.get<std::int64_t>() < 0 ||
        k.get<std::int64_t>() >= static_cast<std::int64_t>(input_count)) {
      r.fail(at + "/sameShapeAs", "expected an input index from 0 to " + std::to_string(input_count) + " - 1");
    }
    o.same_as_input = static_cast<int>(k.get<std::int64_t>());
  } else {
    const Json& dims = value["shape"];
    if (!dims.is_array() || dims.empty() || dims.size() > 16) r.fail(at + "/shape", "expected an array of 1 to 16 dimensions");
    for (std::size_t d = 0; d < dims.size(); ++d) {
      const std::string dim_at = at + "/shape/" + std::to_string(d);
      o.dims.push_back(r.rule(dims[d], dim_at));
      if (o.dims.back().max_input_index() >= static_cast<int>(input_count))
        r.fail(dim_at, "reads input " + std::to_string(o.dims.back().max_input_index()) + " of a class with " +
                           std::to_string(input_count) + " inputs");
    }
  }
  if (value.contains("description")) r.string(value["description"], at + "/description", false);
  return o;
}

// A rule may name only integer parameters of its own class.
void check_rule_names(const Reader& r, const ClassBinding& c, const ShapeRule& rule, const std::string& at) {
  for (const std::string& name : rule.names()) {
    const ParameterBinding* p = c.parameter(name);
    if (p == nullptr) r.fail(at, "the rule reads '" + name + "', which is not a parameter of class '" + c.class_name + "'");
    if (p->type != ParamType::int_ && p->type != ParamType::long_)
      r.fail(at, "the rule reads parameter '" + name + "' of type " + std::string(param_type_name(p->type)) +
                     "; rules read int or long parameters only");
  }
}

ClassBinding read_class(const Reader& r, const std::string& name, const Json& value, const std::string& at) {
  r.object(value, at, {"description", "inputs", "outputs", "parameters", "weights", "testVectors"});
  ClassBinding c;
  c.class_name = name;
  c.pointer = at;
  if (name.empty()) r.fail(at, "a class name cannot be empty");
  if (value.contains("description")) c.description = r.string(value["description"], at + "/description", false);
  if (!value.contains("inputs")) r.fail(at, "missing key 'inputs'");
  if (!value.contains("outputs")) r.fail(at, "missing key 'outputs'");
  const Json& inputs = value["inputs"];
  if (!inputs.is_array() || inputs.empty()) r.fail(at + "/inputs", "expected an array of one or more input names");
  for (std::size_t i = 0; i < inputs.size(); ++i) c.inputs.push_back(r.string(inputs[i], at + "/inputs/" + std::to_string(i)));
  if (value.contains("parameters")) {
    const Json& params = value["parameters"];
    if (!params.is_object()) r.fail(at + "/parameters", "expected an object of parameters by name");
    for (const auto& [key, item] : params.items())
      c.parameters.push_back(read_parameter(r, key, item, at + "/parameters/" + pointer_key(key)));
  }
  const Json& outputs = value["outputs"];
  if (!outputs.is_array() || outputs.empty()) r.fail(at + "/outputs", "expected an array of one or more outputs");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    c.outputs.push_back(read_output(r, outputs[i], at + "/outputs/" + std::to_string(i), c.inputs.size()));
    for (std::size_t d = 0; d < c.outputs.back().dims.size(); ++d)
      check_rule_names(r, c, c.outputs.back().dims[d], c.outputs.back().pointer + "/shape/" + std::to_string(d));
  }
  if (value.contains("weights")) {
    const Json& weights = value["weights"];
    if (!weights.is_array()) r.fail(at + "/weights", "expected an array of weight blobs");
    for (std::size_t i = 0; i < weights.size(); ++i) {
      c.weights.push_back(read_weight(r, weights[i], at + "/weights/" + std::to_string(i)));
      if (c.weights.back().count) check_rule_names(r, c, *c.weights.back().count, c.weights.back().pointer + "/count");
    }
  }
  if (value.contains("testVectors")) c.test_vectors = r.string(value["testVectors"], at + "/testVectors");
  return c;
}

}  // namespace

Bindings parse_bindings(std::string_view text, const std::string& file) {
  const Reader r(file);
  check_json_depth(text, file);
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; keep from "parse error".
    // Also out_of_range.406 (a number that overflows a double), which is not a parse_error.
    const std::string what = e.what();
    const std::size_t start = what.find("] ");
    throw Error("not valid JSON: " + (start == std::string::npos ? what : what.substr(start + 2))).in_file(file);
  }
  r.object(document, "", {"$schema", "classes"});
  if (!document.contains("classes")) r.fail("", "missing key 'classes'");
  const Json& classes = document["classes"];
  if (!classes.is_object()) r.fail("/classes", "expected an object of classes by className");
  Bindings bindings;
  bindings.file = file;
  for (const auto& [name, value] : classes.items())
    bindings.classes.push_back(read_class(r, name, value, "/classes/" + pointer_key(name)));
  return bindings;
}

Bindings load_bindings(const std::filesystem::path& path) {
  return parse_bindings(spec::read_json_file(path, "bindings file", spec::max_json_small_file_bytes), path.string());
}

}  // namespace mlconv::spec::validation
