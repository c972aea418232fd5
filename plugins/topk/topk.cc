// CustomTopK, the custom operator of coremltools' "Custom Operators" guide,
// as a plugin: the k largest values along `axis` and their indices (as
// floats). Parameters: k (default 1), axis (default -1), sorted (default
// false). Sorted output is in descending value order; unsorted output keeps
// the chosen elements in their input order. Ties go to the lower index; NaN
// ranks above every number. One pass per slice: a vectorized count skips the
// blocks holding nothing better than the current k-th value.
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

// The ranking: larger values first, NaN above every number, ties to the lower index.
struct Before {
  const float* row;
  bool operator()(std::int64_t a, std::int64_t b) const {
    const float va = row[a];
    const float vb = row[b];
    if (std::isnan(va) != std::isnan(vb)) return std::isnan(va);
    if (!std::isnan(va) && va != vb) return va > vb;
    return a < b;
  }
};

// How many of the n values could enter the top k past a current k-th value of
// `worst`: those above it, or NaN. Later equal values never do (ties go to the
// lower index). A branch-free count, so it runs 8 lanes wide with AVX2 (the
// loader picks that clone when the CPU has it) and 4 wide with SSE2.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
std::int64_t count_contenders(const float* __restrict values, std::int64_t n, float worst) {
  std::int64_t count = 0;
  for (std::int64_t j = 0; j < n; ++j) count += !(values[j] <= worst) ? 1 : 0;
  return count;
}

// The indices of the k first-ranked of row[0, n) in `chosen`, in no particular
// order: a heap of the best k so far (its front is the worst of them), fed only
// from blocks where the vectorized count finds a value that beats the front.
void select_top(const float* row, std::int64_t n, std::int64_t k, std::int64_t* chosen) {
  constexpr std::int64_t block = 64;
  const Before before{row};
  std::iota(chosen, chosen + k, std::int64_t{0});
  std::make_heap(chosen, chosen + k, before);
  for (std::int64_t b0 = k; b0 < n; b0 += block) {
    const std::int64_t b1 = std::min(n, b0 + block);
    if (count_contenders(row + b0, b1 - b0, row[chosen[0]]) == 0) continue;
    for (std::int64_t j = b0; j < b1; ++j) {
      if (!before(j, chosen[0])) continue;
      std::pop_heap(chosen, chosen + k, before);
      chosen[k - 1] = j;
      std::push_heap(chosen, chosen + k, before);
    }
  }
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
      std::vector<float> slice(static_cast<std::size_t>(inner == 1 ? 0 : n));
      std::vector<std::int64_t> chosen(static_cast<std::size_t>(k));
      for (std::int64_t s = begin; s < end; ++s) {
        const std::int64_t o = s / inner;
        const std::int64_t i = s % inner;
        const float* in = x + o * n * inner + i;
        const float* row = in;
        if (inner != 1) {  // a strided slice is gathered once so the scan reads contiguous values
          for (std::int64_t j = 0; j < n; ++j) slice[static_cast<std::size_t>(j)] = in[j * inner];
          row = slice.data();
        }
        select_top(row, n, k, chosen.data());
        if (sorted) {
          std::sort(chosen.begin(), chosen.end(), Before{row});
        } else {
          std::sort(chosen.begin(), chosen.end());
        }
        float* value_out = values + o * k * inner + i;
        float* index_out = indices + o * k * inner + i;
        for (std::int64_t j = 0; j < k; ++j) {
          const std::int64_t index = chosen[static_cast<std::size_t>(j)];
          value_out[j * inner] = row[index];
          index_out[j * inner] = static_cast<float>(index);
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
