// The bytes of a constant tensor. Most constants own their bytes; the large weights of an
// external data file are instead a read-only view into a file mapping, kept alive by a
// shared owner. A 400 MB model's weights then reach the output message with a single copy
// (mapping -> protobuf field) instead of two (file -> heap -> protobuf field), and the
// kernel reads them from its page cache without first zero-filling fresh heap pages.
//
// The interface is the part of std::string the converter uses. Reading never copies;
// anything that writes (a mutable data(), resize, append) first turns a view into owned
// bytes, so code that builds constants needs no special case.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mlconv::converter {

class TensorBytes {
 public:
  TensorBytes() = default;
  // Implicit, so `tensor.bytes = some_string` and aggregate initialisers keep working.
  TensorBytes(std::string owned) : owned_(std::move(owned)) {}  // NOLINT(google-explicit-constructor)

  // A view of `size` bytes at `data`, valid as long as `keeper` lives.
  static TensorBytes view(std::shared_ptr<const void> keeper, const char* data, std::size_t size);

  [[nodiscard]] const char* data() const { return keeper_ ? view_data_ : owned_.data(); }
  [[nodiscard]] char* data() {
    own();
    return owned_.data();
  }
  [[nodiscard]] std::size_t size() const { return keeper_ ? view_size_ : owned_.size(); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] bool is_view() const { return keeper_ != nullptr; }
  // What keeps a view's bytes alive (null when owned): holding it keeps data() valid
  // after this TensorBytes is released.
  [[nodiscard]] const std::shared_ptr<const void>& keeper() const { return keeper_; }
  [[nodiscard]] std::string_view str() const { return {data(), size()}; }
  operator std::string_view() const { return str(); }  // NOLINT(google-explicit-constructor)

  void resize(std::size_t size) {
    own();
    owned_.resize(size);
  }
  void reserve(std::size_t size) {
    own();
    owned_.reserve(size);
  }
  TensorBytes& append(std::string_view more) {
    own();
    owned_.append(more);
    return *this;
  }
  TensorBytes& operator+=(std::string_view more) { return append(more); }

  // The bytes as a string, moved out when owned (copied from a view); leaves this empty.
  [[nodiscard]] std::string take() && {
    own();
    std::string out = std::move(owned_);
    release();
    return out;
  }

  // Gives the memory back (a view drops its share of the mapping); the size becomes 0.
  void release() {
    std::string().swap(owned_);
    keeper_.reset();
    view_data_ = nullptr;
    view_size_ = 0;
  }

  friend bool operator==(const TensorBytes& a, const TensorBytes& b) { return a.str() == b.str(); }

 private:
  void own() {
    if (!keeper_) return;
    owned_.assign(view_data_, view_size_);
    keeper_.reset();
    view_data_ = nullptr;
    view_size_ = 0;
  }

  std::string owned_;
  std::shared_ptr<const void> keeper_;
  const char* view_data_ = nullptr;
  std::size_t view_size_ = 0;
};

inline TensorBytes TensorBytes::view(std::shared_ptr<const void> keeper, const char* data, std::size_t size) {
  TensorBytes out;
  out.keeper_ = std::move(keeper);
  out.view_data_ = data;
  out.view_size_ = size;
  return out;
}

}  // namespace mlconv::converter
