// The elementwise activations a producing layer can apply to its own output
// as it writes it (ReLU, leaky/clamped/thresholded ReLU, linear, sigmoid, hard
// sigmoid, tanh, scaled tanh, softsign). The activation layers run the same
// code, so a fused pair computes exactly what the two layers compute apart.
#pragma once

#include <cstdint>
#include <optional>

#include "executor/kernel.h"

namespace mlconv::exec {

class ActivationFunction {
 public:
  enum class Kind { relu, leaky_relu, clamped_relu, thresholded_relu, linear, sigmoid, sigmoid_hard, tanh, scaled_tanh,
                    softsign };

  // The function of an activation or clampedReLU layer, or nothing for other
  // layers and for activations outside the list above (PReLU, ELU, softplus...).
  static std::optional<ActivationFunction> of(const Layer& layer);

  // y[i] = f(x[i]) for i < n; y may be x.
  void apply(const float* x, float* y, std::int64_t n) const;
  void apply_in_place(float* y, std::int64_t n) const { apply(y, y, n); }

 private:
  ActivationFunction(Kind kind, float a, float b) : kind_(kind), a_(a), b_(b) {}

  Kind kind_;
  float a_;
  float b_;
};

}  // namespace mlconv::exec
