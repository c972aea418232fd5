// Reductions: the classic reduce layer (modes over CHW, HW, C, H or W; the
// reduced axes stay as size 1), the ND reduce layers (axes, keepDims,
// reduceAll), argMax / argMin and cumSum. Every reduction runs on an
// [outer, length, inner] view; axes that are not one contiguous block are
// first gathered to the end by a transposing copy. Sums accumulate in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "executor/kernel_registry.h"
#include "executor/kernels/elementwise.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

using CoreML::Specification::ReduceLayerParams;

enum class Op { sum, mean, prod, sum_log_eps, log_sum, sum_square, l1, l2, max, min, log_sum_exp };

constexpr std::int64_t kBlock = 256;

// One reduction as start value, per-element term, combination and final step.
template <Op op>
struct Rule {
  static double start() {
    if constexpr (op == Op::prod) return 1.0;
    else if constexpr (op == Op::max) return -std::numeric_limits<double>::infinity();
    else if constexpr (op == Op::min) return std::numeric_limits<double>::infinity();
    else return 0.0;
  }
  // `shift` is the log-sum-exp peak, `eps` the classic LOGSUM epsilon.
  static double term(float x, double shift, float eps) {
    if constexpr (op == Op::sum_log_eps) return std::log(static_cast<double>(x) + eps);
    else if constexpr (op == Op::sum_square || op == Op::l2) return static_cast<double>(x) * x;
    else if constexpr (op == Op::l1) return std::fabs(static_cast<double>(x));
    else if constexpr (op == Op::log_sum_exp) return std::exp(x - shift);
    else return x;
  }
  static double combine(double a, double b) {
    if constexpr (op == Op::prod) return a * b;
    else if constexpr (op == Op::max) return std::max(a, b);
    else if constexpr (op == Op::min) return std::min(a, b);
    else return a + b;
  }
  static float finish(double acc, double shift, std::int64_t n) {
    if constexpr (op == Op::mean) acc /= static_cast<double>(n);
    else if constexpr (op == Op::l2) acc = std::sqrt(acc);
    else if constexpr (op == Op::log_sum) acc = std::log(acc);
    else if constexpr (op == Op::log_sum_exp) acc = std::isinf(shift) ? shift : shift + std::log(acc);
    return static_cast<float>(acc);
  }
};

// The log-sum-exp shift: the largest value (0 when every value is -inf, so exp stays 0).
inline double lse_shift(double peak) { return std::isinf(peak) && peak < 0 ? 0.0 : peak; }

template <Op op>
void reduce_view_as(const float* x, float* y, const AxisView& v, float eps, RunContext& ctx) {
  using R = Rule<op>;
  const std::int64_t n = v.length;
  const std::int64_t inner = v.inner;
  if (inner == 1) {
    // Contiguous rows: four independent accumulators keep the adds pipelined.
    parallel_range(ctx, v.outer, v.outer * n, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        const float* row = x + o * n;
        double shift = 0;
        if constexpr (op == Op::log_sum_exp) {
          double peak = -std::numeric_limits<double>::infinity();
          for (std::int64_t r = 0; r < n; ++r) peak = std::max(peak, static_cast<double>(row[r]));
          shift = lse_shift(peak);
        }
        double a0 = R::start(), a1 = R::start(), a2 = R::start(), a3 = R::start();
        std::int64_t r = 0;
        for (; r + 4 <= n; r += 4) {
          a0 = R::combine(a0, R::term(row[r], shift, eps));
          a1 = R::combine(a1, R::term(row[r + 1], shift, eps));
          a2 = R::combine(a2, R::term(row[r + 2], shift, eps));
          a3 = R::combine(a3, R::term(row[r + 3], shift, eps));
        }
        for (; r < n; ++r) a0 = R::combine(a0, R::term(row[r], shift, eps));
        y[o] = R::finish(R::combine(R::combine(a0, a1), R::combine(a2, a3)), shift, n);
      }
    });
    return;
  }
  // Strided: columns of up to kBlock inner values advance together, reading whole rows.
  const std::int64_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_range(ctx, v.outer * blocks, v.outer * n * inner, [&](std::int64_t begin, std::int64_t end) {
    double acc[kBlock];
    double shift[kBlock];
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t o = task / blocks;
      const std::int64_t j0 = (task % blocks) * kBlock;
      const std::int64_t w = std::min(kBlock, inner - j0);
      const float* src = x + o * n * inner + j0;
      std::fill(acc, acc + w, R::start());
      std::fill(shift, shift + w, 0.0);
      if constexpr (op == Op::log_sum_exp) {
        std::fill(shift, shift + w, -std::numeric_limits<double>::infinity());
        for (std::int64_t r = 0; r < n; ++r)
          for (std::int64_t j = 0; j < w; ++j) shift[j] = std::max(shift[j], static_cast<double>(src[r * inner + j]));
        for (std::int64_t j = 0; j < w; ++j) shift[j] = lse_shift(shift[j]);
      }
      for (std::int64_t r = 0; r < n; ++r) {
        const float* row = src + r * inner;
        for (std::int64_t j = 0; j < w; ++j) acc[j] = R::combine(acc[j], R::term(row[j], shift[j], eps));
      }
      float* dst = y + o * inner + j0;
      for (std::int64_t j = 0; j < w; ++j) dst[j] = R::finish(acc[j], shift[j], n);
    }
  });
}

// y[o, j] = reduce over r of x[o, r, j].
void reduce_view(const float* x, float* y, const AxisView& v, Op op, float eps, RunContext& ctx) {
  switch (op) {
    case Op::sum: reduce_view_as<Op::sum>(x, y, v, eps, ctx); return;
    case Op::mean: reduce_view_as<Op::mean>(x, y, v, eps, ctx); return;
    case Op::prod: reduce_view_as<Op::prod>(x, y, v, eps, ctx); return;
    case Op::sum_log_eps: reduce_view_as<Op::sum_log_eps>(x, y, v, eps, ctx); return;
    case Op::log_sum: reduce_view_as<Op::log_sum>(x, y, v, eps, ctx); return;
    case Op::sum_square: reduce_view_as<Op::sum_square>(x, y, v, eps, ctx); return;
    case Op::l1: reduce_view_as<Op::l1>(x, y, v, eps, ctx); return;
    case Op::l2: reduce_view_as<Op::l2>(x, y, v, eps, ctx); return;
    case Op::max: reduce_view_as<Op::max>(x, y, v, eps, ctx); return;
    case Op::min: reduce_view_as<Op::min>(x, y, v, eps, ctx); return;
    case Op::log_sum_exp: reduce_view_as<Op::log_sum_exp>(x, y, v, eps, ctx); return;
  }
}

// Index of the first largest (or smallest) x[o, r, j] over r.
void arg_reduce_view(const float* x, float* y, const AxisView& v, bool largest, RunContext& ctx) {
  const std::int64_t n = v.length;
  const std::int64_t inner = v.inner;
  const std::int64_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_range(ctx, v.outer * blocks, v.outer * n * inner, [&](std::int64_t begin, std::int64_t end) {
    float best[kBlock];
    std::int64_t where[kBlock];
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t o = task / blocks;
      const std::int64_t j0 = (task % blocks) * kBlock;
      const std::int64_t w = std::min(kBlock, inner - j0);
      const float* src = x + o * n * inner + j0;
      for (std::int64_t j = 0; j < w; ++j) {
        best[j] = src[j];
        where[j] = 0;
      }
      for (std::int64_t r = 1; r < n; ++r) {
        const float* row = src + r * inner;
        for (std::int64_t j = 0; j < w; ++j) {
          if (largest ? row[j] > best[j] : row[j] < best[j]) {
            best[j] = row[j];
            where[j] = r;
          }
        }
      }
      float* dst = y + o * inner + j0;
      for (std::int64_t j = 0; j < w; ++j) dst[j] = static_cast<float>(where[j]);
    }
  });
}

// Copies x into `out` with its axes in the order `perm` (out axis i = x axis perm[i]).
void transpose_into(const float* x, const Shape& shape, const std::vector<int>& perm, std::vector<float>& out) {
  const auto strides = strides_of(shape);
  const std::size_t rank = shape.size();
  Shape dims(rank);
  std::vector<std::int64_t> step(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    dims[i] = shape[static_cast<std::size_t>(perm[i])];
    step[i] = strides[static_cast<std::size_t>(perm[i])];
  }
  const std::int64_t total = element_count(shape);
  out.resize(static_cast<std::size_t>(total));
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t offset = 0;
  for (std::int64_t i = 0; i < total; ++i) {
    out[static_cast<std::size_t>(i)] = x[offset];
    for (std::size_t d = rank; d-- > 0;) {
      if (++index[d] < dims[d]) {
        offset += step[d];
        break;
      }
      offset -= step[d] * (dims[d] - 1);
      index[d] = 0;
    }
  }
}

// A reduction over a set of axes, with the output shape already decided.
class Reduce final : public Kernel {
 public:
  // axes: resolved at run time from `requested` (empty = every axis); keep_dims keeps reduced axes as 1.
  Reduce(Op op, float eps, std::vector<std::int64_t> requested, bool keep_dims, int min_rank)
      : op_(op), eps_(eps), requested_(std::move(requested)), keep_dims_(keep_dims), min_rank_(min_rank) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const int rank = in.rank();
    if (rank < min_rank_)
      throw Error("input " + shape_to_string(in.shape()) + " has rank " + std::to_string(rank) + "; the reduction axes need rank " +
                  std::to_string(min_rank_) + " or more");
    std::vector<bool> reduced(static_cast<std::size_t>(rank), requested_.empty());
    for (std::int64_t axis : requested_) {
      const auto u = static_cast<std::size_t>(normalize_axis(axis, rank));
      if (reduced[u]) throw Error("axis " + std::to_string(axis) + " is listed twice in axes");
      reduced[u] = true;
    }
    Shape out_shape;
    for (int i = 0; i < rank; ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (!reduced[u]) out_shape.push_back(in.shape()[u]);
      else if (keep_dims_) out_shape.push_back(1);
    }
    if (out_shape.empty()) out_shape.push_back(1);
    for (int i = 0; i < rank; ++i)
      if (reduced[static_cast<std::size_t>(i)] && in.shape()[static_cast<std::size_t>(i)] == 0)
        throw Error("input " + shape_to_string(in.shape()) + " has no elements along reduced axis " + std::to_string(i));
    out.resize(out_shape);
    // Size-1 axes do not matter; the rest must form kept* reduced* kept* to reduce in place.
    AxisView view;
    const float* src = in.data();
    bool blocked = true;
    {
      int seen_reduced = 0;
      bool after_reduced_kept = false;
      for (int i = 0; i < rank; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const std::int64_t d = in.shape()[u];
        if (d == 1) continue;
        if (reduced[u]) {
          if (after_reduced_kept) blocked = false;
          ++seen_reduced;
          view.length *= d;
        } else if (seen_reduced > 0) {
          after_reduced_kept = true;
          view.inner *= d;
        } else {
          view.outer *= d;
        }
      }
    }
    if (!blocked) {
      std::vector<int> perm;
      for (int pass = 0; pass < 2; ++pass)
        for (int i = 0; i < rank; ++i)
          if (reduced[static_cast<std::size_t>(i)] == (pass == 1)) perm.push_back(i);
      transpose_into(in.data(), in.shape(), perm, scratch_);
      src = scratch_.data();
      view = AxisView{out.size(), in.size() / std::max<std::int64_t>(1, out.size()), 1};
    }
    reduce_view(src, out.data(), view, op_, eps_, ctx);
  }

 private:
  Op op_;
  float eps_;
  std::vector<std::int64_t> requested_;
  bool keep_dims_;
  int min_rank_;
  std::vector<float> scratch_;
};

template <typename Params>
std::unique_ptr<Kernel> make_nd_reduce(const Layer& layer, const Params& p, Op op) {
  expect_arity(layer, 1, 1);
  std::vector<std::int64_t> axes;
  // reduceAll, or no axes at all (coremltools writes reduceAll then), reduces every axis.
  if (!p.reduceall()) axes.assign(p.axes().begin(), p.axes().end());
  return std::make_unique<Reduce>(op, 0.0F, std::move(axes), p.keepdims(), 0);
}

#define MLCONV_ND_REDUCE(name, field, op)                                        \
  std::unique_ptr<Kernel> make_##name(const Layer& layer, const BuildContext&) { \
    return make_nd_reduce(layer, layer.field(), Op::op);                         \
  }
MLCONV_ND_REDUCE(reduce_l1, reducel1, l1)
MLCONV_ND_REDUCE(reduce_l2, reducel2, l2)
MLCONV_ND_REDUCE(reduce_max, reducemax, max)
MLCONV_ND_REDUCE(reduce_min, reducemin, min)
MLCONV_ND_REDUCE(reduce_sum, reducesum, sum)
MLCONV_ND_REDUCE(reduce_prod, reduceprod, prod)
MLCONV_ND_REDUCE(reduce_mean, reducemean, mean)
MLCONV_ND_REDUCE(reduce_log_sum, reducelogsum, log_sum)
MLCONV_ND_REDUCE(reduce_sum_square, reducesumsquare, sum_square)
MLCONV_ND_REDUCE(reduce_log_sum_exp, reducelogsumexp, log_sum_exp)
#undef MLCONV_ND_REDUCE

// argMax / argMin along one axis; the classic reduce's ARGMAX keeps the axis as 1.
class ArgReduce final : public Kernel {
 public:
  ArgReduce(std::int64_t axis, bool remove_dim, bool largest) : axis_(axis), remove_dim_(remove_dim), largest_(largest) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const int axis = normalize_axis(axis_, in.rank());
    const auto u = static_cast<std::size_t>(axis);
    if (in.shape()[u] == 0) throw Error("input " + shape_to_string(in.shape()) + " has no elements along axis " + std::to_string(axis));
    Shape shape = in.shape();
    if (remove_dim_ && shape.size() > 1) shape.erase(shape.begin() + axis);
    else shape[u] = 1;
    out.resize(shape);
    arg_reduce_view(in.data(), out.data(), axis_view(in.shape(), axis), largest_, ctx);
  }

 private:
  std::int64_t axis_;
  bool remove_dim_;
  bool largest_;
};

std::unique_ptr<Kernel> make_arg_max(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<ArgReduce>(layer.argmax().axis(), layer.argmax().removedim(), true);
}

std::unique_ptr<Kernel> make_arg_min(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<ArgReduce>(layer.argmin().axis(), layer.argmin().removedim(), false);
}

std::unique_ptr<Kernel> make_classic_reduce(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  const ReduceLayerParams& p = layer.reduce();
  std::vector<std::int64_t> axes;
  switch (p.axis()) {
    case ReduceLayerParams::CHW: axes = {-3, -2, -1}; break;
    case ReduceLayerParams::HW: axes = {-2, -1}; break;
    case ReduceLayerParams::C: axes = {-3}; break;
    case ReduceLayerParams::H: axes = {-2}; break;
    case ReduceLayerParams::W: axes = {-1}; break;
    default:
      throw Error("reduce axis " + std::to_string(static_cast<int>(p.axis())) + " is not one of CHW, HW, C, H, W");
  }
  const int min_rank = static_cast<int>(-*std::min_element(axes.begin(), axes.end()));
  Op op = Op::sum;
  switch (p.mode()) {
    case ReduceLayerParams::SUM: op = Op::sum; break;
    case ReduceLayerParams::AVG: op = Op::mean; break;
    case ReduceLayerParams::PROD: op = Op::prod; break;
    case ReduceLayerParams::LOGSUM: op = Op::sum_log_eps; break;
    case ReduceLayerParams::SUMSQUARE: op = Op::sum_square; break;
    case ReduceLayerParams::L1: op = Op::l1; break;
    case ReduceLayerParams::L2: op = Op::l2; break;
    case ReduceLayerParams::MAX: op = Op::max; break;
    case ReduceLayerParams::MIN: op = Op::min; break;
    case ReduceLayerParams::ARGMAX:
      if (axes.size() != 1) throw Error("reduce mode ARGMAX works on one axis (C, H or W), not on CHW or HW");
      return std::make_unique<ArgReduce>(axes[0], false, true);
    default:
      throw Error("reduce mode " + std::to_string(static_cast<int>(p.mode())) + " is not a ReduceOperation");
  }
  return std::make_unique<Reduce>(op, or_default(p.epsilon(), 1e-6F), std::move(axes), true, min_rank);
}

// Running sums along one axis; the axis comes from the parameter or from the second input's first value.
class CumSum final : public Kernel {
 public:
  CumSum(std::int64_t axis, bool exclusive, bool reverse) : axis_(axis), exclusive_(exclusive), reverse_(reverse) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    std::int64_t requested = axis_;
    if (inputs.size() == 2) {
      const Tensor& a = *inputs[1];
      if (a.size() < 1) throw Error("the axis input is empty; expected one value");
      const float value = a.data()[0];
      if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 1e9F)
        throw Error("the axis input holds " + std::to_string(value) + "; expected an integer");
      requested = static_cast<std::int64_t>(value);
    }
    const int axis = normalize_axis(requested, in.rank());
    const AxisView v = axis_view(in.shape(), axis);
    out.resize(in.shape());
    const std::int64_t n = v.length;
    const std::int64_t inner = v.inner;
    const std::int64_t blocks = (inner + kBlock - 1) / kBlock;
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, v.outer * blocks, in.size(), [&](std::int64_t begin, std::int64_t end) {
      double acc[kBlock];
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t o = task / blocks;
        const std::int64_t j0 = (task % blocks) * kBlock;
        const std::int64_t w = std::min(kBlock, inner - j0);
        std::fill(acc, acc + w, 0.0);
        for (std::int64_t k = 0; k < n; ++k) {
          const std::int64_t r = reverse_ ? n - 1 - k : k;
          const float* src = x + (o * n + r) * inner + j0;
          float* dst = y + (o * n + r) * inner + j0;
          if (exclusive_) {
            for (std::int64_t j = 0; j < w; ++j) {
              dst[j] = static_cast<float>(acc[j]);
              acc[j] += src[j];
            }
          } else {
            for (std::int64_t j = 0; j < w; ++j) {
              acc[j] += src[j];
              dst[j] = static_cast<float>(acc[j]);
            }
          }
        }
      }
    });
  }

 private:
  std::int64_t axis_;
  bool exclusive_;
  bool reverse_;
};

std::unique_ptr<Kernel> make_cum_sum(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 2);
  const auto& p = layer.cumsum();
  return std::make_unique<CumSum>(p.axis(), p.excludefinalsum(), p.reverse());
}

}  // namespace

void register_reduction_kernels(KernelRegistry& registry) {
  registry.add(Layer::kReduce, make_classic_reduce);
  registry.add(Layer::kReduceL1, make_reduce_l1);
  registry.add(Layer::kReduceL2, make_reduce_l2);
  registry.add(Layer::kReduceMax, make_reduce_max);
  registry.add(Layer::kReduceMin, make_reduce_min);
  registry.add(Layer::kReduceSum, make_reduce_sum);
  registry.add(Layer::kReduceProd, make_reduce_prod);
  registry.add(Layer::kReduceMean, make_reduce_mean);
  registry.add(Layer::kReduceLogSum, make_reduce_log_sum);
  registry.add(Layer::kReduceSumSquare, make_reduce_sum_square);
  registry.add(Layer::kReduceLogSumExp, make_reduce_log_sum_exp);
  registry.add(Layer::kArgMax, make_arg_max);
  registry.add(Layer::kArgMin, make_arg_min);
  registry.add(Layer::kCumSum, make_cum_sum);
}

}  // namespace mlconv::exec
