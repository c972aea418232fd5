// Scatter kernels of the indexing family: scatter (by axis), scatterND and
// scatterAlongAxis. Each copies the container, then combines updates into it
// with the layer's ScatterMode. Updates that hit the same place apply in index
// order (the last UPDATE wins), so the work splits only across independent
// columns, never across the index positions.
#include <algorithm>

#include "executor/kernels/common.h"
#include "executor/kernels/indexing_parts.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

constexpr std::int64_t column_chunk = 1024;

std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

std::int64_t chunks_of(std::int64_t inner) { return std::max<std::int64_t>(1, (inner + column_chunk - 1) / column_chunk); }

void check_updates_shape(const Shape& actual, const Shape& expected, const std::string& why) {
  if (actual != expected)
    throw Error("updates have shape " + shape_to_string(actual) + ", but must have shape " + shape_to_string(expected) +
                " (" + why + ")");
}

// scatter: updates = container.shape[:axis] + indices.shape + container.shape[axis+1:];
// output[..., indices[i], ...] op= updates[..., i, ...].
class Scatter final : public Kernel {
 public:
  explicit Scatter(const Layer& layer) : axis_(layer.scatter().axis()), op_(scatter_op_from(layer.scatter().mode())) {
    check_input_count(layer, 3, 3);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& container = *inputs[0];
    const Tensor& indices = *inputs[1];
    const Tensor& updates = *inputs[2];
    const int axis = normalize_axis(axis_, container.rank());
    const Shape& cs = container.shape();
    const auto a = static_cast<std::size_t>(axis);
    Shape expected(cs.begin(), cs.begin() + axis);
    expected.insert(expected.end(), indices.shape().begin(), indices.shape().end());
    expected.insert(expected.end(), cs.begin() + axis + 1, cs.end());
    check_updates_shape(updates.shape(), expected,
                        "container.shape[:axis] + indices.shape + container.shape[axis+1:] with axis " +
                            std::to_string(axis));
    const std::int64_t dim = cs[a];
    const std::int64_t count = indices.size();
    const std::vector<std::int64_t> resolved = resolve_axis_indices(indices, axis, dim);

    Tensor& out = *outputs[0];
    out.resize(cs);
    std::copy(container.values().begin(), container.values().end(), out.data());
    const std::int64_t outer = product(cs, 0, a);
    const std::int64_t inner = product(cs, a + 1, cs.size());
    const std::int64_t chunks = chunks_of(inner);
    const float* up = updates.data();
    float* dst = out.data();
    const ScatterOp op = op_;
    ctx.pool->parallel_for(outer * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t unit = begin; unit < end; ++unit) {
        const std::int64_t o = unit / chunks;
        const std::int64_t from = (unit % chunks) * column_chunk;
        const std::int64_t width = std::min(column_chunk, inner - from);
        for (std::int64_t i = 0; i < count && width > 0; ++i)
          scatter_apply(op, dst + (o * dim + resolved[static_cast<std::size_t>(i)]) * inner + from,
                        up + (o * count + i) * inner + from, width);
      }
    });
  }

 private:
  std::int64_t axis_;
  ScatterOp op_;
};

// scatterND: indices [I_0..I_(K-1), I_K] address slices of the container;
// updates = indices.shape[:-1] + container.shape[I_K:]. Negative indices are not in the spec here.
class ScatterNd final : public Kernel {
 public:
  explicit ScatterNd(const Layer& layer) : op_(scatter_op_from(layer.scatternd().mode())) {
    check_input_count(layer, 3, 3);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& container = *inputs[0];
    const Tensor& indices = *inputs[1];
    const Tensor& updates = *inputs[2];
    const Shape& cs = container.shape();
    if (indices.rank() < 1) throw Error("indices must have rank >= 1, but have shape " + shape_to_string(indices.shape()));
    const std::int64_t depth = indices.shape().back();
    if (depth > container.rank())
      throw Error("indices of shape " + shape_to_string(indices.shape()) + " address " + std::to_string(depth) +
                  " axes, but the container of shape " + shape_to_string(cs) + " has only " +
                  std::to_string(container.rank()));
    const auto k = static_cast<std::size_t>(depth);
    Shape expected(indices.shape().begin(), indices.shape().end() - 1);
    expected.insert(expected.end(), cs.begin() + depth, cs.end());
    check_updates_shape(updates.shape(), expected, "indices.shape[:-1] + container.shape[indices.shape[-1]:]");
    const std::int64_t slice = product(cs, k, cs.size());
    const std::int64_t points = product(indices.shape(), 0, indices.shape().size() - 1);
    const auto strides = strides_of(cs);
    std::vector<std::int64_t> offsets(static_cast<std::size_t>(points), 0);
    for (std::int64_t p = 0; p < points; ++p)
      for (std::size_t j = 0; j < k; ++j)
        offsets[static_cast<std::size_t>(p)] +=
            checked_index(indices.data()[p * depth + static_cast<std::int64_t>(j)], static_cast<int>(j), cs[j], false) *
            strides[j];

    Tensor& out = *outputs[0];
    out.resize(cs);
    std::copy(container.values().begin(), container.values().end(), out.data());
    const std::int64_t chunks = chunks_of(slice);
    const float* up = updates.data();
    float* dst = out.data();
    const ScatterOp op = op_;
    ctx.pool->parallel_for(chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t chunk = begin; chunk < end; ++chunk) {
        const std::int64_t from = chunk * column_chunk;
        const std::int64_t width = std::min(column_chunk, slice - from);
        for (std::int64_t p = 0; p < points && width > 0; ++p)
          scatter_apply(op, dst + offsets[static_cast<std::size_t>(p)] + from, up + p * slice + from, width);
      }
    });
  }

 private:
  ScatterOp op_;
};

// scatterAlongAxis: numpy.put_along_axis with accumulation; indices and
// updates share a shape that matches the container except on the axis.
class ScatterAlongAxis final : public Kernel {
 public:
  explicit ScatterAlongAxis(const Layer& layer)
      : axis_(layer.scatteralongaxis().axis()), op_(scatter_op_from(layer.scatteralongaxis().mode())) {
    check_input_count(layer, 3, 3);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& container = *inputs[0];
    const Tensor& indices = *inputs[1];
    const Tensor& updates = *inputs[2];
    const int axis = normalize_axis(axis_, container.rank());
    const Shape& cs = container.shape();
    const Shape& is = indices.shape();
    bool fits = cs.size() == is.size();
    for (std::size_t i = 0; fits && i < cs.size(); ++i) fits = static_cast<int>(i) == axis || cs[i] == is[i];
    if (!fits)
      throw Error("indices of shape " + shape_to_string(is) + " must match the container of shape " +
                  shape_to_string(cs) + " on every axis but axis " + std::to_string(axis));
    check_updates_shape(updates.shape(), is, "the shape of the indices");
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = cs[a];
    const std::int64_t outer = product(is, 0, a);
    const std::int64_t count = is[a];
    const std::int64_t inner = product(is, a + 1, is.size());
    const std::vector<std::int64_t> resolved = resolve_axis_indices(indices, axis, dim);

    Tensor& out = *outputs[0];
    out.resize(cs);
    std::copy(container.values().begin(), container.values().end(), out.data());
    const std::int64_t chunks = chunks_of(inner);
    const float* up = updates.data();
    float* dst = out.data();
    const ScatterOp op = op_;
    ctx.pool->parallel_for(outer * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t unit = begin; unit < end; ++unit) {
        const std::int64_t o = unit / chunks;
        const std::int64_t from = (unit % chunks) * column_chunk;
        const std::int64_t to = std::min(inner, from + column_chunk);
        for (std::int64_t j = 0; j < count; ++j) {
          const std::int64_t row = (o * count + j) * inner;
          for (std::int64_t i = from; i < to; ++i) {
            float* target = dst + (o * dim + resolved[static_cast<std::size_t>(row + i)]) * inner + i;
            scatter_apply(op, target, up + row + i, 1);
          }
        }
      }
    });
  }

 private:
  std::int64_t axis_;
  ScatterOp op_;
};

std::unique_ptr<Kernel> make_scatter(const Layer& layer, const BuildContext&) { return std::make_unique<Scatter>(layer); }
std::unique_ptr<Kernel> make_scatter_nd(const Layer& layer, const BuildContext&) {
  return std::make_unique<ScatterNd>(layer);
}
std::unique_ptr<Kernel> make_scatter_along_axis(const Layer& layer, const BuildContext&) {
  return std::make_unique<ScatterAlongAxis>(layer);
}

}  // namespace

void register_indexing_scatter_kernels(KernelRegistry& registry) {
  registry.add(Layer::kScatter, make_scatter);
  registry.add(Layer::kScatterND, make_scatter_nd);
  registry.add(Layer::kScatterAlongAxis, make_scatter_along_axis);
}

}  // namespace mlconv::exec
