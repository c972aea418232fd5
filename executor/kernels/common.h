// Small shape helpers every kernel family needs: axes counted from the end,
// NumPy broadcasting, row-major strides, and the [batch, C, H, W] view that
// classic layers take of a blob.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "executor/tensor.h"
#include "google/protobuf/repeated_field.h"

namespace mlconv::exec {

// Resolves a possibly negative axis against a rank; throws naming the axis and rank.
int normalize_axis(std::int64_t axis, int rank);

// A repeated uint64 [H, W] field of a classic layer (kernelSize, stride, dilation):
// `fallback` for both when empty, else exactly two values in 1..2^30; throws naming the field.
std::array<std::int64_t, 2> hw_pair_field(const google::protobuf::RepeatedField<std::uint64_t>& field,
                                          std::int64_t fallback, const char* name);

// NumPy broadcasting of two shapes; throws naming both shapes when they do not broadcast.
Shape broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b);

// Row-major strides (in elements) of a shape.
std::vector<std::int64_t> strides_of(std::span<const std::int64_t> shape);

// Strides for reading `shape` as if broadcast to `target` (rank(target) >= rank(shape)):
// 0 on broadcast axes, aligned to the right.
std::vector<std::int64_t> broadcast_strides(std::span<const std::int64_t> shape, std::span<const std::int64_t> target);

// A classic (spec 1-3) layer sees a blob as [batch, C, H, W]: the last three
// axes are C, H, W (missing ones count as 1) and every axis before them is batch.
struct ChwView {
  std::int64_t batch = 1;
  std::int64_t channels = 1;
  std::int64_t height = 1;
  std::int64_t width = 1;
  Shape leading;  // the axes before C (rank - 3 of them; empty for rank <= 3)
};
ChwView chw_view(const Shape& shape);
// leading + [C, H, W]; for inputs of rank < 3 the output keeps rank 3.
Shape chw_shape(const Shape& leading, std::int64_t channels, std::int64_t height, std::int64_t width);

// Calls visit(offset_a, offset_b, out_index) for every element of the broadcast
// output of two tensors, in row-major order. For elementwise binary ops.
template <typename Visit>
void for_each_broadcast(const Shape& a, const Shape& b, const Shape& out, Visit&& visit) {
  const auto sa = broadcast_strides(a, out);
  const auto sb = broadcast_strides(b, out);
  const int rank = static_cast<int>(out.size());
  const std::int64_t total = element_count(out);
  std::vector<std::int64_t> index(out.size(), 0);
  std::int64_t oa = 0;
  std::int64_t ob = 0;
  for (std::int64_t i = 0; i < total; ++i) {
    visit(oa, ob, i);
    for (int axis = rank - 1; axis >= 0; --axis) {
      const auto u = static_cast<std::size_t>(axis);
      if (++index[u] < out[u]) {
        oa += sa[u];
        ob += sb[u];
        break;
      }
      oa -= sa[u] * (out[u] - 1);
      ob -= sb[u] * (out[u] - 1);
      index[u] = 0;
    }
  }
}

}  // namespace mlconv::exec
