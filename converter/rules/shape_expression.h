// Output-shape expressions of custom layer rules: integer arithmetic over input
// dimensions and parameters, e.g. "x[0]", "k", "x[2] * 2", "(x[-1] + 1) / 2".
// Division is integer division rounding down.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mlconv::converter {

struct ShapeScope {
  // Dimension `index` (negative counts from the end) of the input called `input`.
  std::function<std::int64_t(const std::string& input, std::int64_t index)> dim;
  // The integer value of parameter `name`.
  std::function<std::int64_t(const std::string& name)> parameter;
};

// Throws mlconv::Error (without a location) describing the first problem.
std::int64_t evaluate_shape_expression(std::string_view expression, const ShapeScope& scope);
// Checks the syntax only.
void check_shape_expression(std::string_view expression);

}  // namespace mlconv::converter
