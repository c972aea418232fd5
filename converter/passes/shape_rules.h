// Per-op shape rules for the "infer-shapes" pass: what a node's outputs look like
// given its inputs' shapes, element types and constant inputs. One table keyed by
// op type (shape_rules.cc); ops it does not list keep whatever the frontend said.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "converter/ir/graph.h"

namespace mlconv::converter {

struct InferredOutput {
  ElementType type = ElementType::undefined;
  std::optional<Shape> shape;
};

class ShapeContext {
 public:
  explicit ShapeContext(const Node& node) : node_(node), outputs(node.outputs.size()) {}

  [[nodiscard]] const Node& node() const { return node_; }
  [[nodiscard]] std::size_t input_count() const { return node_.inputs.size(); }
  // The shape of input `i`, or null when the input is absent or its rank unknown.
  [[nodiscard]] const Shape* shape(std::size_t i) const;
  [[nodiscard]] ElementType type(std::size_t i) const;
  // A constant input's values as integers; nullopt when absent or computed at run time.
  [[nodiscard]] std::optional<std::vector<std::int64_t>> ints(std::size_t i) const;
  [[nodiscard]] std::int64_t attr_int(std::string_view name, std::int64_t fallback) const;
  [[nodiscard]] std::vector<std::int64_t> attr_ints(std::string_view name, std::vector<std::int64_t> fallback) const;
  [[nodiscard]] std::string attr_string(std::string_view name, std::string fallback) const;
  // `axis` in [-rank, rank) made non-negative; fails naming `what` otherwise.
  [[nodiscard]] std::size_t axis(std::int64_t value, std::size_t rank, std::string_view what) const;

  void set(std::size_t output, ElementType type, Shape shape);
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const Node& node_;

 public:
  std::vector<InferredOutput> outputs;
};

struct ShapeRule {
  std::string_view op_type;
  void (*infer)(ShapeContext& context);
};

// The rule for a node of the default domain, or null.
const ShapeRule* find_shape_rule(const Node& node);

// Numpy broadcasting of two shapes; fails through `context` when known sizes clash.
Shape broadcast_shapes(const ShapeContext& context, const Shape& a, const Shape& b);
// The IR element type of an ONNX TensorProto data type number (Cast's 'to').
std::optional<ElementType> element_type_of_onnx(std::int64_t data_type);

}  // namespace mlconv::converter
