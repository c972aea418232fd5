// The unary layer (scale and shift, then the function) and the ND one-input math layers.
// Expected values: NumPy expressions in the comments.
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::run_layer;

Tensor one_to_four() { return Tensor({1, 1, 1, 2, 2}, {1, 2, 3, 4}); }

Tensor unary(const std::string& params, Tensor x = one_to_four()) {
  return run_layer(R"(name: "u" input: "x" output: "y" unary { )" + params + " }", {std::move(x)})[0];
}

TEST_CASE("arithmetic: unary functions with scale, shift, epsilon and alpha") {
  const Shape s{1, 1, 1, 2, 2};
  // x = [1, 2, 3, 4]
  check_tensor(unary("type: SQRT scale: 2 shift: 1"), s, {1.73205081F, 2.23606798F, 2.64575131F, 3});  // sqrt(2x+1)
  check_tensor(unary("type: RSQRT"), s, {0.9999995F, 0.7071066F, 0.57735017F, 0.49999994F});  // 1/sqrt(x+1e-6)
  check_tensor(unary("type: INVERSE epsilon: 0.5"), s, {0.66666667F, 0.4F, 0.28571429F, 0.22222222F});  // 1/(x+.5)
  check_tensor(unary("type: POWER alpha: 3 shift: -1"), s, {0, 1, 8, 27});                               // (x-1)**3
  check_tensor(unary("type: EXP scale: 0.5"), s, {1.64872127F, 2.71828183F, 4.48168907F, 7.3890561F});   // exp(x/2)
  check_tensor(unary("type: LOG"), s, {0, 0.69314718F, 1.09861229F, 1.38629436F});
  check_tensor(unary("type: ABS scale: -1 shift: 2.5"), s, {1.5F, 0.5F, 0.5F, 1.5F});  // |2.5 - x|
  check_tensor(unary("type: THRESHOLD alpha: 2.5"), s, {2.5F, 2.5F, 3, 4});            // max(x, 2.5)
  CHECK_THROWS_WITH_AS(unary("type: 12"), "layer 'u' (unary): unary function type 12 is not one of SQRT, RSQRT, INVERSE, "
                                          "POWER, EXP, LOG, ABS, THRESHOLD",
                       Error);
}

Tensor nd(const std::string& layer, std::vector<float> x) {
  const auto n = static_cast<std::int64_t>(x.size());
  return run_layer(R"(name: "f" input: "x" output: "y" )" + layer, {Tensor({n}, std::move(x))})[0];
}

TEST_CASE("arithmetic: clip, ceil, floor, round, sign, exp2") {
  const std::vector<float> r{-2.5F, -1.5F, -0.5F, 0.5F, 1.5F, 2.5F, 2.7F};
  check_tensor(nd("clip { minVal: -1 maxVal: 2 }", r), {7}, {-1, -1, -0.5F, 0.5F, 1.5F, 2, 2});
  check_tensor(nd("ceil {}", r), {7}, {-2, -1, -0.F, 1, 2, 3, 3});
  check_tensor(nd("floor {}", r), {7}, {-3, -2, -1, 0, 1, 2, 2});
  check_tensor(nd("round {}", r), {7}, {-2, -2, -0.F, 0, 2, 2, 3});  // np.around: halves to even
  check_tensor(nd("sign {}", {-3, 0, 2}), {3}, {-1, 0, 1});
  check_tensor(nd("exp2 {}", {-1, 0, 3.5F}), {3}, {0.5F, 1, 11.3137085F});
  CHECK_THROWS_WITH_AS(nd("clip { minVal: 2 maxVal: 1 }", r),
                       "layer 'f' (clip): clip minVal 2.000000 is greater than maxVal 1.000000", Error);
}

TEST_CASE("arithmetic: trigonometric and hyperbolic layers") {
  const std::vector<float> t{-0.5F, 0.25F, 0.9F};
  check_tensor(nd("sin {}", t), {3}, {-0.47942554F, 0.24740396F, 0.78332691F});
  check_tensor(nd("cos {}", t), {3}, {0.87758256F, 0.96891242F, 0.62160997F});
  check_tensor(nd("tan {}", t), {3}, {-0.54630249F, 0.25534192F, 1.26015822F});
  check_tensor(nd("asin {}", t), {3}, {-0.52359878F, 0.25268026F, 1.11976951F});
  check_tensor(nd("acos {}", t), {3}, {2.0943951F, 1.31811607F, 0.45102681F});
  check_tensor(nd("atan {}", t), {3}, {-0.46364761F, 0.24497866F, 0.7328151F});
  check_tensor(nd("sinh {}", t), {3}, {-0.52109531F, 0.25261232F, 1.02651673F});
  check_tensor(nd("cosh {}", t), {3}, {1.12762597F, 1.0314131F, 1.43308639F});
  check_tensor(nd("tanh {}", t), {3}, {-0.46211716F, 0.24491866F, 0.71629787F});
  check_tensor(nd("asinh {}", t), {3}, {-0.48121183F, 0.24746646F, 0.80886694F});
  check_tensor(nd("acosh {}", {1, 2, 3}), {3}, {0, 1.3169579F, 1.76274717F});
  check_tensor(nd("atanh {}", t), {3}, {-0.54930614F, 0.25541281F, 1.47221949F});
  // outside the domain: NaN, as in NumPy
  check_tensor(nd("asin {}", {2}), {1}, {std::numeric_limits<float>::quiet_NaN()});
}

}  // namespace
}  // namespace mlconv::exec
