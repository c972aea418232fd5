// Nested JSON arrays <-> tensors. The first element at each depth fixes the shape
// ([0], [0][0], ...); every other array must match it, so a ragged array is
// reported where it first differs from that template.
#include "executor/io/json_array.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "executor/io/file_bytes.h"
#include "spec/error.h"
#include "spec/json_limits.h"

namespace mlconv::exec::io {
namespace {

using nlohmann::json;

std::string type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::binary:
      return "binary data";
    default:
      return "a number";
  }
}

std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string shortest(float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

class Reader {
 public:
  Reader(std::string_view prefix, const Shape& shape, std::vector<float>& values)
      : prefix_(prefix), shape_(shape), values_(values) {}

  void walk(const json& node) {
    const std::size_t depth = index_.size();
    if (depth < shape_.size()) {
      const auto expected = static_cast<std::size_t>(shape_[depth]);
      if (!node.is_array()) {
        if (node.is_number()) fail(where() + " is a number; its siblings are arrays of " + elements(expected));
        fail(where() + " is " + type_name(node) + "; expected an array of " + elements(expected) +
             " like its siblings");
      }
      if (node.size() != expected)
        fail(where() + " has " + elements(node.size()) + "; its siblings have " + std::to_string(expected));
      index_.push_back(0);
      for (const json& child : node) {
        walk(child);
        ++index_.back();
      }
      index_.pop_back();
      return;
    }
    if (node.is_array()) fail(where() + " is an array; its siblings are numbers");
    if (!node.is_number()) fail(where() + " is " + type_name(node) + "; expected a number");
    float value = 0;
    if (node.is_number_unsigned()) {
      value = static_cast<float>(node.get<std::uint64_t>());
    } else if (node.is_number_integer()) {
      value = static_cast<float>(node.get<std::int64_t>());
    } else {
      const double wide = node.get<double>();
      if (!std::isfinite(wide)) fail(where() + " is not a finite number");
      value = static_cast<float>(wide);
      if (std::isinf(value)) fail(where() + " is " + shortest(wide) + ", outside float32's range");
    }
    values_.push_back(value);
  }

  [[nodiscard]] std::string where() const {
    if (prefix_.empty() && index_.empty()) return "the top-level value";
    std::string text(prefix_);
    // Appended piecewise: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "[" + to_string(i).
    for (std::size_t i : index_) {
      text += '[';
      text += std::to_string(i);
      text += ']';
    }
    return text;
  }

 private:
  static std::string elements(std::size_t n) { return std::to_string(n) + (n == 1 ? " element" : " elements"); }
  [[noreturn]] static void fail(const std::string& message) { throw Error(message); }

  std::string_view prefix_;
  const Shape& shape_;
  std::vector<float>& values_;
  std::vector<std::size_t> index_;
};

// The path of the first element `depth` arrays down: [0], [0][0], ...
std::string first_path(std::string_view prefix, std::size_t depth) {
  if (prefix.empty() && depth == 0) return "the top-level value";
  std::string text(prefix);
  for (std::size_t i = 0; i < depth; ++i) text += "[0]";
  return text;
}

void append_empty(std::string& out, const Shape& shape, std::size_t depth) {
  out += '[';
  if (shape[depth] > 0) {
    for (std::int64_t i = 0; i < shape[depth]; ++i) {
      if (i) out += ',';
      append_empty(out, shape, depth + 1);
    }
  }
  out += ']';
}

json number_value(float value) {
  if (!std::isfinite(value)) return nullptr;
  // The double whose shortest spelling is the float's, so dump() prints "0.1" for 0.1f.
  const std::string text = shortest(value);
  double wide = 0;
  std::from_chars(text.data(), text.data() + text.size(), wide);
  return wide;
}

json value_at(const Tensor& tensor, std::size_t depth, std::int64_t& next) {
  if (depth == tensor.shape().size()) return number_value(tensor.data()[next++]);
  json array = json::array();
  for (std::int64_t i = 0; i < tensor.shape()[depth]; ++i) array.push_back(value_at(tensor, depth + 1, next));
  return array;
}

}  // namespace

Tensor tensor_from_json(const json& value, std::string_view origin, std::string_view path,
                        const JsonReadOptions& options) {
  try {
    Shape shape;
    const json* node = &value;
    while (node->is_array()) {
      if (node->empty()) {
        throw Error(first_path(path, shape.size()) +
                    " is an empty array; a tensor needs at least one element along every axis");
      }
      if (static_cast<int>(shape.size()) == options.max_rank)
        throw Error(first_path(path, shape.size()) + " nests arrays deeper than the rank limit of " +
                    std::to_string(options.max_rank));
      shape.push_back(static_cast<std::int64_t>(node->size()));
      node = &node->front();
    }
    if (!node->is_number()) {
      throw Error(first_path(path, shape.size()) + " is " + type_name(*node) +
                  (shape.empty() ? "; expected a number or nested arrays of numbers" : "; expected a number"));
    }
    // Grows with the numbers actually present, never with a shape that the
    // first elements merely claim.
    std::vector<float> values;
    Reader(path, shape, values).walk(value);
    return Tensor(std::move(shape), std::move(values));
  } catch (Error& error) {
    throw error.in_file(std::string(origin));
  }
}

Tensor read_json_tensor(const std::filesystem::path& path, const JsonReadOptions& options) {
  const std::string origin = path.string();
  const std::string bytes = read_file_bytes(path, options.max_bytes, "a JSON array of numbers");
  spec::check_json_depth(bytes, origin);
  json value;
  try {
    value = json::parse(bytes);
  } catch (const json::exception& error) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line, column and reason.
    std::string reason = error.what();
    if (const std::size_t tag = reason.find("] "); reason.starts_with("[json.") && tag != std::string::npos)
      reason.erase(0, tag + 2);
    throw Error("not valid JSON: " + reason).in_file(origin);
  }
  return tensor_from_json(value, origin, {}, options);
}

std::string tensor_to_json(const Tensor& tensor) {
  const Shape& shape = tensor.shape();
  std::string out;
  auto number = [&out](float value) {
    if (std::isfinite(value)) {
      out += shortest(value);
    } else {
      out += "null";
    }
  };
  if (shape.empty()) {
    number(tensor.data()[0]);
    return out;
  }
  if (tensor.size() == 0) {
    append_empty(out, shape, 0);
    return out;
  }
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> index(rank, 0);
  out.append(rank, '[');
  for (std::int64_t i = 0; i < tensor.size(); ++i) {
    number(tensor.data()[i]);
    std::size_t closed = 0;
    for (std::size_t k = rank; k-- > 0;) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
      ++closed;
    }
    out.append(closed, ']');
    if (i + 1 < tensor.size()) {
      out += ',';
      out.append(closed, '[');
    }
  }
  return out;
}

json tensor_to_json_value(const Tensor& tensor) {
  std::int64_t next = 0;
  return value_at(tensor, 0, next);
}

}  // namespace mlconv::exec::io
