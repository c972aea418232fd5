// Activation functions: the classic activation layer (every ActivationParams
// variant, PReLU and parametric softplus per channel on axis -3), clampedReLU,
// gelu in its three modes, and erf. All are elementwise and keep the shape.
#include <cmath>
#include <numbers>
#include <optional>

#include "executor/kernel_registry.h"
#include "executor/kernels/activation_function.h"
#include "executor/kernels/elementwise.h"
#include "executor/layer_weights.h"
#include "executor/simd/vector_math.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

using CoreML::Specification::ActivationParams;
using CoreML::Specification::GeluLayerParams;

// log(1 + e^x) without overflow for large x or lost precision for very negative x.
inline float softplus(float x) { return std::max(x, 0.0F) + std::log1p(std::exp(-std::fabs(x))); }

// A per-channel activation: alpha (and beta) hold 1 value or one per channel of axis -3.
class PerChannelActivation final : public Kernel {
 public:
  enum class Kind { prelu, parametric_softplus };

  PerChannelActivation(Kind kind, std::vector<float> alpha, std::vector<float> beta)
      : kind_(kind), alpha_(std::move(alpha)), beta_(std::move(beta)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const ChwView view = chw_view(in.shape());
    const auto count = static_cast<std::int64_t>(std::max(alpha_.size(), beta_.size()));
    if (count != 1 && count != view.channels)
      throw Error("has " + std::to_string(count) + " per-channel parameters but the input " +
                  shape_to_string(in.shape()) + " has " + std::to_string(view.channels) + " channels (axis -3)");
    out.resize(in.shape());
    const std::int64_t plane = view.height * view.width;
    const std::int64_t planes = view.batch * view.channels;
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, planes, in.size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t p = begin; p < end; ++p) {
        const std::int64_t c = p % view.channels;
        const float a = alpha_.size() == 1 ? alpha_[0] : alpha_[static_cast<std::size_t>(c)];
        const float* src = x + p * plane;
        float* dst = y + p * plane;
        if (kind_ == Kind::prelu) {
          for (std::int64_t i = 0; i < plane; ++i) dst[i] = src[i] >= 0 ? src[i] : a * src[i];
        } else {
          const float b = beta_.size() == 1 ? beta_[0] : beta_[static_cast<std::size_t>(c)];
          for (std::int64_t i = 0; i < plane; ++i) dst[i] = a * softplus(b * src[i]);
        }
      }
    });
  }

 private:
  Kind kind_;
  std::vector<float> alpha_;
  std::vector<float> beta_;
};

// A layer whose function is an ActivationFunction; networks may fold it into the layer before it.
class ActivationKernel final : public Kernel {
 public:
  explicit ActivationKernel(ActivationFunction f) : f_(f) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    out.resize(in.shape());
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, in.size(), in.size(),
                   [&](std::int64_t begin, std::int64_t end) { f_.apply(x + begin, y + begin, end - begin); });
  }

 private:
  ActivationFunction f_;
};

std::unique_ptr<Kernel> make_activation(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  if (const std::optional<ActivationFunction> f = ActivationFunction::of(layer)) return std::make_unique<ActivationKernel>(*f);
  const ActivationParams& p = layer.activation();
  switch (p.NonlinearityType_case()) {
    case ActivationParams::kPReLU: {
      LayerWeights weights(layer);
      return std::make_unique<PerChannelActivation>(PerChannelActivation::Kind::prelu, weights.get("PReLU.alpha"),
                                                    std::vector<float>{});
    }
    case ActivationParams::kELU: {
      const float a = p.elu().alpha();
      return make_unary_kernel(layer, [a](float x) { return x >= 0 ? x : a * std::expm1(x); });
    }
    case ActivationParams::kSoftplus:
      return make_unary_kernel(layer, [](float x) { return softplus(x); });
    case ActivationParams::kParametricSoftplus: {
      LayerWeights weights(layer);
      std::vector<float> alpha = weights.get("parametricSoftplus.alpha");
      std::vector<float> beta = weights.get("parametricSoftplus.beta");
      if (alpha.size() != beta.size() && alpha.size() != 1 && beta.size() != 1)
        throw Error("parametricSoftplus has " + std::to_string(alpha.size()) + " alpha and " +
                    std::to_string(beta.size()) + " beta values; expected equal counts (or 1)");
      return std::make_unique<PerChannelActivation>(PerChannelActivation::Kind::parametric_softplus, std::move(alpha),
                                                    std::move(beta));
    }
    default:  // every other function is an ActivationFunction
      break;
  }
  throw Error("activation has no function set (ActivationParams.NonlinearityType is empty)");
}

std::unique_ptr<Kernel> make_clamped_relu(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<ActivationKernel>(*ActivationFunction::of(layer));
}

std::unique_ptr<Kernel> make_gelu(const Layer& layer, const BuildContext&) {
  switch (layer.gelu().mode()) {
    case GeluLayerParams::EXACT:
      return make_unary_kernel(
          layer, [](float x) { return 0.5F * x * (1.0F + std::erf(x * static_cast<float>(std::numbers::sqrt2 / 2))); });
    case GeluLayerParams::TANH_APPROXIMATION: {
      const auto k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
      return make_unary_kernel(
          layer, [k](float x) { return 0.5F * x * (1.0F + std::tanh(k * (x + 0.044715F * x * x * x))); });
    }
    case GeluLayerParams::SIGMOID_APPROXIMATION:
      return make_unary_kernel(layer, [](float x) { return x * simd::vector_sigmoid(1.702F * x); });
    default:
      break;
  }
  throw Error("gelu mode " + std::to_string(static_cast<int>(layer.gelu().mode())) +
              " is not one of EXACT, TANH_APPROXIMATION, SIGMOID_APPROXIMATION");
}

std::unique_ptr<Kernel> make_erf(const Layer& layer, const BuildContext&) {
  return make_unary_kernel(layer, [](float x) { return std::erf(x); });
}

}  // namespace

void register_activation_kernels(KernelRegistry& registry) {
  registry.add(Layer::kActivation, make_activation);
  registry.add(Layer::kClampedReLU, make_clamped_relu);
  registry.add(Layer::kGelu, make_gelu);
  registry.add(Layer::kErf, make_erf);
}

}  // namespace mlconv::exec
