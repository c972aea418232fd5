// The ND broadcastable layers (add, subtract, multiply, divide, floorDiv,
// mod, pow, min, max), whereBroadcastable, the comparisons (two inputs, or one
// input and alpha) and the logical layers. Booleans are 1.0 / 0.0; any
// nonzero input counts as true.
#include <cmath>

#include "executor/kernels/arithmetic_parts.h"
#include "executor/kernels/elementwise.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

template <typename F>
class BinaryKernel final : public Kernel {
 public:
  explicit BinaryKernel(F f) : f_(f) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    map_binary(*inputs[0], *inputs[1], *outputs[0], ctx, f_);
  }

 private:
  F f_;
};

template <typename F>
std::unique_ptr<Kernel> make_binary_kernel(const Layer& layer, F f) {
  expect_arity(layer, 2, 2);
  return std::make_unique<BinaryKernel<F>>(f);
}

// x1 op x2, or x1 op alpha with one input.
template <typename F>
std::unique_ptr<Kernel> make_comparison(const Layer& layer, float alpha, F f) {
  expect_arity(layer, 1, 2);
  if (layer.input_size() == 2) return std::make_unique<BinaryKernel<F>>(f);
  return make_unary_kernel(layer, [alpha, f](float x) { return f(x, alpha); });
}

inline float truth(bool b) { return b ? 1.0F : 0.0F; }

// NumPy's mod: the result takes the divisor's sign.
inline float floor_mod(float a, float b) {
  float r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

#define MLCONV_BINARY_FACTORY(name, expr)                                        \
  std::unique_ptr<Kernel> make_##name(const Layer& layer, const BuildContext&) { \
    return make_binary_kernel(layer, [](float a, float b) { return expr; });    \
  }

MLCONV_BINARY_FACTORY(add, a + b)
MLCONV_BINARY_FACTORY(subtract, a - b)
MLCONV_BINARY_FACTORY(multiply, a * b)
MLCONV_BINARY_FACTORY(divide, a / b)
MLCONV_BINARY_FACTORY(floor_div, std::floor(a / b))
MLCONV_BINARY_FACTORY(mod, floor_mod(a, b))
MLCONV_BINARY_FACTORY(pow, std::pow(a, b))
// NaN wins in min and max, as in NumPy's minimum and maximum.
MLCONV_BINARY_FACTORY(min, (a != a || a < b) ? a : b)
MLCONV_BINARY_FACTORY(max, (a != a || a > b) ? a : b)
MLCONV_BINARY_FACTORY(logical_and, truth(a != 0 && b != 0))
MLCONV_BINARY_FACTORY(logical_or, truth(a != 0 || b != 0))
MLCONV_BINARY_FACTORY(logical_xor, truth((a != 0) != (b != 0)))

#undef MLCONV_BINARY_FACTORY

#define MLCONV_COMPARISON_FACTORY(name, field, op)                                               \
  std::unique_ptr<Kernel> make_##name(const Layer& layer, const BuildContext&) {                 \
    return make_comparison(layer, layer.field().alpha(), [](float a, float b) { return truth(a op b); }); \
  }

MLCONV_COMPARISON_FACTORY(equal, equal, ==)
MLCONV_COMPARISON_FACTORY(not_equal, notequal, !=)
MLCONV_COMPARISON_FACTORY(less_than, lessthan, <)
MLCONV_COMPARISON_FACTORY(less_equal, lessequal, <=)
MLCONV_COMPARISON_FACTORY(greater_than, greaterthan, >)
MLCONV_COMPARISON_FACTORY(greater_equal, greaterequal, >=)

#undef MLCONV_COMPARISON_FACTORY

std::unique_ptr<Kernel> make_logical_not(const Layer& layer, const BuildContext&) {
  return make_unary_kernel(layer, [](float x) { return truth(x == 0); });
}

// output = condition ? x : y, all three broadcast to a common shape.
class WhereKernel final : public Kernel {
 public:
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& cond = *inputs[0];
    const Tensor& x = *inputs[1];
    const Tensor& y = *inputs[2];
    Tensor& out = *outputs[0];
    const Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(x.shape(), y.shape()));
    out.resize(shape);
    const std::int64_t total = out.size();
    if (total == 0) return;
    const float* pc = cond.data();
    const float* px = x.data();
    const float* py = y.data();
    float* po = out.data();
    if (cond.shape() == shape && x.shape() == shape && y.shape() == shape) {
      parallel_range(ctx, total, total, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) po[i] = pc[i] != 0 ? px[i] : py[i];
      });
      return;
    }
    const auto sc = broadcast_strides(cond.shape(), shape);
    const auto sx = broadcast_strides(x.shape(), shape);
    const auto sy = broadcast_strides(y.shape(), shape);
    const int rank = static_cast<int>(shape.size());
    const std::int64_t inner = rank == 0 ? 1 : shape.back();
    const std::int64_t rows = total / inner;
    const std::int64_t ic = rank == 0 ? 0 : sc.back();
    const std::int64_t ix = rank == 0 ? 0 : sx.back();
    const std::int64_t iy = rank == 0 ? 0 : sy.back();
    parallel_range(ctx, rows, total, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t row = begin; row < end; ++row) {
        std::int64_t oc = 0;
        std::int64_t ox = 0;
        std::int64_t oy = 0;
        std::int64_t rest = row;
        for (int d = rank - 2; d >= 0; --d) {
          const auto u = static_cast<std::size_t>(d);
          const std::int64_t i = rest % shape[u];
          rest /= shape[u];
          oc += i * sc[u];
          ox += i * sx[u];
          oy += i * sy[u];
        }
        float* dst = po + row * inner;
        for (std::int64_t j = 0; j < inner; ++j) dst[j] = pc[oc + j * ic] != 0 ? px[ox + j * ix] : py[oy + j * iy];
      }
    });
  }
};

std::unique_ptr<Kernel> make_where(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 3, 3);
  return std::make_unique<WhereKernel>();
}

}  // namespace

void register_arithmetic_broadcast_kernels(KernelRegistry& registry) {
  registry.add(Layer::kAddBroadcastable, make_add);
  registry.add(Layer::kSubtractBroadcastable, make_subtract);
  registry.add(Layer::kMultiplyBroadcastable, make_multiply);
  registry.add(Layer::kDivideBroadcastable, make_divide);
  registry.add(Layer::kFloorDivBroadcastable, make_floor_div);
  registry.add(Layer::kModBroadcastable, make_mod);
  registry.add(Layer::kPowBroadcastable, make_pow);
  registry.add(Layer::kMinBroadcastable, make_min);
  registry.add(Layer::kMaxBroadcastable, make_max);
  registry.add(Layer::kWhereBroadcastable, make_where);
  registry.add(Layer::kEqual, make_equal);
  registry.add(Layer::kNotEqual, make_not_equal);
  registry.add(Layer::kLessThan, make_less_than);
  registry.add(Layer::kLessEqual, make_less_equal);
  registry.add(Layer::kGreaterThan, make_greater_than);
  registry.add(Layer::kGreaterEqual, make_greater_equal);
  registry.add(Layer::kLogicalAnd, make_logical_and);
  registry.add(Layer::kLogicalOr, make_logical_or);
  registry.add(Layer::kLogicalXor, make_logical_xor);
  registry.add(Layer::kLogicalNot, make_logical_not);
}

}  // namespace mlconv::exec
