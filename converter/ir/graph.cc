// The graph IR's bookkeeping: edges kept in both directions, typed attribute access
// with messages that say what was expected, and a deterministic topological order.
#include "converter/ir/graph.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>

#include "spec/error.h"
#include "spec/weights.h"

namespace mlconv::converter {
namespace {

struct ElementTypeInfo {
  ElementType type;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<ElementTypeInfo, 11> element_types = {{
    {ElementType::undefined, "undefined", 0},
    {ElementType::float32, "float32", 4},
    {ElementType::float16, "float16", 2},
    {ElementType::float64, "float64", 8},
    {ElementType::int8, "int8", 1},
    {ElementType::uint8, "uint8", 1},
    {ElementType::int16, "int16", 2},
    {ElementType::int32, "int32", 4},
    {ElementType::int64, "int64", 8},
    {ElementType::boolean, "bool", 1},
    {ElementType::string, "string", 0},
}};

const ElementTypeInfo& info(ElementType type) {
  for (const auto& entry : element_types) {
    if (entry.type == type) return entry;
  }
  return element_types[0];
}

constexpr std::array<std::string_view, 8> attribute_kind_names = {"int",    "float",   "string", "ints",
                                                                  "floats", "strings", "tensor", "graph"};

// Reads element `i` of little-endian `bytes` as T.
template <typename T>
T load(std::string_view bytes, std::size_t i) {
  static_assert(std::endian::native == std::endian::little, "tensor bytes are little-endian");
  T value;
  std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
  return value;
}

template <typename T>
std::string store(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

void check_byte_count(const TensorData& tensor) {
  const std::size_t size = element_size(tensor.type);
  if (size == 0) {
    throw Error("tensor of element type " + std::string(element_type_name(tensor.type)) +
                " has no numeric values");
  }
  const auto expected = static_cast<std::uint64_t>(tensor.element_count()) * size;
  if (tensor.bytes.size() != expected) {
    throw Error("tensor holds " + std::to_string(tensor.bytes.size()) + " bytes; its " +
                std::string(element_type_name(tensor.type)) + " shape needs " + std::to_string(expected));
  }
}

template <typename Out>
std::vector<Out> convert_elements(const TensorData& tensor) {
  check_byte_count(tensor);
  const auto count = static_cast<std::size_t>(tensor.element_count());
  if constexpr (std::is_same_v<Out, float>) {
    // Weights are float32 almost always: one block copy instead of a per-element switch.
    if (tensor.type == ElementType::float32) {
      std::vector<float> out(count);
      if (count != 0) std::memcpy(out.data(), tensor.bytes.data(), count * sizeof(float));
      return out;
    }
  }
  const auto element = [](auto v) -> Out {
    if constexpr (std::is_integral_v<Out>) return integer_from<Out>(v);
    else return static_cast<Out>(v);
  };
  std::vector<Out> out(count);
  const std::string_view b = tensor.bytes;
  for (std::size_t i = 0; i < count; ++i) {
    switch (tensor.type) {
      case ElementType::float32: out[i] = element(load<float>(b, i)); break;
      case ElementType::float16: out[i] = element(spec::half_to_float(load<std::uint16_t>(b, i))); break;
      case ElementType::float64: out[i] = element(load<double>(b, i)); break;
      case ElementType::int8: out[i] = element(load<std::int8_t>(b, i)); break;
      case ElementType::uint8: out[i] = element(load<std::uint8_t>(b, i)); break;
      case ElementType::int16: out[i] = element(load<std::int16_t>(b, i)); break;
      case ElementType::int32: out[i] = element(load<std::int32_t>(b, i)); break;
      case ElementType::int64: out[i] = element(load<std::int64_t>(b, i)); break;
      case ElementType::boolean: out[i] = element(load<std::uint8_t>(b, i) != 0); break;
      case ElementType::undefined:
      case ElementType::string: break;  // rejected by check_byte_count
    }
  }
  return out;
}

[[noreturn]] void wrong_kind(Attribute::Kind actual, std::string_view expected) {
  throw Error("attribute is " + std::string(attribute_kind_name(actual)) + ", expected " + std::string(expected));
}

template <typename T>
std::string join(const std::vector<T>& items) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < items.size(); ++i) out << (i ? ", " : "") << items[i];
  out << "]";
  return out.str();
}

}  // namespace

std::string_view element_type_name(ElementType type) { return info(type).name; }

std::optional<ElementType> element_type_from_name(std::string_view name) {
  for (const auto& entry : element_types) {
    if (entry.name == name && entry.type != ElementType::undefined) return entry.type;
  }
  return std::nullopt;
}

std::size_t element_size(ElementType type) { return info(type).size; }

std::uint16_t float_to_half(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000U);
  const std::uint32_t exponent = (bits >> 23) & 0xffU;
  std::uint32_t mantissa = bits & 0x7fffffU;
  if (exponent == 0xff) {  // inf or NaN; keep NaN a NaN
    return static_cast<std::uint16_t>(sign | 0x7c00U | (mantissa != 0 ? 0x200U : 0U));
  }
  const int half_exponent = static_cast<int>(exponent) - 127 + 15;
  if (half_exponent >= 0x1f) return static_cast<std::uint16_t>(sign | 0x7c00U);
  if (half_exponent <= 0) {
    // Subnormal half (or zero): shift the full mantissa (with its implicit 1) into place.
    if (half_exponent < -10) return sign;
    mantissa |= 0x800000U;
    const int shift = 14 - half_exponent;
    std::uint32_t half_mantissa = mantissa >> shift;
    const std::uint32_t remainder = mantissa & ((1U << shift) - 1U);
    const std::uint32_t halfway = 1U << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half_mantissa & 1U))) ++half_mantissa;
    return static_cast<std::uint16_t>(sign | half_mantissa);
  }
  std::uint32_t half = (static_cast<std::uint32_t>(half_exponent) << 10) | (mantissa >> 13);
  const std::uint32_t remainder = mantissa & 0x1fffU;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (remainder > 0x1000U || (remainder == 0x1000U && (half & 1U))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

std::string describe_shape(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += shape[i].size ? std::to_string(*shape[i].size) : "'" + shape[i].symbol.value_or("?") + "'";
  }
  return out + "]";
}

std::optional<std::vector<std::int64_t>> known_sizes(const Shape& shape) {
  std::vector<std::int64_t> sizes;
  for (const Dim& dim : shape) {
    if (!dim.size) return std::nullopt;
    sizes.push_back(*dim.size);
  }
  return sizes;
}

std::int64_t TensorData::element_count() const {
  // Saturates: dims inferred from a hostile model can multiply past 64 bits, and callers
  // compare the count against a limit.
  std::int64_t count = 1;
  for (const std::int64_t d : dims) {
    if (__builtin_mul_overflow(count, d, &count)) return std::numeric_limits<std::int64_t>::max();
  }
  return count;
}

std::vector<float> TensorData::to_floats() const { return convert_elements<float>(*this); }
std::vector<std::int64_t> TensorData::to_ints() const { return convert_elements<std::int64_t>(*this); }

TensorData TensorData::from_floats(std::vector<std::int64_t> dims, const std::vector<float>& values) {
  return TensorData{ElementType::float32, std::move(dims), store(values)};
}

TensorData TensorData::from_ints(std::vector<std::int64_t> dims, const std::vector<std::int64_t>& values) {
  return TensorData{ElementType::int64, std::move(dims), store(values)};
}

std::string SourceLocation::describe() const {
  if (line > 0) return file + ":" + std::to_string(line);
  return file;
}

std::string_view attribute_kind_name(Attribute::Kind kind) {
  return attribute_kind_names[static_cast<std::size_t>(kind)];
}

std::optional<Attribute::Kind> attribute_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < attribute_kind_names.size(); ++i) {
    if (attribute_kind_names[i] == name) return static_cast<Attribute::Kind>(i);
  }
  return std::nullopt;
}

std::int64_t Attribute::as_int() const {
  if (const auto* v = std::get_if<std::int64_t>(&value_)) return *v;
  wrong_kind(kind(), "int");
}

double Attribute::as_float() const {
  if (const auto* v = std::get_if<double>(&value_)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&value_)) return static_cast<double>(*v);
  wrong_kind(kind(), "float");
}

const std::string& Attribute::as_string() const {
  if (const auto* v = std::get_if<std::string>(&value_)) return *v;
  wrong_kind(kind(), "string");
}

const std::vector<std::int64_t>& Attribute::as_ints() const {
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value_)) return *v;
  wrong_kind(kind(), "ints");
}

std::vector<double> Attribute::as_floats() const {
  if (const auto* v = std::get_if<std::vector<double>>(&value_)) return *v;
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value_)) return {v->begin(), v->end()};
  wrong_kind(kind(), "floats");
}

const std::vector<std::string>& Attribute::as_strings() const {
  if (const auto* v = std::get_if<std::vector<std::string>>(&value_)) return *v;
  wrong_kind(kind(), "strings");
}

const TensorData& Attribute::as_tensor() const {
  if (const auto* v = std::get_if<TensorData>(&value_)) return *v;
  wrong_kind(kind(), "tensor");
}

const Graph& Attribute::as_graph() const {
  if (const auto* v = std::get_if<std::shared_ptr<const Graph>>(&value_); v != nullptr && *v) return **v;
  wrong_kind(kind(), "graph");
}

std::string Attribute::describe() const {
  switch (kind()) {
    case Kind::int_: return std::to_string(as_int());
    case Kind::float_: {
      std::ostringstream out;
      out << as_float();
      return out.str();
    }
    case Kind::string: return "'" + as_string() + "'";
    case Kind::ints: return join(as_ints());
    case Kind::floats: return join(as_floats());
    case Kind::strings: return join(as_strings());
    case Kind::tensor: {
      const TensorData& t = as_tensor();
      return "tensor " + std::string(element_type_name(t.type)) + " " + join(t.dims);
    }
    case Kind::graph: return "graph '" + as_graph().name + "'";
  }
  return "?";
}

const Attribute* Node::find_attribute(std::string_view attribute_name) const {
  const auto it = attributes.find(std::string(attribute_name));
  return it == attributes.end() ? nullptr : &it->second;
}

std::string Node::describe() const { return describe_named("node", name, op_type); }

Value& Graph::add_value(std::string value_name, const SourceLocation& where) {
  if (values_by_name_.contains(value_name)) {
    throw Error("value '" + value_name + "' is declared twice").in_file(where.describe());
  }
  auto value = std::make_unique<Value>();
  value->name = std::move(value_name);
  value->location = where;
  Value& ref = *value;
  values_by_name_.emplace(ref.name, &ref);
  values_.push_back(std::move(value));
  return ref;
}

Value* Graph::find_value(std::string_view value_name) const {
  const auto it = values_by_name_.find(value_name);
  return it == values_by_name_.end() ? nullptr : it->second;
}

Node& Graph::add_node(std::string node_name, std::string op_type, std::string domain, std::vector<Value*> inputs,
                      std::vector<Value*> outputs, const SourceLocation& where) {
  auto node = std::make_unique<Node>();
  node->name = std::move(node_name);
  node->op_type = std::move(op_type);
  node->domain = std::move(domain);
  node->location = where;
  for (Value* output : outputs) {
    if (output->producer != nullptr) {
      throw Error("output '" + output->name + "' is already produced by " + output->producer->describe())
          .within(node->describe())
          .in_file(where.describe());
    }
    if (output->constant) {
      throw Error("output '" + output->name + "' is a constant (initializer)")
          .within(node->describe())
          .in_file(where.describe());
    }
  }
  for (Value* input : inputs) {
    if (input != nullptr) input->consumers.push_back(node.get());
  }
  for (Value* output : outputs) output->producer = node.get();
  node->inputs = std::move(inputs);
  node->outputs = std::move(outputs);
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

void Graph::remove_node(Node& node) {
  for (Value* input : node.inputs) {
    if (input == nullptr) continue;
    auto& readers = input->consumers;
    const auto it = std::find(readers.begin(), readers.end(), &node);
    if (it != readers.end()) readers.erase(it);
  }
  for (Value* output : node.outputs) {
    if (output->producer == &node) output->producer = nullptr;
  }
  std::erase_if(nodes_, [&](const std::unique_ptr<Node>& owned) { return owned.get() == &node; });
}

void Graph::replace_all_uses(Value& from, Value& to) {
  for (Node* reader : from.consumers) {
    std::replace(reader->inputs.begin(), reader->inputs.end(), &from, &to);
    to.consumers.push_back(reader);
  }
  from.consumers.clear();
  std::replace(outputs_.begin(), outputs_.end(), &from, &to);
}

std::string Graph::unique_value_name(std::string_view base) const {
  std::string candidate(base);
  for (int suffix = 1; values_by_name_.contains(candidate); ++suffix) {
    candidate = std::string(base) + "_" + std::to_string(suffix);
  }
  return candidate;
}

bool Graph::is_output(const Value& value) const {
  return std::find(outputs_.begin(), outputs_.end(), &value) != outputs_.end();
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& node : nodes_) out.push_back(node.get());
  return out;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value.get());
  return out;
}

std::vector<Node*> Graph::topological_order() const {
  // Kahn's algorithm, always taking the earliest-inserted ready node, so the order
  // is stable for identical input and a graph already in order stays unchanged.
  std::map<const Node*, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  std::vector<std::size_t> pending(nodes_.size(), 0);
  std::set<std::size_t> ready;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = *nodes_[i];
    for (const Value* input : node.inputs) {
      if (input == nullptr) continue;
      if (input->producer == nullptr && !input->constant &&
          std::find(inputs_.begin(), inputs_.end(), input) == inputs_.end() &&
          std::find(outer_references_.begin(), outer_references_.end(), input) == outer_references_.end()) {
        throw Error("input '" + input->name + "' is not produced by any node, and is neither a graph input nor an "
                    "initializer")
            .within(node.describe())
            .in_file(node.location.describe());
      }
      if (input->producer != nullptr) ++pending[i];
    }
    if (pending[i] == 0) ready.insert(i);
  }
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  std::vector<bool> placed(nodes_.size(), false);
  while (!ready.empty()) {
    const std::size_t i = *ready.begin();
    ready.erase(ready.begin());
    placed[i] = true;
    order.push_back(nodes_[i].get());
    for (const Value* output : nodes_[i]->outputs) {
      for (const Node* reader : output->consumers) {
        const std::size_t r = index.at(reader);
        if (--pending[r] == 0) ready.insert(r);
      }
    }
  }
  if (order.size() < nodes_.size()) {
    std::string names;
    const Node* first = nullptr;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (placed[i]) continue;
      if (first == nullptr) first = nodes_[i].get();
      names += (names.empty() ? "" : ", ") + describe_named("", nodes_[i]->name, nodes_[i]->op_type).substr(1);
    }
    throw Error("the graph has a cycle; these nodes wait on each other: " + names).in_file(first->location.describe());
  }
  return order;
}

std::int64_t Graph::opset_version(std::string_view domain) const {
  const std::string key = domain == "ai.onnx" ? "" : std::string(domain);
  for (const auto& [imported, version] : opset_imports) {
    if (imported == key || (key.empty() && imported == "ai.onnx")) return version;
  }
  return 0;
}

}  // namespace mlconv::converter
