// JSON graph format -> Graph IR. The reader checks each field's type itself rather
// than relying on a schema validator, so a mistake is reported with the line and
// pointer of the offending field and what was expected there.
#include "converter/frontends/json_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

#include "converter/frontends/json_locations.h"
#include "converter/frontends/tensor_files.h"
#include "spec/error.h"
#include "spec/json_limits.h"
#include "spec/model_io.h"

namespace mlconv::converter {
namespace {

using nlohmann::json;

constexpr std::int64_t max_tensor_elements = std::int64_t{1} << 40;

class GraphReader {
 public:
  // `scopes`: the graphs enclosing a subgraph (If branches, Loop bodies), innermost last;
  // their values are what the subgraph's nodes may read by name.
  GraphReader(const JsonLocations& locations, std::filesystem::path base_dir, std::vector<const Graph*> scopes = {})
      : locations_(locations), base_dir_(std::move(base_dir)), scopes_(std::move(scopes)) {}

  Graph read_graph(const json& doc, const std::string& pointer) {
    require_object(doc, pointer);
    Graph graph;
    graph.location = where(pointer);
    graph.name = optional_string(doc, pointer, "name");
    if (doc.contains("opset_imports")) read_opsets(doc["opset_imports"], pointer_child(pointer, "opset_imports"), graph);
    if (doc.contains("metadata")) read_metadata(doc["metadata"], pointer_child(pointer, "metadata"), graph.metadata);

    const auto& inputs = required_array(doc, pointer, "inputs");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string at = pointer_child(pointer_child(pointer, "inputs"), i);
      Value& value = declare_value(inputs[i], at, graph);
      graph.add_input(value);
    }
    if (doc.contains("initializers")) {
      const auto& initializers = doc["initializers"];
      const std::string list = pointer_child(pointer, "initializers");
      require_array(initializers, list);
      check_declared_weight_size(initializers, list);
      for (std::size_t i = 0; i < initializers.size(); ++i) read_initializer(initializers[i], pointer_child(list, i), graph);
    }
    const auto& nodes = required_array(doc, pointer, "nodes");
    const std::string node_list = pointer_child(pointer, "nodes");
    // Outputs first, so nodes may be listed in any order; topological_order() sorts them.
    for (std::size_t i = 0; i < nodes.size(); ++i) declare_node_outputs(nodes[i], pointer_child(node_list, i), graph);
    for (std::size_t i = 0; i < nodes.size(); ++i) read_node(nodes[i], pointer_child(node_list, i), graph);

    const auto& outputs = required_array(doc, pointer, "outputs");
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string at = pointer_child(pointer_child(pointer, "outputs"), i);
      require_object(outputs[i], at);
      const std::string name = required_string(outputs[i], at, "name");
      Value* value = graph.find_value(name);
      if (value == nullptr) throw error(at, "output '" + name + "' is not produced by any node or declared as an input");
      read_type_and_shape(outputs[i], at, *value, /*shape_required=*/false);
      // Messages about the output's declared type or shape point at its declaration.
      if (outputs[i].contains("shape") || outputs[i].contains("type")) value->location = where(at);
      graph.add_output(*value);
    }
    return graph;
  }

 private:
  [[nodiscard]] SourceLocation where(const std::string& pointer) const {
    return SourceLocation{locations_.file(), pointer, locations_.line(pointer)};
  }

  [[nodiscard]] Error error(const std::string& pointer, const std::string& message) const {
    Error e(message + " (at " + (pointer.empty() ? "/" : pointer) + ")");
    e.in_file(locations_.where(pointer));
    return e;
  }

  static std::string json_kind(const json& value) {
    if (value.is_number_integer()) return "an integer";
    if (value.is_number()) return "a number";
    if (value.is_string()) return "a string";
    if (value.is_boolean()) return "a boolean";
    if (value.is_array()) return "an array";
    if (value.is_object()) return "an object";
    return "null";
  }

  void require_object(const json& value, const std::string& pointer) const {
    if (!value.is_object()) throw error(pointer, "expected an object, found " + json_kind(value));
  }
  void require_array(const json& value, const std::string& pointer) const {
    if (!value.is_array()) throw error(pointer, "expected an array, found " + json_kind(value));
  }

  const json& required(const json& object, const std::string& pointer, const char* key) const {
    if (!object.contains(key)) throw error(pointer, std::string("missing required field '") + key + "'");
    return object[key];
  }
  const json& required_array(const json& object, const std::string& pointer, const char* key) const {
    const json& value = required(object, pointer, key);
    require_array(value, pointer_child(pointer, key));
    return value;
  }
  std::string required_string(const json& object, const std::string& pointer, const char* key) const {
    const json& value = required(object, pointer, key);
    if (!value.is_string()) throw error(pointer_child(pointer, key), "expected a string, found " + json_kind(value));
    return value.get<std::string>();
  }
  std::string optional_string(const json& object, const std::string& pointer, const char* key) const {
    if (!object.contains(key)) return {};
    return required_string(object, pointer, key);
  }
  std::int64_t integer(const json& value, const std::string& pointer) const {
    if (!value.is_number_integer()) throw error(pointer, "expected an integer, found " + json_kind(value));
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()) {
      throw error(pointer, "integer does not fit in int64");
    }
    return value.get<std::int64_t>();
  }
  double number(const json& value, const std::string& pointer) const {
    if (!value.is_number()) throw error(pointer, "expected a number, found " + json_kind(value));
    return value.get<double>();
  }

  ElementType element_type(const json& object, const std::string& pointer) const {
    const std::string name = required_string(object, pointer, "type");
    const auto type = element_type_from_name(name);
    if (!type) {
      throw error(pointer_child(pointer, "type"),
                  "unknown element type '" + name +
                      "'; expected float32, float16, float64, int8, uint8, int16, int32, int64, bool or string");
    }
    return *type;
  }

  Shape shape(const json& value, const std::string& pointer) const {
    require_array(value, pointer);
    Shape out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string at = pointer_child(pointer, i);
      if (value[i].is_string()) {
        out.push_back(Dim::symbolic(value[i].get<std::string>()));
        continue;
      }
      const std::int64_t size = integer(value[i], at);
      if (size < 0) throw error(at, "dimension " + std::to_string(size) + " is negative; use a name for an unknown size");
      out.push_back(Dim::known(size));
    }
    return out;
  }

  // Core ML keeps every weight inside the one .mlmodel message, as float32, and protobuf
  // cannot write a message past 2 GiB. Summing the declared shapes refuses such a graph
  // before any external weight file is read. Malformed entries are left to the full read.
  void check_declared_weight_size(const json& initializers, const std::string& pointer) const {
    std::uint64_t elements = 0;
    for (const auto& initializer : initializers) {
      if (!initializer.is_object() || !initializer.contains("shape") || !initializer["shape"].is_array()) continue;
      std::uint64_t count = 1;
      for (const auto& d : initializer["shape"]) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
          count = 0;
          break;
        }
        count = std::min<std::uint64_t>(count * std::min<std::uint64_t>(d.get<std::uint64_t>(), spec::max_message_bytes),
                                        spec::max_message_bytes);
      }
      elements = std::min<std::uint64_t>(elements + count, spec::max_message_bytes);
    }
    if (elements * 4 > spec::max_message_bytes) {
      throw error(pointer, "the initializers declare " + std::to_string(elements) + (elements == spec::max_message_bytes ? " or more" : "") +
                               " values, more than 2 GiB as Core ML float32 weights, which is protobuf's limit for one "
                               ".mlmodel message; split the model or quantize its weights first");
    }
  }

  std::vector<std::int64_t> static_dims(const json& object, const std::string& pointer) const {
    const Shape declared = shape(required(object, pointer, "shape"), pointer_child(pointer, "shape"));
    const auto sizes = known_sizes(declared);
    if (!sizes) throw error(pointer_child(pointer, "shape"), "a constant tensor needs a fixed shape, not symbolic dimensions");
    // Bounds the element count before anything multiplies it into a byte count.
    std::int64_t count = 1;
    for (const auto d : *sizes) {
      if (d != 0 && count > max_tensor_elements / d) {
        throw error(pointer_child(pointer, "shape"), "tensor has more than 2^40 elements");
      }
      count *= d;
    }
    return *sizes;
  }

  void read_type_and_shape(const json& object, const std::string& pointer, Value& value, bool shape_required) const {
    if (object.contains("type")) value.type = element_type(object, pointer);
    if (object.contains("shape") || shape_required) {
      value.shape = shape(required(object, pointer, "shape"), pointer_child(pointer, "shape"));
    }
  }

  Value& declare_value(const json& object, const std::string& pointer, Graph& graph) const {
    require_object(object, pointer);
    const std::string name = required_string(object, pointer, "name");
    if (graph.find_value(name) != nullptr) throw error(pointer, "value '" + name + "' is declared twice");
    Value& value = graph.add_value(name, where(pointer));
    value.type = element_type(object, pointer);
    read_type_and_shape(object, pointer, value, /*shape_required=*/true);
    return value;
  }

  // A tensor: {"type", "shape", "data": [...]} or {"type", "shape", "external": {...}}.
  TensorData tensor(const json& object, const std::string& pointer) const {
    require_object(object, pointer);
    const ElementType type = element_type(object, pointer);
    const std::vector<std::int64_t> dims = static_dims(object, pointer);
    const bool has_data = object.contains("data");
    if (has_data == object.contains("external")) throw error(pointer, "expected exactly one of 'data' and 'external'");
    if (has_data) return inline_tensor(object["data"], pointer_child(pointer, "data"), type, dims);
    return external_tensor(object["external"], pointer_child(pointer, "external"), type, dims);
  }

  TensorData inline_tensor(const json& data, const std::string& pointer, ElementType type,
                           const std::vector<std::int64_t>& dims) const {
    require_array(data, pointer);
    std::int64_t count = 1;
    for (const auto d : dims) count *= d;
    if (static_cast<std::int64_t>(data.size()) != count) {
      throw error(pointer, "holds " + std::to_string(data.size()) + " values; the shape needs " + std::to_string(count));
    }
    TensorData out{type, dims, {}};
    const std::size_t size = element_size(type);
    if (size == 0) throw error(pointer, "inline data of element type " + std::string(element_type_name(type)) + " is not supported");
    out.bytes.resize(static_cast<std::size_t>(count) * size);
    for (std::size_t i = 0; i < data.size(); ++i) {
      const std::string at = pointer_child(pointer, i);
      char* slot = out.bytes.data() + i * size;
      const auto put = [&](auto v) { std::memcpy(slot, &v, sizeof v); };
      switch (type) {
        case ElementType::float32: put(static_cast<float>(number(data[i], at))); break;
        case ElementType::float16: put(float_to_half(static_cast<float>(number(data[i], at)))); break;
        case ElementType::float64: put(number(data[i], at)); break;
        case ElementType::boolean:
          if (!data[i].is_boolean()) throw error(at, "expected a boolean, found " + json_kind(data[i]));
          put(static_cast<std::uint8_t>(data[i].get<bool>()));
          break;
        default: put_integer(slot, type, integer(data[i], at), at); break;
      }
    }
    return out;
  }

  void put_integer(char* slot, ElementType type, std::int64_t v, const std::string& at) const {
    const auto check = [&](std::int64_t low, std::int64_t high) {
      if (v < low || v > high) throw error(at, std::to_string(v) + " does not fit in " + std::string(element_type_name(type)));
    };
    switch (type) {
      case ElementType::int8: check(-128, 127); *slot = static_cast<char>(v); break;
      case ElementType::uint8: check(0, 255); *slot = static_cast<char>(v); break;
      case ElementType::int16: {
        check(-32768, 32767);
        const auto n = static_cast<std::int16_t>(v);
        std::memcpy(slot, &n, 2);
        break;
      }
      case ElementType::int32: {
        check(std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
        const auto n = static_cast<std::int32_t>(v);
        std::memcpy(slot, &n, 4);
        break;
      }
      default: std::memcpy(slot, &v, 8); break;
    }
  }

  TensorData external_tensor(const json& object, const std::string& pointer, ElementType type,
                             const std::vector<std::int64_t>& dims) const {
    require_object(object, pointer);
    ExternalData source;
    source.path_as_written = required_string(object, pointer, "path");
    const std::filesystem::path relative(source.path_as_written);
    if (relative.is_absolute()) throw error(pointer_child(pointer, "path"), "path must be relative to the graph file");
    source.path = base_dir_ / relative;
    source.path_as_written = (std::filesystem::path(locations_.file()).parent_path() / relative).string();
    if (object.contains("offset")) {
      const std::int64_t offset = integer(object["offset"], pointer_child(pointer, "offset"));
      if (offset < 0) throw error(pointer_child(pointer, "offset"), "offset is negative");
      source.offset = static_cast<std::uint64_t>(offset);
    }
    if (object.contains("length")) {
      const std::int64_t length = integer(object["length"], pointer_child(pointer, "length"));
      if (length < 0) throw error(pointer_child(pointer, "length"), "length is negative");
      source.length = static_cast<std::uint64_t>(length);
    }
    const bool npy = relative.extension() == ".npy";
    if (npy && (object.contains("offset") || object.contains("length"))) {
      throw error(pointer, "'offset' and 'length' apply to raw files; a .npy file describes its own data");
    }
    try {
      return npy ? read_npy_tensor(source, type, dims) : read_raw_tensor(source, type, dims);
    } catch (Error& e) {
      // Errors about the weights file name that file; the rest point at the declaration.
      if (e.file().empty()) e.in_file(locations_.where(pointer));
      throw;
    }
  }

  void read_initializer(const json& object, const std::string& pointer, Graph& graph) const {
    require_object(object, pointer);
    const std::string name = required_string(object, pointer, "name");
    if (graph.find_value(name) != nullptr) throw error(pointer, "value '" + name + "' is declared twice");
    TensorData data = tensor(object, pointer);
    Value& value = graph.add_value(name, where(pointer));
    value.type = data.type;
    value.shape = Shape{};
    for (const auto d : data.dims) value.shape->push_back(Dim::known(d));
    value.constant = std::move(data);
  }

  void declare_node_outputs(const json& node, const std::string& pointer, Graph& graph) const {
    require_object(node, pointer);
    const auto& outputs = required_array(node, pointer, "outputs");
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string at = pointer_child(pointer_child(pointer, "outputs"), i);
      if (!outputs[i].is_string() || outputs[i].get<std::string>().empty()) throw error(at, "expected a non-empty value name");
      const std::string name = outputs[i].get<std::string>();
      Value* existing = graph.find_value(name);
      if (existing == nullptr) {
        graph.add_value(name, where(at));
      } else if (existing->constant || std::find(graph.inputs().begin(), graph.inputs().end(), existing) !=
                                                 graph.inputs().end()) {
        throw error(at, "output '" + name + "' is already declared as a graph input or initializer");
      }
    }
  }

  void read_node(const json& object, const std::string& pointer, Graph& graph) {
    const std::string name = required_string(object, pointer, "name");
    const std::string op_type = required_string(object, pointer, "op_type");
    if (name.empty() || op_type.empty()) throw error(pointer, "'name' and 'op_type' must not be empty");
    if (!node_names_.insert(name).second) throw error(pointer, "node name '" + name + "' is used twice");
    const std::string domain = optional_string(object, pointer, "domain");
    std::vector<Value*> inputs;
    const auto& input_names = required_array(object, pointer, "inputs");
    for (std::size_t i = 0; i < input_names.size(); ++i) {
      const std::string at = pointer_child(pointer_child(pointer, "inputs"), i);
      if (!input_names[i].is_string()) throw error(at, "expected a value name (\"\" for an omitted optional input)");
      const std::string input = input_names[i].get<std::string>();
      if (input.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      Value* value = graph.find_value(input);
      if (value == nullptr) value = outer_reference(graph, input, at);
      if (value == nullptr) {
        Error e("input '" + input + "' is not a graph input, an initializer or any node's output (at " + at + ")");
        throw e.within(describe_named("node", name, op_type)).in_file(locations_.where(at));
      }
      inputs.push_back(value);
    }
    std::vector<Value*> outputs;
    for (const auto& output : object["outputs"]) outputs.push_back(graph.find_value(output.get<std::string>()));
    Node& node = graph.add_node(name, op_type, domain, std::move(inputs), std::move(outputs), where(pointer));
    current_ = &graph;
    if (object.contains("attributes")) {
      const std::string list = pointer_child(pointer, "attributes");
      require_object(object["attributes"], list);
      for (const auto& [key, spec] : object["attributes"].items()) {
        node.attributes.emplace(key, attribute(spec, pointer_child(list, key)));
      }
    }
  }

  // {"type": "int", "value": 3}, {"type": "floats", "value": [0.5]}, {"type": "tensor", "value": {...}}, ...
  Attribute attribute(const json& object, const std::string& pointer) {
    require_object(object, pointer);
    const std::string kind_name = required_string(object, pointer, "type");
    const auto kind = attribute_kind_from_name(kind_name);
    if (!kind) {
      throw error(pointer_child(pointer, "type"), "unknown attribute type '" + kind_name +
                                                      "'; expected int, float, string, ints, floats, strings, tensor or graph");
    }
    const json& value = required(object, pointer, "value");
    const std::string at = pointer_child(pointer, "value");
    const auto list = [&](auto read) {
      require_array(value, at);
      std::vector<decltype(read(value, at))> out;
      for (std::size_t i = 0; i < value.size(); ++i) out.push_back(read(value[i], pointer_child(at, i)));
      return out;
    };
    const auto read_int = [&](const json& v, const std::string& p) { return integer(v, p); };
    const auto read_float = [&](const json& v, const std::string& p) { return number(v, p); };
    const auto read_string = [&](const json& v, const std::string& p) {
      if (!v.is_string()) throw error(p, "expected a string, found " + json_kind(v));
      return v.get<std::string>();
    };
    switch (*kind) {
      case Attribute::Kind::int_: return Attribute(read_int(value, at));
      case Attribute::Kind::float_: return Attribute(read_float(value, at));
      case Attribute::Kind::string: return Attribute(read_string(value, at));
      case Attribute::Kind::ints: return Attribute(list(read_int));
      case Attribute::Kind::floats: return Attribute(list(read_float));
      case Attribute::Kind::strings: return Attribute(list(read_string));
      case Attribute::Kind::tensor: return Attribute(tensor(value, at));
      case Attribute::Kind::graph: {
        std::vector<const Graph*> scopes = scopes_;
        scopes.push_back(current_);
        GraphReader body(locations_, base_dir_, std::move(scopes));
        return Attribute(std::make_shared<const Graph>(body.read_graph(value, at)));
      }
    }
    throw error(pointer, "unreachable attribute kind");
  }

  void read_opsets(const json& list, const std::string& pointer, Graph& graph) const {
    require_array(list, pointer);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = pointer_child(pointer, i);
      require_object(list[i], at);
      const std::string domain = optional_string(list[i], at, "domain");
      const std::int64_t version = integer(required(list[i], at, "version"), pointer_child(at, "version"));
      if (version < 1) throw error(pointer_child(at, "version"), "opset version must be at least 1");
      if (!graph.opset_imports.emplace(domain == "ai.onnx" ? "" : domain, version).second) {
        throw error(at, "domain '" + domain + "' is imported twice");
      }
    }
  }

  void read_metadata(const json& object, const std::string& pointer, Metadata& metadata) const {
    require_object(object, pointer);
    metadata.producer = optional_string(object, pointer, "producer");
    metadata.doc = optional_string(object, pointer, "doc");
    metadata.author = optional_string(object, pointer, "author");
    metadata.license = optional_string(object, pointer, "license");
    metadata.version = optional_string(object, pointer, "version");
    metadata.short_description = optional_string(object, pointer, "short_description");
    if (object.contains("user_defined")) {
      const std::string at = pointer_child(pointer, "user_defined");
      require_object(object["user_defined"], at);
      for (const auto& [key, value] : object["user_defined"].items()) {
        if (!value.is_string()) throw error(pointer_child(at, key), "expected a string, found " + json_kind(value));
        metadata.user_defined[key] = value.get<std::string>();
      }
    }
  }

  // A value of an enclosing graph, declared in `graph` as an outer reference with the
  // outer value's type and shape (once); null when no enclosing graph has it.
  Value* outer_reference(Graph& graph, const std::string& name, const std::string& pointer) const {
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
      const Value* outer = *scope != nullptr ? (*scope)->find_value(name) : nullptr;
      if (outer == nullptr) continue;
      Value& captured = graph.add_value(name, where(pointer));
      captured.type = outer->type;
      captured.shape = outer->shape;
      graph.add_outer_reference(captured);
      return &captured;
    }
    return nullptr;
  }

  const JsonLocations& locations_;
  std::filesystem::path base_dir_;
  std::vector<const Graph*> scopes_;
  const Graph* current_ = nullptr;  // the graph whose node's attributes are being read
  std::set<std::string> node_names_;
};

}  // namespace

Graph parse_json_graph(std::string_view text, const std::string& file, const std::filesystem::path& base_dir) {
  const json doc = parse_json_text(file, text);
  const JsonLocations locations(file, text);
  GraphReader reader(locations, base_dir);
  Graph graph = reader.read_graph(doc, "");
  (void)graph.topological_order();  // reject cycles and dangling inputs at load time
  return graph;
}

Graph load_json_graph(const std::filesystem::path& path) {
  const std::string text = spec::read_json_file(path, "graph file", spec::max_json_graph_bytes);
  return parse_json_graph(text, path.string(), path.parent_path());
}

}  // namespace mlconv::converter
