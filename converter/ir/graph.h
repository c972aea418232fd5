// The converter's graph IR: what every frontend (JSON graph, ONNX) fills and every
// pass and the exporter read. A Graph owns its Nodes and Values; a Value knows its
// producer and consumers, so passes can rewrite the graph without rescanning it.
// It follows ONNX's data model (op_type + domain, typed attributes, opset imports)
// because that is what the frontends deliver; nothing in it is Core ML specific.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "converter/ir/tensor_bytes.h"

namespace mlconv::converter {

enum class ElementType { undefined, float32, float16, float64, int8, uint8, int16, int32, int64, boolean, string };

// "float32", "float16", "int64", "bool", ...; the spelling of the JSON graph format.
std::string_view element_type_name(ElementType type);
std::optional<ElementType> element_type_from_name(std::string_view name);
// Bytes per element; 0 for string and undefined.
std::size_t element_size(ElementType type);

// One dimension: a known size or a symbol ("N", "batch") whose size is decided at run time.
struct Dim {
  std::optional<std::int64_t> size;
  std::optional<std::string> symbol;

  static Dim known(std::int64_t n) { return Dim{n, std::nullopt}; }
  static Dim symbolic(std::string name) { return Dim{std::nullopt, std::move(name)}; }
  [[nodiscard]] bool is_known() const { return size.has_value(); }
  bool operator==(const Dim&) const = default;
};
using Shape = std::vector<Dim>;

// An integer from a number, as constant folding and Cast see it: integers wrap (two's
// complement); reals truncate toward zero and saturate at the type's range, NaN giving 0.
// ONNX leaves out-of-range casts undefined; a hostile model must not make the converter
// itself undefined, which a plain static_cast of an unrepresentable real would.
template <typename Integer, typename Number>
Integer integer_from(Number v) {
  if constexpr (std::is_integral_v<Number>) {
    return static_cast<Integer>(v);
  } else {
    if (std::isnan(v)) return 0;
    const double above_max = std::ldexp(1.0, std::numeric_limits<Integer>::digits);
    if (v >= above_max) return std::numeric_limits<Integer>::max();
    if (v <= static_cast<double>(std::numeric_limits<Integer>::min())) return std::numeric_limits<Integer>::min();
    return static_cast<Integer>(v);
  }
}

// IEEE 754 binary32 to binary16, rounding to nearest even (overflow gives infinity).
std::uint16_t float_to_half(float value);

// "[1, 3, 'N', 256]".
std::string describe_shape(const Shape& shape);
// The sizes when every dimension is known.
std::optional<std::vector<std::int64_t>> known_sizes(const Shape& shape);

// The most elements of a constant the converter creates itself (folding, or the zeros and
// fills some mappings write): its shape comes from the model, so a hostile or mistaken
// one must fail instead of allocating gigabytes. 2^26 (256 MB as float32) is above any
// shape tensor and keeps a constant Transpose of real weights foldable.
inline constexpr std::int64_t max_generated_elements = std::int64_t{1} << 26;

// A constant tensor: little-endian row-major bytes plus element type and dims.
struct TensorData {
  ElementType type = ElementType::undefined;
  std::vector<std::int64_t> dims;  // empty = scalar
  TensorBytes bytes;

  [[nodiscard]] std::int64_t element_count() const;
  // Values converted to float / int64; throws mlconv::Error for strings or a byte count
  // that does not match dims (callers add the location).
  [[nodiscard]] std::vector<float> to_floats() const;
  [[nodiscard]] std::vector<std::int64_t> to_ints() const;

  bool operator==(const TensorData&) const = default;

  static TensorData from_floats(std::vector<std::int64_t> dims, const std::vector<float>& values);
  static TensorData from_ints(std::vector<std::int64_t> dims, const std::vector<std::int64_t>& values);
};

// Where a node, value or attribute came from, for messages: "model.json:42".
struct SourceLocation {
  std::string file;          // as given by the user
  std::string json_pointer;  // "/nodes/3"; empty for binary formats
  int line = 0;              // 1-based; 0 when unknown
  [[nodiscard]] std::string describe() const;  // "file:line", or "file" without a line
};

class Graph;

// A typed attribute value. The alternatives mirror ONNX's AttributeProto types.
class Attribute {
 public:
  enum class Kind { int_, float_, string, ints, floats, strings, tensor, graph };
  using Value = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>,
                             std::vector<std::string>, TensorData, std::shared_ptr<const Graph>>;

  Attribute() = default;
  explicit Attribute(Value value) : value_(std::move(value)) {}

  [[nodiscard]] Kind kind() const { return static_cast<Kind>(value_.index()); }
  [[nodiscard]] const Value& value() const { return value_; }
  // The getters throw mlconv::Error "attribute is <kind>, expected <kind>" on a mismatch.
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] double as_float() const;  // an int attribute is accepted too
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] const std::vector<std::int64_t>& as_ints() const;
  [[nodiscard]] std::vector<double> as_floats() const;  // ints are accepted too
  [[nodiscard]] const std::vector<std::string>& as_strings() const;
  [[nodiscard]] const TensorData& as_tensor() const;
  [[nodiscard]] const Graph& as_graph() const;

  // "3", "0.01", "'same'", "[1, 1]", "tensor float32 [6]".
  [[nodiscard]] std::string describe() const;

 private:
  Value value_;
};

// "int", "float", "string", "ints", "floats", "strings", "tensor", "graph".
std::string_view attribute_kind_name(Attribute::Kind kind);
std::optional<Attribute::Kind> attribute_kind_from_name(std::string_view name);

class Node;

struct Value {
  std::string name;
  ElementType type = ElementType::undefined;
  std::optional<Shape> shape;            // unknown rank when absent
  std::optional<TensorData> constant;    // initializers and folded constants
  Node* producer = nullptr;              // null for graph inputs and constants
  std::vector<Node*> consumers;          // one entry per input slot that reads this value
  SourceLocation location;               // where it was declared, if it was
};

class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  std::vector<Value*> inputs;   // null entries are omitted optional inputs
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attributes;  // ordered, so output is deterministic
  SourceLocation location;

  [[nodiscard]] const Attribute* find_attribute(std::string_view attribute_name) const;
  // "node 'conv1' (Conv)", the form every message uses.
  [[nodiscard]] std::string describe() const;
  // The value of input `index`, or null when absent or omitted.
  [[nodiscard]] Value* input(std::size_t index) const { return index < inputs.size() ? inputs[index] : nullptr; }
};

struct Metadata {
  std::string producer;
  std::string doc;
  std::string author;
  std::string license;
  std::string version;
  std::string short_description;
  std::map<std::string, std::string> user_defined;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;
  ~Graph() = default;

  std::string name;
  SourceLocation location;  // the file the graph came from
  std::map<std::string, std::int64_t> opset_imports;  // domain -> version; "" = ai.onnx
  Metadata metadata;

  // Adds a value; throws mlconv::Error when the name is taken.
  Value& add_value(std::string value_name, const SourceLocation& where = {});
  [[nodiscard]] Value* find_value(std::string_view value_name) const;
  // Adds a node reading `inputs` (null = omitted) and writing `outputs`; throws when an
  // output already has a producer or is a constant.
  Node& add_node(std::string node_name, std::string op_type, std::string domain, std::vector<Value*> inputs,
                 std::vector<Value*> outputs, const SourceLocation& where = {});
  // Removes a node and its edges; its outputs stay as values without a producer.
  void remove_node(Node& node);
  // Makes every reader of `from` (nodes and graph outputs) read `to` instead.
  void replace_all_uses(Value& from, Value& to);
  // A name not yet used by any value, made from `base` ("swish1/x", "swish1/x_1", ...).
  [[nodiscard]] std::string unique_value_name(std::string_view base) const;

  void add_input(Value& value) { inputs_.push_back(&value); }
  void add_output(Value& value) { outputs_.push_back(&value); }
  [[nodiscard]] const std::vector<Value*>& inputs() const { return inputs_; }
  [[nodiscard]] const std::vector<Value*>& outputs() const { return outputs_; }
  [[nodiscard]] bool is_output(const Value& value) const;

  // Values a subgraph (an If branch, a Loop body) reads from an enclosing graph. They are
  // declared in the subgraph with the outer value's name, type and shape, and nothing in
  // the subgraph produces them.
  void add_outer_reference(Value& value) { outer_references_.push_back(&value); }
  [[nodiscard]] const std::vector<Value*>& outer_references() const { return outer_references_; }

  // Nodes in insertion order.
  [[nodiscard]] std::vector<Node*> nodes() const;
  [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }
  // Values in insertion order.
  [[nodiscard]] std::vector<Value*> values() const;

  // Nodes so that every node follows the producers of its inputs; ties keep insertion
  // order, so the result is deterministic. Throws mlconv::Error naming the nodes of a
  // cycle, or a node reading a value nothing produces (not an input, constant or outer
  // reference).
  [[nodiscard]] std::vector<Node*> topological_order() const;

  // The opset version imported for `domain` ("" and "ai.onnx" are the same); 0 when none.
  [[nodiscard]] std::int64_t opset_version(std::string_view domain) const;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*, std::less<>> values_by_name_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Value*> outer_references_;
};

}  // namespace mlconv::converter
