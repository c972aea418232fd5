#include "executor/kernels/common.h"

#include <algorithm>

#include "spec/error.h"

namespace mlconv::exec {

int normalize_axis(std::int64_t axis, int rank) {
  const std::int64_t resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank)
    throw Error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(resolved);
}

std::array<std::int64_t, 2> hw_pair_field(const google::protobuf::RepeatedField<std::uint64_t>& field,
                                          std::int64_t fallback, const char* name) {
  if (field.empty()) return {fallback, fallback};
  if (field.size() != 2)
    throw Error(std::string(name) + " must have 2 values [H, W]; got " + std::to_string(field.size()));
  for (std::uint64_t v : field)
    if (v == 0 || v > (1U << 30))
      throw Error(std::string(name) + " values must be positive; got " + std::to_string(static_cast<std::int64_t>(v)));
  return {static_cast<std::int64_t>(field[0]), static_cast<std::int64_t>(field[1])};
}

Shape broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<std::int64_t> strides_of(std::span<const std::int64_t> shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::vector<std::int64_t> broadcast_strides(std::span<const std::int64_t> shape, std::span<const std::int64_t> target) {
  std::vector<std::int64_t> strides(target.size(), 0);
  const auto own = strides_of(shape);
  const std::size_t offset = target.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) strides[offset + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

ChwView chw_view(const Shape& shape) {
  ChwView view;
  const std::size_t rank = shape.size();
  if (rank >= 1) view.width = shape[rank - 1];
  if (rank >= 2) view.height = shape[rank - 2];
  if (rank >= 3) view.channels = shape[rank - 3];
  if (rank == 1) std::swap(view.channels, view.width);  // a lone axis is channels ([C] mapped to [C,1,1])
  if (rank > 3) view.leading.assign(shape.begin(), shape.end() - 3);
  for (std::int64_t d : view.leading) view.batch *= d;
  return view;
}

Shape chw_shape(const Shape& leading, std::int64_t channels, std::int64_t height, std::int64_t width) {
  Shape shape = leading;
  shape.push_back(channels);
  shape.push_back(height);
  shape.push_back(width);
  return shape;
}

}  // namespace mlconv::exec
