// Sorting kernels of the indexing family: topK (values and indices of the K
// largest or smallest along an axis) and argSort. Both order by a total order
// so results never depend on the sort algorithm: equal values keep the lower
// index first, NaN sorts after every number in either direction (as NumPy's
// argsort of x and of -x does).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "executor/kernels/common.h"
#include "executor/kernels/indexing_parts.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

// Orders positions of one line: descending or ascending, ties by position, NaN last.
struct LineOrder {
  const float* line;
  bool descending;
  bool operator()(std::int64_t i, std::int64_t j) const {
    const float a = line[i];
    const float b = line[j];
    const bool nan_a = std::isnan(a);
    const bool nan_b = std::isnan(b);
    if (nan_a || nan_b) return nan_a == nan_b ? i < j : nan_b;
    if (a == b) return i < j;
    return descending ? a > b : a < b;
  }
};

struct AxisLines {
  std::int64_t outer = 1;
  std::int64_t dim = 1;
  std::int64_t inner = 1;
};

AxisLines lines_along(const Shape& shape, int axis) {
  AxisLines lines;
  const auto a = static_cast<std::size_t>(axis);
  for (std::size_t i = 0; i < a; ++i) lines.outer *= shape[i];
  lines.dim = shape[a];
  for (std::size_t i = a + 1; i < shape.size(); ++i) lines.inner *= shape[i];
  return lines;
}

// Orders every line along the axis and writes its first `keep` positions (and
// their values, when values_out is given) along the same axis of the outputs.
void for_each_line(const Tensor& in, const AxisLines& lines, std::int64_t keep, bool descending, float* values_out,
                   float* indices_out, bool full_sort, RunContext& ctx) {
  const float* src = in.data();
  const std::int64_t count = lines.outer * lines.inner;
  const std::int64_t min_chunk = std::max<std::int64_t>(1, 2048 / std::max<std::int64_t>(lines.dim, 1));
  ctx.pool->parallel_for(count, min_chunk, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> line(static_cast<std::size_t>(lines.dim));
    std::vector<std::int64_t> order(static_cast<std::size_t>(lines.dim));
    for (std::int64_t l = begin; l < end; ++l) {
      const std::int64_t o = l / lines.inner;
      const std::int64_t i = l % lines.inner;
      const float* from = src + o * lines.dim * lines.inner + i;
      for (std::int64_t d = 0; d < lines.dim; ++d) line[static_cast<std::size_t>(d)] = from[d * lines.inner];
      std::iota(order.begin(), order.end(), std::int64_t{0});
      const LineOrder less{line.data(), descending};
      if (full_sort)
        std::sort(order.begin(), order.end(), less);
      else
        std::partial_sort(order.begin(), order.begin() + keep, order.end(), less);
      const std::int64_t base = o * keep * lines.inner + i;
      for (std::int64_t d = 0; d < keep; ++d) {
        const std::int64_t at = order[static_cast<std::size_t>(d)];
        if (values_out != nullptr) values_out[base + d * lines.inner] = line[static_cast<std::size_t>(at)];
        indices_out[base + d * lines.inner] = static_cast<float>(at);
      }
    }
  });
}

// topK: outputs (values, indices), the axis shrunk to K; largest first, or
// smallest first with useBottomK. A second input, when present, gives K.
class TopK final : public Kernel {
 public:
  explicit TopK(const Layer& layer)
      : axis_(layer.topk().axis()), k_(static_cast<std::int64_t>(layer.topk().k())), bottom_(layer.topk().usebottomk()) {
    check_input_count(layer, 1, 2);
    check_output_count(layer, 2);
    if (layer.input_size() == 1 && k_ < 1) throw Error("K must be at least 1 when no second input gives it, but is 0");
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const int axis = normalize_axis(axis_, in.rank());
    const std::int64_t k = inputs.size() > 1 ? count_input(*inputs[1], "the K") : k_;
    const AxisLines lines = lines_along(in.shape(), axis);
    if (k < 1 || k > lines.dim)
      throw Error("K is " + std::to_string(k) + ", but must be between 1 and the size " + std::to_string(lines.dim) +
                  " of axis " + std::to_string(axis) + " of the input of shape " + shape_to_string(in.shape()));
    Shape out_shape = in.shape();
    out_shape[static_cast<std::size_t>(axis)] = k;
    outputs[0]->resize(out_shape);
    outputs[1]->resize(out_shape);
    for_each_line(in, lines, k, !bottom_, outputs[0]->data(), outputs[1]->data(), false, ctx);
  }

 private:
  std::int64_t axis_;
  std::int64_t k_;
  bool bottom_;
};

// argSort: the positions that sort each line along the axis (a stable sort).
class ArgSort final : public Kernel {
 public:
  explicit ArgSort(const Layer& layer) : axis_(layer.argsort().axis()), descending_(layer.argsort().descending()) {
    check_input_count(layer, 1, 1);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const int axis = normalize_axis(axis_, in.rank());
    const AxisLines lines = lines_along(in.shape(), axis);
    outputs[0]->resize(in.shape());
    for_each_line(in, lines, lines.dim, descending_, nullptr, outputs[0]->data(), true, ctx);
  }

 private:
  std::int64_t axis_;
  bool descending_;
};

std::unique_ptr<Kernel> make_top_k(const Layer& layer, const BuildContext&) { return std::make_unique<TopK>(layer); }
std::unique_ptr<Kernel> make_arg_sort(const Layer& layer, const BuildContext&) { return std::make_unique<ArgSort>(layer); }

}  // namespace

void register_indexing_sort_kernels(KernelRegistry& registry) {
  registry.add(Layer::kTopK, make_top_k);
  registry.add(Layer::kArgSort, make_arg_sort);
}

}  // namespace mlconv::exec
