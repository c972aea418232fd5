// Products C = A * B where A is a constant matrix (layer weights) packed once,
// at load, into the panel layout Eigen's GEMM kernel (GEBP) reads. Eigen's
// own products repack both operands on every call; for a convolution that
// repacked the whole weight matrix for each column tile, about 9% of
// MobileNet's time. Only B, the activations, is packed per call here.
#pragma once

#include <cstdint>
#include <memory>
#include <new>

namespace mlconv::exec {

class ActivationFunction;

// Float storage on 64-byte (cache-line and widest-vector) boundaries, so a packed
// matrix's panels do not start mid-line.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(std::int64_t count);
  [[nodiscard]] float* data() { return data_.get(); }
  [[nodiscard]] const float* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<float[], Free> data_;
};

class PackedMatrix {
 public:
  PackedMatrix() = default;
  // a is [rows, depth], row-major with row stride lda.
  PackedMatrix(const float* a, std::int64_t rows, std::int64_t depth, std::int64_t lda);

  // A matrix of this shape with its values still to be written through values(): packing
  // only moves values, so elementwise sums of packed matrices of one shape are packed sums.
  PackedMatrix(std::int64_t rows, std::int64_t depth);

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t depth() const { return depth_; }
  // Row ranges given to multiply_packed start at a multiple of this and end
  // at one too, or at rows(): the kernel reads whole panels of this many rows.
  [[nodiscard]] static std::int64_t row_alignment();
  // The rows * depth values in packed order.
  [[nodiscard]] float* values() { return data_.data(); }
  [[nodiscard]] const float* values() const { return data_.data(); }
  // Writes the plain [rows, depth] row-major matrix back out.
  void unpack(float* a) const;

 private:
  friend void multiply_packed(const PackedMatrix&, std::int64_t, std::int64_t, const float*, std::int64_t, std::int64_t,
                              const float*, const ActivationFunction*, float*, std::int64_t);
  // Depth is cut into blocks of at most this many, each packed on its own, so a
  // block of B and its panel of A stay in cache (blocks of 256-320; see packed_gemm.cc).
  [[nodiscard]] std::int64_t depth_block() const;

  AlignedFloats data_;
  std::int64_t rows_ = 0;
  std::int64_t depth_ = 0;
};

// c[r, j] = activation(bias[r] + sum_k a[r, k] * b[k, j]) for rows r in [row_begin, row_end)
// (aligned as PackedMatrix::row_alignment says) and j < columns. b is [depth, columns]
// with row stride ldb; bias (null: zeros) holds row_end - row_begin values; activation
// may be null; row r of c starts at c + (r - row_begin) * ldc.
void multiply_packed(const PackedMatrix& a, std::int64_t row_begin, std::int64_t row_end, const float* b, std::int64_t ldb,
                     std::int64_t columns, const float* bias, const ActivationFunction* activation, float* c,
                     std::int64_t ldc);

}  // namespace mlconv::exec
