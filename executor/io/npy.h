// NumPy .npy files for `mlconv run`: arrays in, results out. Reading treats the
// file as hostile (every length is checked against the bytes present before
// anything is allocated); writing goes through a temporary file and a rename.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "executor/tensor.h"

namespace mlconv::exec::io {

// The element types read: IEEE floats, signed and unsigned integers, booleans.
enum class NpyType { f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1 };

struct NpyArray {
  std::string origin;  // the file name used in messages
  Shape shape;         // empty for a 0-d array
  std::string dtype;   // the header's descr as written: "<f4", ">i8", "|b1"
  NpyType type = NpyType::f4;
  int item_size = 4;
  // The elements in C (row-major) order and the host's byte order, whatever
  // order and endianness the file had; item_size bytes each.
  std::vector<unsigned char> data;

  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(data.size()) / item_size; }
  // Element i as a double (exact for every type but 64-bit integers beyond 2^53).
  [[nodiscard]] double value(std::int64_t i) const;
  // float32, as the executor computes. Integers beyond 2^24 round to the nearest
  // float; a finite double outside float32's range is refused, naming the element.
  [[nodiscard]] Tensor to_tensor() const;
  [[nodiscard]] std::vector<double> to_doubles() const;
};

struct NpyReadOptions {
  std::uint64_t max_bytes = std::uint64_t{1} << 34;  // whole file
  std::uint32_t max_header_bytes = 1 << 20;          // NumPy itself stops at 10000 by default
};

// Reads format versions 1.0, 2.0 and 3.0, C or Fortran order, either byte order.
// Throws mlconv::Error naming the file and what is wrong with it.
NpyArray read_npy(const std::filesystem::path& path, const NpyReadOptions& options = {});
NpyArray parse_npy(std::string_view bytes, std::string origin, const NpyReadOptions& options = {});

// Writers (format 1.0, C order, little-endian, as numpy.save writes them):
// a Tensor as <f4, doubles as <f8, 64-bit integers as <i8. `values` must fill `shape`.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);
void write_npy(const std::filesystem::path& path, const Shape& shape, std::span<const double> values);
void write_npy(const std::filesystem::path& path, const Shape& shape, std::span<const std::int64_t> values);
// The bytes those writers put in the file.
std::string encode_npy(const Tensor& tensor);
std::string encode_npy(const Shape& shape, std::span<const double> values);
std::string encode_npy(const Shape& shape, std::span<const std::int64_t> values);

}  // namespace mlconv::exec::io
