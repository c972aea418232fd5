#include "executor/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <utility>

#include "spec/error.h"

namespace mlconv::exec {

namespace {

std::atomic<std::uint64_t> memory_limit{0};
std::atomic<std::uint64_t> memory_in_use{0};

}  // namespace

void set_tensor_memory_limit(std::uint64_t bytes) { memory_limit.store(bytes); }
std::uint64_t tensor_memory_limit() { return memory_limit.load(); }
std::uint64_t tensor_memory_in_use() { return memory_in_use.load(); }

std::string byte_size_text(std::uint64_t bytes) {
  static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value == static_cast<double>(static_cast<std::uint64_t>(value)) ? "%.0f %s" : "%.1f %s",
                value, units[unit]);
  return text;
}

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

Tensor::Tensor(Shape shape) {
  assign(std::move(shape), 0.0f);
}

Tensor::Tensor(Shape shape, const std::vector<float>& values)
    : Tensor(std::move(shape), TensorStorage(values.begin(), values.end())) {}

Tensor::Tensor(Shape shape, std::initializer_list<float> values)
    : Tensor(std::move(shape), TensorStorage(values.begin(), values.end())) {}

Tensor::Tensor(Shape shape, TensorStorage values) : shape_(std::move(shape)), values_(std::move(values)) {
  if (static_cast<std::int64_t>(values_.size()) != element_count(shape_))
    throw Error(std::to_string(values_.size()) + " values do not fill shape " + shape_to_string(shape_));
  account();
}

Tensor::Tensor(const Tensor& other) : shape_(other.shape_) {
  reserve_checked(other.size(), other.shape_);
  values_.assign(other.values_.begin(), other.values_.end());
  account();
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)),
      values_(std::move(other.values_)),
      accounted_bytes_(std::exchange(other.accounted_bytes_, 0)) {}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  reserve_checked(other.size(), other.shape_);
  values_.assign(other.values_.begin(), other.values_.end());
  shape_ = other.shape_;
  account();
  return *this;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  memory_in_use.fetch_sub(accounted_bytes_);
  shape_ = std::move(other.shape_);
  values_ = std::move(other.values_);
  accounted_bytes_ = std::exchange(other.accounted_bytes_, 0);
  return *this;
}

Tensor::~Tensor() { memory_in_use.fetch_sub(accounted_bytes_); }

void Tensor::account() {
  const std::uint64_t bytes = values_.capacity() * sizeof(float);
  memory_in_use.fetch_add(bytes);
  memory_in_use.fetch_sub(accounted_bytes_);
  accounted_bytes_ = bytes;
}

void Tensor::reserve_checked(std::int64_t count, const Shape& shape) {
  const auto wanted = static_cast<std::uint64_t>(count);
  if (wanted <= values_.capacity()) return;
  const std::uint64_t limit = memory_limit.load();
  const std::uint64_t others = memory_in_use.load() - accounted_bytes_;
  // element_count() kept the count below 2^63, so the byte count saturates only past 2^62 elements.
  const std::uint64_t bytes = wanted > std::numeric_limits<std::uint64_t>::max() / sizeof(float)
                                  ? std::numeric_limits<std::uint64_t>::max()
                                  : wanted * sizeof(float);
  if (limit != 0 && bytes > limit - std::min(limit, others)) {
    throw Error("a tensor of shape " + shape_to_string(shape) + " needs " + byte_size_text(bytes) +
                (others > 0 ? " with " + byte_size_text(others) + " already held by other tensors" : std::string()) +
                ", more than the memory limit of " + byte_size_text(limit) +
                " (mlconv run --max-memory raises it)");
  }
  // Replace rather than grow: old values are not needed, and growing could double the request.
  values_ = TensorStorage();
  account();
  values_.reserve(static_cast<std::size_t>(wanted));
  account();
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
  const std::int64_t count = element_count(shape);
  reserve_checked(count, shape);
  values_.resize(static_cast<std::size_t>(count));
  shape_ = std::move(shape);
}

void Tensor::assign(Shape shape, float value) {
  const std::int64_t count = element_count(shape);
  reserve_checked(count, shape);
  values_.assign(static_cast<std::size_t>(count), value);
  shape_ = std::move(shape);
}

}  // namespace mlconv::exec
