// Elementwise math of one input: the classic unary layer (scale and shift
// first, then the function) and the ND layers clip, ceil, floor, round, sign,
// exp2 and the trigonometric and hyperbolic functions.
#include <cmath>

#include "executor/kernels/arithmetic_parts.h"
#include "executor/kernels/elementwise.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

using CoreML::Specification::UnaryFunctionLayerParams;

std::unique_ptr<Kernel> make_unary(const Layer& layer, const BuildContext&) {
  const UnaryFunctionLayerParams& p = layer.unary();
  // proto3 cannot tell 0 from unset; the spec makes 0 mean the default for these two.
  const float scale = or_default(p.scale(), 1.0F);
  const float eps = or_default(p.epsilon(), 1e-6F);
  const float shift = p.shift();
  const float alpha = p.alpha();
  switch (p.type()) {
    case UnaryFunctionLayerParams::SQRT:
      return make_unary_kernel(layer, [=](float x) { return std::sqrt(scale * x + shift); });
    case UnaryFunctionLayerParams::RSQRT:
      return make_unary_kernel(layer, [=](float x) { return 1.0F / std::sqrt(scale * x + shift + eps); });
    case UnaryFunctionLayerParams::INVERSE:
      return make_unary_kernel(layer, [=](float x) { return 1.0F / (scale * x + shift + eps); });
    case UnaryFunctionLayerParams::POWER:
      return make_unary_kernel(layer, [=](float x) { return std::pow(scale * x + shift, alpha); });
    case UnaryFunctionLayerParams::EXP:
      return make_unary_kernel(layer, [=](float x) { return std::exp(scale * x + shift); });
    case UnaryFunctionLayerParams::LOG:
      return make_unary_kernel(layer, [=](float x) { return std::log(scale * x + shift); });
    case UnaryFunctionLayerParams::ABS:
      return make_unary_kernel(layer, [=](float x) { return std::fabs(scale * x + shift); });
    case UnaryFunctionLayerParams::THRESHOLD:
      return make_unary_kernel(layer, [=](float x) { return std::max(alpha, scale * x + shift); });
    default:
      break;
  }
  throw Error("unary function type " + std::to_string(static_cast<int>(p.type())) +
              " is not one of SQRT, RSQRT, INVERSE, POWER, EXP, LOG, ABS, THRESHOLD");
}

std::unique_ptr<Kernel> make_clip(const Layer& layer, const BuildContext&) {
  const float lo = layer.clip().minval();
  const float hi = layer.clip().maxval();
  if (lo > hi)
    throw Error("clip minVal " + std::to_string(lo) + " is greater than maxVal " + std::to_string(hi));
  return make_unary_kernel(layer, [lo, hi](float x) { return std::min(std::max(x, lo), hi); });
}

// Core ML's sign of 0 is 0; NaN stays NaN.
inline float sign_of(float x) { return x > 0 ? 1.0F : (x < 0 ? -1.0F : x); }

#define MLCONV_UNARY_FACTORY(name, expr)                                    \
  std::unique_ptr<Kernel> make_##name(const Layer& layer, const BuildContext&) { \
    return make_unary_kernel(layer, [](float x) { return expr; });          \
  }

MLCONV_UNARY_FACTORY(ceil, std::ceil(x))
MLCONV_UNARY_FACTORY(floor, std::floor(x))
// Halves go to the even neighbour, like NumPy's around (coremltools' reference for this layer).
MLCONV_UNARY_FACTORY(round, std::nearbyint(x))
MLCONV_UNARY_FACTORY(sign, sign_of(x))
MLCONV_UNARY_FACTORY(exp2, std::exp2(x))
MLCONV_UNARY_FACTORY(sin, std::sin(x))
MLCONV_UNARY_FACTORY(cos, std::cos(x))
MLCONV_UNARY_FACTORY(tan, std::tan(x))
MLCONV_UNARY_FACTORY(asin, std::asin(x))
MLCONV_UNARY_FACTORY(acos, std::acos(x))
MLCONV_UNARY_FACTORY(atan, std::atan(x))
MLCONV_UNARY_FACTORY(sinh, std::sinh(x))
MLCONV_UNARY_FACTORY(cosh, std::cosh(x))
MLCONV_UNARY_FACTORY(tanh, std::tanh(x))
MLCONV_UNARY_FACTORY(asinh, std::asinh(x))
MLCONV_UNARY_FACTORY(acosh, std::acosh(x))
MLCONV_UNARY_FACTORY(atanh, std::atanh(x))

#undef MLCONV_UNARY_FACTORY

}  // namespace

void register_arithmetic_unary_kernels(KernelRegistry& registry) {
  registry.add(Layer::kUnary, make_unary);
  registry.add(Layer::kClip, make_clip);
  registry.add(Layer::kCeil, make_ceil);
  registry.add(Layer::kFloor, make_floor);
  registry.add(Layer::kRound, make_round);
  registry.add(Layer::kSign, make_sign);
  registry.add(Layer::kExp2, make_exp2);
  registry.add(Layer::kSin, make_sin);
  registry.add(Layer::kCos, make_cos);
  registry.add(Layer::kTan, make_tan);
  registry.add(Layer::kAsin, make_asin);
  registry.add(Layer::kAcos, make_acos);
  registry.add(Layer::kAtan, make_atan);
  registry.add(Layer::kSinh, make_sinh);
  registry.add(Layer::kCosh, make_cosh);
  registry.add(Layer::kTanh, make_tanh);
  registry.add(Layer::kAsinh, make_asinh);
  registry.add(Layer::kAcosh, make_acosh);
  registry.add(Layer::kAtanh, make_atanh);
}

}  // namespace mlconv::exec
