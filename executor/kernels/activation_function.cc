// One tight loop per activation, so each vectorizes on its own; the kind is
// chosen once per call, never per element.
#include "executor/kernels/activation_function.h"

#include <algorithm>
#include <cmath>

#include "executor/simd/vector_math.h"

namespace mlconv::exec {

namespace {

using CoreML::Specification::ActivationParams;

template <typename F>
void each(const float* x, float* y, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

}  // namespace

std::optional<ActivationFunction> ActivationFunction::of(const Layer& layer) {
  if (layer.layer_case() == Layer::kClampedReLU)
    return ActivationFunction(Kind::clamped_relu, layer.clampedrelu().alpha(), layer.clampedrelu().beta());
  if (layer.layer_case() != Layer::kActivation) return std::nullopt;
  const ActivationParams& p = layer.activation();
  switch (p.NonlinearityType_case()) {
    case ActivationParams::kReLU: return ActivationFunction(Kind::relu, 0, 0);
    case ActivationParams::kLeakyReLU: return ActivationFunction(Kind::leaky_relu, p.leakyrelu().alpha(), 0);
    case ActivationParams::kThresholdedReLU:
      return ActivationFunction(Kind::thresholded_relu, p.thresholdedrelu().alpha(), 0);
    case ActivationParams::kLinear: return ActivationFunction(Kind::linear, p.linear().alpha(), p.linear().beta());
    case ActivationParams::kSigmoid: return ActivationFunction(Kind::sigmoid, 0, 0);
    case ActivationParams::kSigmoidHard:
      return ActivationFunction(Kind::sigmoid_hard, p.sigmoidhard().alpha(), p.sigmoidhard().beta());
    case ActivationParams::kTanh: return ActivationFunction(Kind::tanh, 0, 0);
    case ActivationParams::kScaledTanh:
      return ActivationFunction(Kind::scaled_tanh, p.scaledtanh().alpha(), p.scaledtanh().beta());
    case ActivationParams::kSoftsign: return ActivationFunction(Kind::softsign, 0, 0);
    default: return std::nullopt;
  }
}

void ActivationFunction::apply(const float* x, float* y, std::int64_t n) const {
  const float a = a_;
  const float b = b_;
  switch (kind_) {
    case Kind::relu: return each(x, y, n, [](float v) { return std::max(v, 0.0F); });
    case Kind::leaky_relu: return each(x, y, n, [a](float v) { return v >= 0 ? v : a * v; });
    case Kind::clamped_relu: return each(x, y, n, [a, b](float v) { return std::min(b, v >= 0 ? v : a * v); });
    case Kind::thresholded_relu: return each(x, y, n, [a](float v) { return v >= a ? v : 0.0F; });
    case Kind::linear: return each(x, y, n, [a, b](float v) { return a * v + b; });
    case Kind::sigmoid: return each(x, y, n, [](float v) { return simd::vector_sigmoid(v); });
    case Kind::sigmoid_hard:
      return each(x, y, n, [a, b](float v) { return std::min(std::max(a * v + b, 0.0F), 1.0F); });
    case Kind::tanh: return each(x, y, n, [](float v) { return std::tanh(v); });
    case Kind::scaled_tanh: return each(x, y, n, [a, b](float v) { return a * std::tanh(b * v); });
    case Kind::softsign: return each(x, y, n, [](float v) { return v / (1.0F + std::fabs(v)); });
  }
}

}  // namespace mlconv::exec
