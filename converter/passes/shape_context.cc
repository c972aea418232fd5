// ShapeContext: what a shape rule reads of its node (input shapes, types, constant
// inputs, attributes) and where it records the outputs; errors name the node.
#include "converter/passes/pass.h"
#include "converter/passes/shape_rules.h"

namespace mlconv::converter {

const Shape* ShapeContext::shape(std::size_t i) const {
  const Value* v = node_.input(i);
  return v != nullptr && v->shape ? &*v->shape : nullptr;
}

ElementType ShapeContext::type(std::size_t i) const {
  const Value* v = node_.input(i);
  return v != nullptr ? v->type : ElementType::undefined;
}

std::optional<std::vector<std::int64_t>> ShapeContext::ints(std::size_t i) const {
  const Value* v = node_.input(i);
  if (v == nullptr || !v->constant) return std::nullopt;
  try {
    return v->constant->to_ints();
  } catch (const Error& e) {
    fail("input " + std::to_string(i) + " '" + v->name + "': " + e.message());
  }
}

std::int64_t ShapeContext::attr_int(std::string_view name, std::int64_t fallback) const {
  const Attribute* a = node_.find_attribute(name);
  try {
    return a ? a->as_int() : fallback;
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::vector<std::int64_t> ShapeContext::attr_ints(std::string_view name, std::vector<std::int64_t> fallback) const {
  const Attribute* a = node_.find_attribute(name);
  try {
    return a ? a->as_ints() : fallback;
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::string ShapeContext::attr_string(std::string_view name, std::string fallback) const {
  const Attribute* a = node_.find_attribute(name);
  try {
    return a ? a->as_string() : fallback;
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::size_t ShapeContext::axis(std::int64_t value, std::size_t rank, std::string_view what) const {
  const auto r = static_cast<std::int64_t>(rank);
  if (value < -r || value >= r) {
    fail(std::string(what) + " " + std::to_string(value) + " is outside [" + std::to_string(-r) + ", " + std::to_string(r) + ") for rank " +
         std::to_string(rank));
  }
  return static_cast<std::size_t>(value < 0 ? value + r : value);
}

void ShapeContext::set(std::size_t output, ElementType type, Shape shape) {
  if (output >= outputs.size()) return;
  outputs[output] = InferredOutput{type, std::move(shape)};
}

void ShapeContext::fail(const std::string& message) const { fail_at(node_, message); }

std::optional<ElementType> element_type_of_onnx(std::int64_t data_type) {
  static const std::pair<std::int64_t, ElementType> types[] = {
      {1, ElementType::float32}, {2, ElementType::uint8},   {3, ElementType::int8},   {5, ElementType::int16},
      {6, ElementType::int32},   {7, ElementType::int64},   {9, ElementType::boolean}, {10, ElementType::float16},
      {11, ElementType::float64}, {8, ElementType::string},
  };
  for (const auto& [number, type] : types) {
    if (number == data_type) return type;
  }
  return std::nullopt;
}

}  // namespace mlconv::converter
