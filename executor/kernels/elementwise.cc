// Shared loop helpers of the elementwise, normalization and reduction families (see elementwise.h).
#include "executor/kernels/elementwise.h"

#include <cmath>
#include <limits>
#include <string>

#include "executor/simd/vector_math.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

std::string count_words(int n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

void expect_arity(const Layer& layer, int min_inputs, int max_inputs, int outputs) {
  const int n = layer.input_size();
  if (n < min_inputs || (max_inputs >= 0 && n > max_inputs)) {
    std::string wanted = max_inputs < 0   ? "at least " + count_words(min_inputs, "input")
                         : min_inputs == max_inputs ? count_words(min_inputs, "input")
                                                    : std::to_string(min_inputs) + " or " +
                                                          (max_inputs == min_inputs + 1 ? "" : "up to ") +
                                                          count_words(max_inputs, "input");
    throw Error("has " + count_words(n, "input") + "; expected " + wanted);
  }
  if (layer.output_size() != outputs)
    throw Error("has " + count_words(layer.output_size(), "output") + "; expected " + count_words(outputs, "output"));
}

BroadcastPlan plan_broadcast(const Shape& a, const Shape& b) {
  BroadcastPlan plan;
  plan.out = broadcast_shapes(a, b);
  const std::size_t rank = plan.out.size();
  std::vector<bool> full_a;
  std::vector<bool> full_b;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t d = plan.out[i];
    if (d == 1) continue;  // size-1 output axes move no offset
    const bool fa = i >= rank - a.size() && a[i - (rank - a.size())] != 1;
    const bool fb = i >= rank - b.size() && b[i - (rank - b.size())] != 1;
    if (!plan.dims.empty() && full_a.back() == fa && full_b.back() == fb) {
      plan.dims.back() *= d;
    } else {
      plan.dims.push_back(d);
      full_a.push_back(fa);
      full_b.push_back(fb);
    }
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    full_a.push_back(false);
    full_b.push_back(false);
  }
  const std::size_t merged = plan.dims.size();
  plan.sa.assign(merged, 0);
  plan.sb.assign(merged, 0);
  std::int64_t run_a = 1;
  std::int64_t run_b = 1;
  for (std::size_t k = merged; k-- > 0;) {
    if (full_a[k]) {
      plan.sa[k] = run_a;
      run_a *= plan.dims[k];
    }
    if (full_b[k]) {
      plan.sb[k] = run_b;
      run_b *= plan.dims[k];
    }
  }
  return plan;
}

AxisView axis_view(const Shape& shape, int axis) {
  AxisView view;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    const std::int64_t d = shape[static_cast<std::size_t>(i)];
    if (i < axis) view.outer *= d;
    else if (i == axis) view.length = d;
    else view.inner *= d;
  }
  return view;
}

namespace {

constexpr std::int64_t kBlock = 256;  // inner columns handled together, kept on the stack

}  // namespace

void softmax_along(const float* x, float* y, const AxisView& view, RunContext& ctx) {
  const std::int64_t n = view.length;
  const std::int64_t inner = view.inner;
  if (n == 0 || view.outer == 0 || inner == 0) return;
  if (inner == 1) {
    // Softmax over the last axis: each row is contiguous.
    parallel_range(ctx, view.outer, view.outer * n, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        const float* src = x + o * n;
        float* dst = y + o * n;
        float peak = -std::numeric_limits<float>::infinity();
        for (std::int64_t r = 0; r < n; ++r) peak = std::max(peak, src[r]);
        for (std::int64_t r = 0; r < n; ++r) dst[r] = simd::vector_exp(src[r] - peak);
        double total = 0;  // a separate pass: the double sum does not vectorize, the exp does
        for (std::int64_t r = 0; r < n; ++r) total += dst[r];
        const auto inv = static_cast<float>(1.0 / total);
        for (std::int64_t r = 0; r < n; ++r) dst[r] *= inv;
      }
    });
    return;
  }
  const std::int64_t blocks = (inner + kBlock - 1) / kBlock;
  const std::int64_t tasks = view.outer * blocks;
  parallel_range(ctx, tasks, view.outer * n * inner, [&](std::int64_t begin, std::int64_t end) {
    float peak[kBlock];
    float total[kBlock];
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t o = task / blocks;
      const std::int64_t j0 = (task % blocks) * kBlock;
      const std::int64_t width = std::min(kBlock, inner - j0);
      const float* src = x + o * n * inner + j0;
      float* dst = y + o * n * inner + j0;
      for (std::int64_t j = 0; j < width; ++j) {
        peak[j] = -std::numeric_limits<float>::infinity();
        total[j] = 0.0F;
      }
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t j = 0; j < width; ++j) peak[j] = std::max(peak[j], src[r * inner + j]);
      for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t j = 0; j < width; ++j) {
          const float e = simd::vector_exp(src[r * inner + j] - peak[j]);
          dst[r * inner + j] = e;
          total[j] += e;
        }
      }
      for (std::int64_t j = 0; j < width; ++j) total[j] = 1.0F / total[j];
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t j = 0; j < width; ++j) dst[r * inner + j] *= total[j];
    }
  });
}

}  // namespace mlconv::exec
