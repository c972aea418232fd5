// Loop helpers shared by the elementwise, normalization and reduction kernels:
// splitting a flat range across the pool, mapping a unary function, NumPy
// broadcasting of a binary function with contiguous fast paths, and the
// [outer, axis, inner] view of a tensor around one axis.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "executor/kernel.h"
#include "executor/kernels/common.h"

namespace mlconv::exec {

// Below this many elements a loop runs inline: waking workers costs more than it saves.
inline constexpr std::int64_t kParallelGrain = 32768;

// Calls body(begin, end) over [0, count), in parallel when `work` (elements
// touched) is large enough. `grain` is the smallest chunk of the count.
template <typename Body>
void parallel_range(RunContext& ctx, std::int64_t count, std::int64_t work, Body&& body) {
  if (count <= 0) return;
  if (ctx.pool == nullptr || ctx.pool->size() <= 1 || work < 2 * kParallelGrain || count < 2) {
    body(std::int64_t{0}, count);
    return;
  }
  const std::int64_t per_item = std::max<std::int64_t>(1, work / count);
  const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / per_item);
  ctx.pool->parallel_for(count, grain, [&](std::int64_t begin, std::int64_t end) { body(begin, end); });
}

// y[i] = f(x[i]) for every element; out takes the input's shape.
template <typename F>
void map_unary(const Tensor& in, Tensor& out, RunContext& ctx, F f) {
  out.resize(in.shape());
  const float* x = in.data();
  float* y = out.data();
  parallel_range(ctx, in.size(), in.size(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

// The broadcast of two shapes reduced to as few axes as possible: adjacent
// axes merge when both operands either read them fully or broadcast them.
struct BroadcastPlan {
  Shape out;                         // the NumPy broadcast shape
  std::vector<std::int64_t> dims;    // merged output dims (at least one)
  std::vector<std::int64_t> sa, sb;  // element strides of a and b per merged dim (0 = broadcast)
};
BroadcastPlan plan_broadcast(const Shape& a, const Shape& b);

// out[i] = f(a[.], b[.]) with NumPy broadcasting. `out` may alias `a` or `b`
// only when that operand already has the output's shape.
template <typename F>
void broadcast_apply(const BroadcastPlan& plan, const float* a, const float* b, float* out, RunContext& ctx, F f) {
  const std::int64_t total = element_count(plan.out);
  if (total == 0) return;
  const int rank = static_cast<int>(plan.dims.size());
  const std::int64_t inner = plan.dims.back();
  const std::int64_t ia = plan.sa.back();
  const std::int64_t ib = plan.sb.back();
  const std::int64_t rows = total / inner;
  parallel_range(ctx, rows, total, [&](std::int64_t begin, std::int64_t end) {
    // Offsets of the first row of the chunk, then an odometer over the outer dims.
    std::vector<std::int64_t> index(static_cast<std::size_t>(rank), 0);
    std::int64_t oa = 0;
    std::int64_t ob = 0;
    std::int64_t rest = begin;
    for (int d = rank - 2; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      index[u] = rest % plan.dims[u];
      rest /= plan.dims[u];
      oa += index[u] * plan.sa[u];
      ob += index[u] * plan.sb[u];
    }
    for (std::int64_t row = begin; row < end; ++row) {
      const float* pa = a + oa;
      const float* pb = b + ob;
      float* po = out + row * inner;
      if (ia != 0 && ib != 0) {
        for (std::int64_t j = 0; j < inner; ++j) po[j] = f(pa[j], pb[j]);
      } else if (ia != 0) {
        const float vb = *pb;
        for (std::int64_t j = 0; j < inner; ++j) po[j] = f(pa[j], vb);
      } else if (ib != 0) {
        const float va = *pa;
        for (std::int64_t j = 0; j < inner; ++j) po[j] = f(va, pb[j]);
      } else {
        const float v = f(*pa, *pb);
        for (std::int64_t j = 0; j < inner; ++j) po[j] = v;
      }
      for (int d = rank - 2; d >= 0; --d) {
        const auto u = static_cast<std::size_t>(d);
        if (++index[u] < plan.dims[u]) {
          oa += plan.sa[u];
          ob += plan.sb[u];
          break;
        }
        oa -= plan.sa[u] * (plan.dims[u] - 1);
        ob -= plan.sb[u] * (plan.dims[u] - 1);
        index[u] = 0;
      }
    }
  });
}

// out = f(a, b) with NumPy broadcasting; out takes the broadcast shape.
template <typename F>
void map_binary(const Tensor& a, const Tensor& b, Tensor& out, RunContext& ctx, F f) {
  const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape());
  out.resize(plan.out);
  broadcast_apply(plan, a.data(), b.data(), out.data(), ctx, f);
}

// A tensor seen around one axis as [outer, length, inner] (row-major).
struct AxisView {
  std::int64_t outer = 1;
  std::int64_t length = 1;
  std::int64_t inner = 1;
};
AxisView axis_view(const Shape& shape, int axis);

// Numerically stable softmax along the middle axis of an [outer, length, inner] view.
void softmax_along(const float* x, float* y, const AxisView& view, RunContext& ctx);

// A kernel applying one pure function to every element of its one input.
template <typename F>
class UnaryKernel final : public Kernel {
 public:
  explicit UnaryKernel(F f) : f_(f) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    map_unary(*inputs[0], *outputs[0], ctx, f_);
  }

 private:
  F f_;
};

template <typename F>
std::unique_ptr<Kernel> make_unary_kernel(const Layer& layer, F f);

// Checks the layer's input and output counts at load; max_inputs < 0 means no upper bound.
void expect_arity(const Layer& layer, int min_inputs, int max_inputs, int outputs = 1);

template <typename F>
std::unique_ptr<Kernel> make_unary_kernel(const Layer& layer, F f) {
  expect_arity(layer, 1, 1);
  return std::make_unique<UnaryKernel<F>>(f);
}

// The float value of a proto3 field that means "default" when 0.
inline float or_default(float value, float fallback) { return value == 0.0F ? fallback : value; }

}  // namespace mlconv::exec
