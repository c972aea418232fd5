// Classic (spec 1-3) arithmetic: add, multiply, average, max, min over N
// inputs (or one input and alpha), scale and bias by a [1]/[C]/[1,H,W]/[C,H,W]
// parameter, the dot product of two [C,1,1] vectors, and the constant
// layers loadConstant and loadConstantND. Registers the family's other files.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "executor/kernel_registry.h"
#include "executor/kernels/arithmetic_parts.h"
#include "executor/kernels/elementwise.h"
#include "executor/layer_weights.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

enum class Fold { add, multiply, average, max, min };

// The classic layers broadcast with NumPy rules across every input; the
// spec's allowed pairs ([B,1,1,1], [B,C,1,1], [B,1,H,W] against [B,C,H,W]) are
// all covered, and the output takes the broadcast shape.
class ClassicElementwise final : public Kernel {
 public:
  ClassicElementwise(Fold fold, float alpha) : fold_(fold), alpha_(alpha) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    Tensor& out = *outputs[0];
    if (inputs.size() == 1) {
      const float a = alpha_;
      switch (fold_) {
        case Fold::add: map_unary(*inputs[0], out, ctx, [a](float x) { return x + a; }); return;
        case Fold::multiply: map_unary(*inputs[0], out, ctx, [a](float x) { return x * a; }); return;
        default: map_unary(*inputs[0], out, ctx, [](float x) { return x; }); return;
      }
    }
    fold_into(*inputs[0], *inputs[1], out, ctx);
    for (std::size_t k = 2; k < inputs.size(); ++k) {
      const Shape grown = broadcast_shapes(out.shape(), inputs[k]->shape());
      if (grown == out.shape()) {
        fold_into(out, *inputs[k], out, ctx);  // in place: out already has the result's shape
      } else {
        fold_into(out, *inputs[k], scratch_, ctx);
        std::swap(out, scratch_);
      }
    }
    if (fold_ == Fold::average) {
      const float inv = 1.0F / static_cast<float>(inputs.size());
      float* y = out.data();
      parallel_range(ctx, out.size(), out.size(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) y[i] *= inv;
      });
    }
  }

 private:
  // out = a (op) b; `out` may be `a` when a has the broadcast shape.
  void fold_into(const Tensor& a, const Tensor& b, Tensor& out, RunContext& ctx) const {
    const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape());
    if (&out != &a) out.resize(plan.out);
    switch (fold_) {
      case Fold::add:
      case Fold::average:
        broadcast_apply(plan, a.data(), b.data(), out.data(), ctx, [](float x, float y) { return x + y; });
        break;
      case Fold::multiply:
        broadcast_apply(plan, a.data(), b.data(), out.data(), ctx, [](float x, float y) { return x * y; });
        break;
      case Fold::max:
        broadcast_apply(plan, a.data(), b.data(), out.data(), ctx, [](float x, float y) { return std::max(x, y); });
        break;
      case Fold::min:
        broadcast_apply(plan, a.data(), b.data(), out.data(), ctx, [](float x, float y) { return std::min(x, y); });
        break;
    }
  }

  Fold fold_;
  float alpha_;
  Tensor scratch_;
};

std::unique_ptr<Kernel> make_add(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, -1);
  return std::make_unique<ClassicElementwise>(Fold::add, layer.add().alpha());
}
std::unique_ptr<Kernel> make_multiply(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, -1);
  return std::make_unique<ClassicElementwise>(Fold::multiply, layer.multiply().alpha());
}
std::unique_ptr<Kernel> make_average(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, -1);
  return std::make_unique<ClassicElementwise>(Fold::average, 0.0F);
}
std::unique_ptr<Kernel> make_max(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, -1);
  return std::make_unique<ClassicElementwise>(Fold::max, 0.0F);
}
std::unique_ptr<Kernel> make_min(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, -1);
  return std::make_unique<ClassicElementwise>(Fold::min, 0.0F);
}

// A scale or bias parameter as a rank-3 [C|1, H|1, W|1] tensor.
Tensor chw_parameter(const google::protobuf::RepeatedField<std::uint64_t>& shape, std::vector<float> values,
                     const std::string& what) {
  Shape dims;
  switch (shape.size()) {
    case 0:
    case 1: dims = {shape.empty() ? 1 : static_cast<std::int64_t>(shape[0]), 1, 1}; break;
    case 3: dims = {static_cast<std::int64_t>(shape[0]), static_cast<std::int64_t>(shape[1]),
                    static_cast<std::int64_t>(shape[2])}; break;
    default: break;
  }
  if (dims.empty())
    throw Error(what + " shape has " + std::to_string(shape.size()) + " dimensions; expected [1], [C], [1, H, W] or [C, H, W]");
  for (std::int64_t d : dims)
    if (d <= 0 || d > (std::int64_t{1} << 40)) throw Error(what + " shape " + shape_to_string(dims) + " has an invalid dimension");
  const std::int64_t count = element_count(dims);
  if (count != static_cast<std::int64_t>(values.size()))
    throw Error(what + " has " + std::to_string(values.size()) + " values but its shape " + shape_to_string(dims) +
                " needs " + std::to_string(count));
  return Tensor(dims, std::move(values));
}

// y = x * scale (+ bias), the parameters broadcast over [batch, C, H, W].
class ScaleBias final : public Kernel {
 public:
  ScaleBias(std::optional<Tensor> scale, std::optional<Tensor> bias) : scale_(std::move(scale)), bias_(std::move(bias)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const ChwView v = chw_view(in.shape());
    const Shape view = {v.batch, v.channels, v.height, v.width};
    out.resize(in.shape());
    const float* src = in.data();
    if (scale_) {
      const BroadcastPlan plan = checked_plan(view, *scale_, "scale");
      broadcast_apply(plan, src, scale_->data(), out.data(), ctx, [](float x, float s) { return x * s; });
      src = out.data();
    }
    if (bias_) {
      const BroadcastPlan plan = checked_plan(view, *bias_, "bias");
      broadcast_apply(plan, src, bias_->data(), out.data(), ctx, [](float x, float b) { return x + b; });
    }
  }

 private:
  static BroadcastPlan checked_plan(const Shape& view, const Tensor& param, const char* what) {
    const auto& p = param.shape();
    for (std::size_t i = 0; i < 3; ++i) {
      if (p[i] != 1 && p[i] != view[i + 1])
        throw Error(std::string(what) + " of shape " + shape_to_string(p) + " does not fit the input's [C, H, W] = " +
                    shape_to_string(std::span(view).subspan(1)));
    }
    return plan_broadcast(view, p);
  }

  std::optional<Tensor> scale_;
  std::optional<Tensor> bias_;
};

std::unique_ptr<Kernel> make_scale(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  const auto& p = layer.scale();
  LayerWeights weights(layer);
  Tensor scale = chw_parameter(p.shapescale(), weights.get("scale"), "scale");
  std::optional<Tensor> bias;
  if (p.hasbias()) bias = chw_parameter(p.shapebias(), weights.get("bias"), "bias");
  return std::make_unique<ScaleBias>(std::move(scale), std::move(bias));
}

std::unique_ptr<Kernel> make_bias(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  LayerWeights weights(layer);
  return std::make_unique<ScaleBias>(std::nullopt, chw_parameter(layer.bias().shape(), weights.get("bias"), "bias"));
}

// Per batch item, the dot product (or cosine similarity) of two [C, H, W] blocks; output [.., 1, 1, 1].
class DotProduct final : public Kernel {
 public:
  explicit DotProduct(bool cosine) : cosine_(cosine) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& a = *inputs[0];
    const Tensor& b = *inputs[1];
    if (a.shape() != b.shape())
      throw Error("inputs have shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) +
                  "; expected equal shapes");
    const ChwView v = chw_view(a.shape());
    const std::int64_t n = v.channels * v.height * v.width;
    Tensor& out = *outputs[0];
    out.resize(chw_shape(v.leading, 1, 1, 1));
    const float* pa = a.data();
    const float* pb = b.data();
    float* y = out.data();
    parallel_range(ctx, v.batch, a.size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const float* x1 = pa + i * n;
        const float* x2 = pb + i * n;
        double dot = 0;
        double n1 = 0;
        double n2 = 0;
        for (std::int64_t k = 0; k < n; ++k) {
          dot += static_cast<double>(x1[k]) * x2[k];
          n1 += static_cast<double>(x1[k]) * x1[k];
          n2 += static_cast<double>(x2[k]) * x2[k];
        }
        // A zero vector has no direction; its cosine similarity is taken as 0 rather than NaN.
        const double denom = std::sqrt(n1 * n2);
        y[i] = static_cast<float>(!cosine_ ? dot : (denom > 0 ? dot / denom : 0.0));
      }
    });
  }

 private:
  bool cosine_;
};

std::unique_ptr<Kernel> make_dot(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 2, 2);
  return std::make_unique<DotProduct>(layer.dot().cosinesimilarity());
}

class Constant final : public Kernel {
 public:
  explicit Constant(Tensor value) : value_(std::move(value)) {}
  void run(std::span<const Tensor* const>, std::span<Tensor* const> outputs, RunContext&) override {
    Tensor& out = *outputs[0];
    out.resize(value_.shape());
    std::copy(value_.values().begin(), value_.values().end(), out.data());
  }

 private:
  Tensor value_;
};

Shape checked_shape(const google::protobuf::RepeatedField<std::uint64_t>& shape) {
  Shape dims;
  for (std::uint64_t d : shape) {
    if (d == 0 || d > (std::uint64_t{1} << 40)) throw Error("shape has dimension " + std::to_string(d) + "; expected 1 or more");
    dims.push_back(static_cast<std::int64_t>(d));
  }
  return dims;
}

std::unique_ptr<Kernel> make_load_constant(const Layer& layer, const BuildContext& build) {
  expect_arity(layer, 0, 0);
  const auto& p = layer.loadconstant();
  if (p.shape_size() != 3) throw Error("shape has " + std::to_string(p.shape_size()) + " dimensions; expected [C, H, W]");
  Shape dims = checked_shape(p.shape());
  std::vector<float> data = LayerWeights(layer).get("data", element_count(dims));
  if (build.array_mapping == ShapeMapping::rank5) dims.insert(dims.begin(), {1, 1});
  return std::make_unique<Constant>(Tensor(dims, std::move(data)));
}

std::unique_ptr<Kernel> make_load_constant_nd(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 0, 0);
  const auto& p = layer.loadconstantnd();
  if (p.shape_size() == 0) throw Error("shape is empty; expected at least one dimension");
  Shape dims = checked_shape(p.shape());
  std::vector<float> data = LayerWeights(layer).get("data", element_count(dims));
  return std::make_unique<Constant>(Tensor(dims, std::move(data)));
}

}  // namespace

void register_arithmetic_kernels(KernelRegistry& registry) {
  registry.add(Layer::kAdd, make_add);
  registry.add(Layer::kMultiply, make_multiply);
  registry.add(Layer::kAverage, make_average);
  registry.add(Layer::kMax, make_max);
  registry.add(Layer::kMin, make_min);
  registry.add(Layer::kScale, make_scale);
  registry.add(Layer::kBias, make_bias);
  registry.add(Layer::kDot, make_dot);
  registry.add(Layer::kLoadConstant, make_load_constant);
  registry.add(Layer::kLoadConstantND, make_load_constant_nd);
  register_arithmetic_unary_kernels(registry);
  register_arithmetic_broadcast_kernels(registry);
}

}  // namespace mlconv::exec
