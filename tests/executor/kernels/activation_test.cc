// Activation kernels: every ActivationParams variant, clampedReLU, gelu modes, erf.
// Expected values: NumPy, with x = np.array([-2., -0.5, 0., 0.5, 3.]) unless noted.
#include <string>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

Tensor five() { return Tensor({1, 1, 1, 1, 5}, {-2.F, -0.5F, 0.F, 0.5F, 3.F}); }

std::vector<float> activate(const std::string& params, const LayerRun& run = {}) {
  const std::string text = R"(name: "act" input: "x" output: "y" activation { )" + params + " }";
  auto out = run_layer(text, {five()}, run);
  REQUIRE(out[0].shape() == Shape{1, 1, 1, 1, 5});
  return {out[0].values().begin(), out[0].values().end()};
}

void check_values(const std::vector<float>& actual, const std::vector<float>& expected, float tol = 1e-6F) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) CHECK(actual[i] == doctest::Approx(expected[i]).epsilon(tol));
}

TEST_CASE("activation: linear, ReLU, leaky and thresholded ReLU") {
  check_values(activate("linear { alpha: 2 beta: 1 }"), {-3, 0, 1, 2, 7});  // 2*x + 1
  check_values(activate("ReLU {}"), {0, 0, 0, 0.5F, 3});
  check_values(activate("leakyReLU { alpha: 0.1 }"), {-0.2F, -0.05F, 0, 0.5F, 3});  // np.where(x>=0,x,0.1*x)
  check_values(activate("thresholdedReLU { alpha: 1 }"), {0, 0, 0, 0, 3});        // np.where(x>=1,x,0)
}

TEST_CASE("activation: tanh, scaledTanh, sigmoid, sigmoidHard") {
  check_values(activate("tanh {}"), {-0.96402758F, -0.46211716F, 0, 0.46211716F, 0.99505475F});
  // 2*np.tanh(0.5*x)
  check_values(activate("scaledTanh { alpha: 2 beta: 0.5 }"), {-1.52318831F, -0.48983732F, 0, 0.48983732F, 1.81029651F});
  check_values(activate("sigmoid {}"), {0.11920292F, 0.37754067F, 0.5F, 0.62245933F, 0.95257413F});
  check_values(activate("sigmoidHard { alpha: 0.2 beta: 0.5 }"), {0.1F, 0.4F, 0.5F, 0.6F, 1});  // clip(0.2x+0.5,0,1)
}

TEST_CASE("activation: ELU, softsign, softplus") {
  // np.where(x>=0, x, 1.5*(np.exp(x)-1))
  check_values(activate("ELU { alpha: 1.5 }"), {-1.29699708F, -0.59020401F, 0, 0.5F, 3});
  check_values(activate("softsign {}"), {-2.F / 3, -1.F / 3, 0, 1.F / 3, 0.75F});
  check_values(activate("softplus {}"), {0.12692801F, 0.47407698F, 0.69314718F, 0.97407698F, 3.04858735F});
}

TEST_CASE("activation: softplus and sigmoid stay finite for large inputs") {
  auto out = run_layer(R"(name: "a" input: "x" output: "y" activation { softplus {} })",
                       {Tensor({1, 1, 1, 1, 2}, {-200.F, 200.F})});
  check_tensor(out[0], {1, 1, 1, 1, 2}, {0.F, 200.F});
  out = run_layer(R"(name: "a" input: "x" output: "y" activation { sigmoid {} })", {Tensor({1, 1, 1, 1, 2}, {-200.F, 200.F})});
  check_tensor(out[0], {1, 1, 1, 1, 2}, {0.F, 1.F});
}

TEST_CASE("activation: PReLU and parametricSoftplus per channel of axis -3") {
  // xp = [[-1,2,-3],[-4,5,-6]] as [C=2,H=1,W=3]; alpha = [0.5, 0.25] per channel
  auto out = run_layer(R"(name: "p" input: "x" output: "y" activation { PReLU { alpha { floatValue: [0.5, 0.25] } } })",
                       {testing::rank5(2, 1, 3, {-1, 2, -3, -4, 5, -6})});
  check_tensor(out[0], {1, 1, 2, 1, 3}, {-0.5F, 2, -1.5F, -1, 5, -1.5F});
  // one alpha for all channels
  out = run_layer(R"(name: "p" input: "x" output: "y" activation { PReLU { alpha { floatValue: 2 } } })",
                  {testing::rank5(2, 1, 1, {-1, 3})});
  check_tensor(out[0], {1, 1, 2, 1, 1}, {-2, 3});
  // al=[1,2], be=[1,0.5]: al*np.log1p(np.exp(be*xp))
  out = run_layer(R"(name: "p" input: "x" output: "y" activation { parametricSoftplus {
                       alpha { floatValue: [1, 2] } beta { floatValue: [1, 0.5] } } })",
                  {testing::rank5(2, 1, 3, {-1, 2, -3, -4, 5, -6})});
  check_tensor(out[0], {1, 1, 2, 1, 3}, {0.31326169F, 2.12692801F, 0.04858735F, 0.25385602F, 5.15777947F, 0.0971747F});
}

TEST_CASE("activation: PReLU with the wrong channel count or no alpha fails") {
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "p" input: "x" output: "y" activation { PReLU { alpha { floatValue: [0.5, 0.25, 1] } } })",
                {testing::rank5(2, 1, 1, {-1, 3})}),
      "layer 'p' (activation): has 3 per-channel parameters but the input [1, 1, 2, 1, 1] has 2 channels (axis -3)",
      Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" activation { PReLU {} })",
                                 {testing::rank5(2, 1, 1, {-1, 3})}),
                       "layer 'p' (activation): weights 'PReLU.alpha' are missing", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" activation { })", {five()}),
                       "layer 'p' (activation): activation has no function set (ActivationParams.NonlinearityType is empty)",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: ["x", "z"] output: "y" activation { ReLU {} })", {five(), five()}),
                       "layer 'p' (activation): has 2 inputs; expected 1 input", Error);
}

TEST_CASE("activation: clampedReLU") {
  auto out = run_layer(R"(name: "c" input: "x" output: "y" clampedReLU { alpha: 0.5 beta: 1 })", {five()});
  check_tensor(out[0], {1, 1, 1, 1, 5}, {-1, -0.25F, 0, 0.5F, 1});  // np.minimum(1, np.where(x>=0,x,0.5*x))
}

TEST_CASE("activation: gelu in its three modes and erf") {
  auto out = run_layer(R"(name: "g" input: "x" output: "y" gelu { mode: EXACT })", {five()});
  // 0.5*x*(1+erf(x/sqrt(2)))
  check_tensor(out[0], {1, 1, 1, 1, 5}, {-0.04550026F, -0.15426877F, 0, 0.34573123F, 2.99595031F});
  out = run_layer(R"(name: "g" input: "x" output: "y" gelu { mode: TANH_APPROXIMATION })", {five()});
  // 0.5*x*(1+np.tanh(np.sqrt(2/np.pi)*(x+0.044715*x**3)))
  check_tensor(out[0], {1, 1, 1, 1, 5}, {-0.04540231F, -0.15428599F, 0, 0.34571401F, 2.99636261F});
  out = run_layer(R"(name: "g" input: "x" output: "y" gelu { mode: SIGMOID_APPROXIMATION })", {five()});
  // x/(1+np.exp(-1.702*x))
  check_tensor(out[0], {1, 1, 1, 1, 5}, {-0.06434138F, -0.14961156F, 0, 0.35038844F, 2.98192869F});
  out = run_layer(R"(name: "e" input: "x" output: "y" erf {})", {five()});
  check_tensor(out[0], {1, 1, 1, 1, 5}, {-0.99532227F, -0.52049988F, 0, 0.52049988F, 0.99997791F});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "x" output: "y" gelu { mode: 7 })", {five()}),
                       "layer 'g' (gelu): gelu mode 7 is not one of EXACT, TANH_APPROXIMATION, SIGMOID_APPROXIMATION",
                       Error);
}

TEST_CASE("activation: large tensors split across threads give the same values") {
  const std::int64_t n = 200000;
  std::vector<float> values(static_cast<std::size_t>(n));
  std::vector<float> expected(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(static_cast<std::int64_t>(i % 7) - 3);
    expected[i] = values[i] >= 0 ? values[i] : 0.25F * values[i];  // leaky ReLU by hand
  }
  auto out = run_layer(R"(name: "l" input: "x" output: "y" activation { leakyReLU { alpha: 0.25 } })",
                       {Tensor({1, 1, 2, 100, 1000}, values)}, LayerRun{.threads = 2});
  check_tensor(out[0], {1, 1, 2, 100, 1000}, expected);
  // PReLU on 2 channels, many planes
  std::vector<float> prelu_expected(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float a = (i / 100000) == 0 ? 0.5F : 0.125F;
    prelu_expected[i] = values[i] >= 0 ? values[i] : a * values[i];
  }
  out = run_layer(R"(name: "p" input: "x" output: "y" activation { PReLU { alpha { floatValue: [0.5, 0.125] } } })",
                  {Tensor({1, 1, 2, 100, 1000}, values)}, LayerRun{.threads = 2});
  check_tensor(out[0], {1, 1, 2, 100, 1000}, prelu_expected);
}

}  // namespace
}  // namespace mlconv::exec
