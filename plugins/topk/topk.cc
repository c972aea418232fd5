// CustomTopK, the custom operator of coremltools' "Custom Operators" guide,
// as a plugin: the k largest values along `axis` and their indices (as
// floats). Parameters: k (default 1), axis (default -1), sorted (default
// false). Sorted output is in descending value order; unsorted output keeps
// the chosen elements in their input order. Ties go to the lower index; NaN
// ranks above every number.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

using mlconv::plugin::Shape;

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

class TopK final : public mlconv::plugin::CustomLayer {
 public:
  void init(const mlconv::plugin::LayerInfo& layer, const mlconv::plugin::Parameters& params) override {
    if (layer.input_count != 1)
      throw std::invalid_argument("CustomTopK takes one input; the layer has " + std::to_string(layer.input_count));
    if (layer.output_count != 2)
      throw std::invalid_argument("CustomTopK produces values and indices; the layer needs 2 outputs, it has " +
                                  std::to_string(layer.output_count));
    k_ = params.integer("k", 1);
    axis_ = params.integer("axis", -1);
    sorted_ = params.boolean("sorted", false);
    if (k_ < 1) throw std::invalid_argument("parameter 'k' must be at least 1; it is " + std::to_string(k_));
  }

  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override {
    const Shape& shape = inputs[0];
    const auto rank = static_cast<std::int64_t>(shape.size());
    if (axis_ < -rank || axis_ >= rank)
      throw std::invalid_argument("axis " + std::to_string(axis_) + " is out of range for the input " +
                                  shape_text(shape));
    axis_index_ = static_cast<std::size_t>(axis_ < 0 ? axis_ + rank : axis_);
    if (k_ > shape[axis_index_])
      throw std::invalid_argument("k=" + std::to_string(k_) + " is greater than the size " +
                                  std::to_string(shape[axis_index_]) + " of axis " + std::to_string(axis_) +
                                  " of the input " + shape_text(shape));
    Shape result = shape;
    result[axis_index_] = k_;
    return {result, result};
  }

  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output> outputs,
                const mlconv::plugin::Context& context) override {
    const auto& shape = inputs[0].shape;
    const std::int64_t n = shape[axis_index_];
    std::int64_t outer = 1;
    std::int64_t inner = 1;
    for (std::size_t d = 0; d < axis_index_; ++d) outer *= shape[d];
    for (std::size_t d = axis_index_ + 1; d < shape.size(); ++d) inner *= shape[d];
    const float* x = inputs[0].data;
    float* values = outputs[0].data;
    float* indices = outputs[1].data;
    const std::int64_t k = k_;
    const bool sorted = sorted_;

    context.parallel_for(outer * inner, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(n, 1)),
                         [&](std::int64_t begin, std::int64_t end) {
      std::vector<float> slice(static_cast<std::size_t>(n));
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      const auto before = [&slice](std::int64_t a, std::int64_t b) {
        const float va = slice[static_cast<std::size_t>(a)];
        const float vb = slice[static_cast<std::size_t>(b)];
        if (std::isnan(va) != std::isnan(vb)) return std::isnan(va);
        if (!std::isnan(va) && va != vb) return va > vb;
        return a < b;
      };
      for (std::int64_t s = begin; s < end; ++s) {
        const std::int64_t o = s / inner;
        const std::int64_t i = s % inner;
        const float* in = x + o * n * inner + i;
        for (std::int64_t j = 0; j < n; ++j) slice[static_cast<std::size_t>(j)] = in[j * inner];
        std::iota(order.begin(), order.end(), std::int64_t{0});
        if (sorted) {
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        } else {
          std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), before);
          std::sort(order.begin(), order.begin() + k);
        }
        float* value_out = values + o * k * inner + i;
        float* index_out = indices + o * k * inner + i;
        for (std::int64_t j = 0; j < k; ++j) {
          const std::int64_t chosen = order[static_cast<std::size_t>(j)];
          value_out[j * inner] = slice[static_cast<std::size_t>(chosen)];
          index_out[j * inner] = static_cast<float>(chosen);
        }
      }
    });
  }

 private:
  std::int64_t k_ = 1;
  std::int64_t axis_ = -1;
  bool sorted_ = false;
  std::size_t axis_index_ = 0;  // set by output_shapes, which the host calls before evaluate
};

}  // namespace

MLCONV_CUSTOM_LAYER(TopK, "CustomTopK")
