// The executor's one value type for arrays: a dense, row-major float32 tensor.
// Core ML's NeuralNetwork runtime computes in float; integer and double
// features are converted at the model's edges (see predictor.h), so kernels
// see only floats and never dispatch on an element type.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mlconv::exec {

using Shape = std::vector<std::int64_t>;

// Product of the dimensions; throws mlconv::Error on a negative dimension or overflow.
std::int64_t element_count(std::span<const std::int64_t> shape);
// "[1, 3, 224, 224]"
std::string shape_to_string(std::span<const std::int64_t> shape);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape);  // zero-filled
  Tensor(Shape shape, std::vector<float> values);  // values.size() must match the shape

  [[nodiscard]] const Shape& shape() const { return shape_; }
  [[nodiscard]] int rank() const { return static_cast<int>(shape_.size()); }
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(values_.size()); }
  // Dimension by axis; a negative axis counts from the end, as in the spec's ND layers.
  [[nodiscard]] std::int64_t dim(int axis) const;

  [[nodiscard]] float* data() { return values_.data(); }
  [[nodiscard]] const float* data() const { return values_.data(); }
  [[nodiscard]] std::span<float> values() { return values_; }
  [[nodiscard]] std::span<const float> values() const { return values_; }
  [[nodiscard]] std::size_t capacity() const { return values_.capacity(); }

  // Gives the tensor a new shape with the same element count, keeping the values.
  void reshape(Shape shape);
  // Gives the tensor a new shape; values are unspecified (storage is reused when large enough).
  void resize(Shape shape);
  // Gives the tensor a new shape, every element set to `value`.
  void assign(Shape shape, float value);

 private:
  Shape shape_;
  std::vector<float> values_;
};

}  // namespace mlconv::exec
