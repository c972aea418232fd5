#include "executor/tensor.h"

#include <limits>

#include "spec/error.h"

namespace mlconv::exec {

std::int64_t element_count(std::span<const std::int64_t> shape) {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0) throw Error("negative dimension in shape " + shape_to_string(shape));
    if (dim != 0 && count > std::numeric_limits<std::int64_t>::max() / dim)
      throw Error("shape " + shape_to_string(shape) + " has more elements than fit in 64 bits");
    count *= dim;
  }
  return count;
}

std::string shape_to_string(std::span<const std::int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

Tensor::Tensor(Shape shape) : shape_(std::move(shape)), values_(static_cast<std::size_t>(element_count(shape_)), 0.0f) {}

Tensor::Tensor(Shape shape, std::vector<float> values) : shape_(std::move(shape)), values_(std::move(values)) {
  if (static_cast<std::int64_t>(values_.size()) != element_count(shape_))
    throw Error(std::to_string(values_.size()) + " values do not fill shape " + shape_to_string(shape_));
}

std::int64_t Tensor::dim(int axis) const {
  int resolved = axis < 0 ? axis + rank() : axis;
  if (resolved < 0 || resolved >= rank())
    throw Error("axis " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(rank()) + " tensor");
  return shape_[static_cast<std::size_t>(resolved)];
}

void Tensor::reshape(Shape shape) {
  if (element_count(shape) != size())
    throw Error("cannot reshape " + shape_to_string(shape_) + " to " + shape_to_string(shape) +
                ": element counts differ");
  shape_ = std::move(shape);
}

void Tensor::resize(Shape shape) {
  values_.resize(static_cast<std::size_t>(element_count(shape)));
  shape_ = std::move(shape);
}

void Tensor::assign(Shape shape, float value) {
  values_.assign(static_cast<std::size_t>(element_count(shape)), value);
  shape_ = std::move(shape);
}

}  // namespace mlconv::exec
