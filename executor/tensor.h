// The executor's one value type for arrays: a dense, row-major float32 tensor.
// Core ML's NeuralNetwork runtime computes in float; integer and double
// features are converted at the model's edges (see predictor.h), so kernels
// see only floats and never dispatch on an element type.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlconv::exec {

using Shape = std::vector<std::int64_t>;

// Product of the dimensions; throws mlconv::Error on a negative dimension or overflow.
std::int64_t element_count(std::span<const std::int64_t> shape);
// "[1, 3, 224, 224]"
std::string shape_to_string(std::span<const std::int64_t> shape);

// The most bytes all tensors together may hold (`mlconv run --max-memory`);
// 0, the default, means no limit. Sizes driven by data (reshape targets, range
// lengths, tile repeats, plugin output shapes) are checked against it before
// anything is allocated, so a hostile model fails with a message, not an OOM kill.
void set_tensor_memory_limit(std::uint64_t bytes);
[[nodiscard]] std::uint64_t tensor_memory_limit();
// Bytes every live tensor holds right now (spares kept for reuse included).
[[nodiscard]] std::uint64_t tensor_memory_in_use();
// "512 MiB", "4 GiB", "1000 bytes": a size for messages.
std::string byte_size_text(std::uint64_t bytes);

#if defined(__SANITIZE_ADDRESS__)
#define MLCONV_POISON_NEW_TENSORS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLCONV_POISON_NEW_TENSORS 1
#endif
#endif

// Growing a tensor leaves the new elements unset instead of zeroing them: every kernel
// writes all of its outputs, and zeroing a fresh output costs a pass over memory per
// layer. Builds with AddressSanitizer fill the new elements with NaN instead, so a kernel
// that reads what it never wrote shows up in the sanitized tests.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  template <typename U>
  void construct(U* slot) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(slot)) U;
#ifdef MLCONV_POISON_NEW_TENSORS
    if constexpr (std::is_floating_point_v<U>) *slot = std::numeric_limits<U>::quiet_NaN();
#endif
  }
  template <typename U, typename... Args>
  void construct(U* slot, Args&&... args) {
    ::new (static_cast<void*>(slot)) U(std::forward<Args>(args)...);
  }
};

using TensorStorage = std::vector<float, UninitializedAllocator<float>>;

class Tensor {
 public:
  Tensor() = default;
  Tensor(const Tensor& other);
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(const Tensor& other);
  Tensor& operator=(Tensor&& other) noexcept;
  ~Tensor();
  explicit Tensor(Shape shape);  // zero-filled
  Tensor(Shape shape, const std::vector<float>& values);  // values.size() must match the shape
  Tensor(Shape shape, TensorStorage values);
  Tensor(Shape shape, std::initializer_list<float> values);

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
  // Grows the storage to hold `count` elements (contents unspecified) after checking the memory limit.
  void reserve_checked(std::int64_t count, const Shape& shape);
  void account();

  Shape shape_;
  TensorStorage values_;
  std::uint64_t accounted_bytes_ = 0;  // what this tensor adds to tensor_memory_in_use()
};

}  // namespace mlconv::exec
