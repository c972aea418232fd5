// pooling, pooling3d and globalPooling3d kernels against NumPy references.
// The reference slides each window over the padded input, clips it to the
// input plus its trailing padding (Caffe's rule, which only matters for
// includeLastPixel), and takes max over real elements / sum / sqrt of squares.
#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::pattern_tensor;
using testing::run_layer;

constexpr float tol = 1e-5F;

TEST_CASE("pooling: MAX with explicit valid padding skips the padding") {
  // X((1,2,5,6)), kernel (2,3), stride 2, pads top 1 bottom 0 left 1 right 2
  const auto out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: MAX kernelSize: [2, 3] stride: [2, 2]
      valid { paddingAmounts { borderAmounts { startEdgeSize: 1 } borderAmounts { startEdgeSize: 1 endEdgeSize: 2 } } } })",
                             {pattern_tensor({1, 1, 2, 5, 6})});
  check_tensor(out[0], {1, 1, 2, 3, 4}, {0.375, 1, 1, -1.25, 1.25, 1.25, 0.75, 0.625, 1.375, 1, 0.875, 0.5, 1.125, 1.125, 0.625, -0.5, 1.25, 0.875, 1.375, 1.375, 1.125, 1, 1.25, 1.25});
}

TEST_CASE("pooling: AVERAGE with same padding, padding counted or excluded") {
  // X((1,1,5,6)), kernel 3, stride 2, BOTTOM_RIGHT_HEAVY: pads top 1 bottom 1, left 0 right 1
  const char* counted = R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE kernelSize: [3, 3] stride: [2, 2] same { } })";
  const char* excluded = R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE kernelSize: [3, 3] stride: [2, 2]
      same { } avgPoolExcludePadding: true })";
  auto out = run_layer(counted, {pattern_tensor({1, 1, 1, 5, 6})});
  check_tensor(out[0], {1, 1, 1, 3, 3}, {-0.0833333333, 0.0138888889, -0.208333333, 0.291666667, -0.0416666667, -0.194444444, 0.152777778, -0.0694444444, -0.263888889}, tol);
  out = run_layer(excluded, {pattern_tensor({1, 1, 1, 5, 6})});
  check_tensor(out[0], {1, 1, 1, 3, 3}, {-0.125, 0.0208333333, -0.46875, 0.291666667, -0.0416666667, -0.291666667, 0.229166667, -0.104166667, -0.59375}, tol);
}

TEST_CASE("pooling: L2 is the square root of the window's sum of squares") {
  // X((1,1,3,4)), kernel 2, stride 1, valid: sqrt(sum(window ** 2))
  const auto out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: L2 kernelSize: [2, 2] valid { } })",
                             {pattern_tensor({1, 1, 1, 3, 4})});
  check_tensor(out[0], {1, 1, 1, 2, 3}, {1.89983552, 1.58607219, 1.48429276, 1.6863422, 1.75445861, 1.51554446}, tol);
}

TEST_CASE("pooling: includeLastPixel adds a last window clipped at the padded edge") {
  // X((1,1,6,6)), kernel 3, stride 2, padding 1: ceil((6 + 2 - 3) / 2) + 1 = 4 windows starting at -1, 1, 3, 5;
  // the last one is clipped to 6 + 1, so it covers 2 rows (divisor) of which 1 is real (excluded-padding count)
  const char* base = R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE kernelSize: [3, 3] stride: [2, 2] )";
  auto out = run_layer(std::string(base) + "includeLastPixel { paddingAmounts: [1, 1] } }", {pattern_tensor({1, 1, 1, 6, 6})});
  check_tensor(out[0], {1, 1, 1, 4, 4}, {-0.125, 0.125, -0.0972222222, -0.104166667, 0.25, 0.125, -0.208333333, -0.1875, 0.194444444, 0.0416666667, -0.291666667, -0.229166667, 0.0833333333, 0, -0.166666667, -0.125}, tol);
  out = run_layer(std::string(base) + "includeLastPixel { paddingAmounts: [1, 1] } avgPoolExcludePadding: true }",
                  {pattern_tensor({1, 1, 1, 6, 6})});
  check_tensor(out[0], {1, 1, 1, 4, 4}, {-0.28125, 0.1875, -0.145833333, -0.3125, 0.375, 0.125, -0.208333333, -0.375, 0.291666667, 0.0416666667, -0.291666667, -0.458333333, 0.25, 0, -0.333333333, -0.5}, tol);
  // Without padding: windows at 0, 2, 4; the last covers 2 of its 3 rows and columns
  out = run_layer(std::string(base) + "includeLastPixel { } }", {pattern_tensor({1, 1, 1, 6, 6})});
  check_tensor(out[0], {1, 1, 1, 3, 3}, {0.0138888889, 0, -0.25, 0.25, -0.0833333333, -0.333333333, 0.1875, -0.145833333, -0.15625}, tol);
}

TEST_CASE("pooling: global pooling ignores kernel, stride and padding") {
  // X((2,1,2,3,4)).mean(axis=(-1,-2)) and .max(axis=(-1,-2))
  auto out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE kernelSize: [2, 2] stride: [2, 2]
      valid { } globalPooling: true })", {pattern_tensor({2, 1, 2, 3, 4})});
  check_tensor(out[0], {2, 1, 2, 1, 1}, {-0.135416667, 0.0208333333, -0.0625, 0.09375}, tol);
  out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: MAX globalPooling: true same { } })",
                  {pattern_tensor({2, 1, 2, 3, 4})});
  check_tensor(out[0], {2, 1, 2, 1, 1}, {1.125, 1.375, 1.125, 1.375}, tol);
  // Keras' converter writes kernelSize and stride [0, 0] for global pooling.
  out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE kernelSize: [0, 0] stride: [0, 0]
      valid { } globalPooling: true })", {pattern_tensor({2, 1, 2, 3, 4})});
  check_tensor(out[0], {2, 1, 2, 1, 1}, {-0.135416667, 0.0208333333, -0.0625, 0.09375}, tol);
}

TEST_CASE("pooling: multi-threaded MAX over many planes") {
  // X((1,1,6,40,36)), kernel 3, stride 2, pads bottom 1 right 1 -> [6, 20, 18]
  const auto out = run_layer(R"(name: "p" input: "x" output: "y" pooling { type: MAX kernelSize: [3, 3] stride: [2, 2]
      valid { paddingAmounts { borderAmounts { endEdgeSize: 1 } borderAmounts { endEdgeSize: 1 } } } })",
                             {pattern_tensor({1, 1, 6, 40, 36})}, {.threads = 2});
  testing::check_summary(out[0], {1, 1, 6, 20, 18}, 2631.5, 10511.625);
}

TEST_CASE("pooling: parameter and shape errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" pooling { kernelSize: [3, 3, 3] })",
                                 {pattern_tensor({1, 1, 1, 4, 4})}),
                       "layer 'p' (pooling): kernelSize must have 2 values [H, W]; got 3", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" pooling { kernelSize: [5, 2] valid { } })",
                                 {pattern_tensor({1, 1, 1, 4, 4})}),
                       "layer 'p' (pooling): the height window 5 is larger than the padded input height 4 "
                       "(input 4 + padding 0)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" pooling { stride: [0, 1] })",
                                 {pattern_tensor({1, 1, 1, 4, 4})}),
                       "layer 'p' (pooling): stride values must be positive; got 0", Error);
}

TEST_CASE("pooling3d: the spec's MAX example") {
  // arange(1, 19).reshape(1,1,2,3,3), kernel 2x2x2, stride 1, valid
  std::vector<float> values;
  for (int i = 1; i <= 18; ++i) values.push_back(static_cast<float>(i));
  const auto out = run_layer(R"(name: "p" input: "x" output: "y" pooling3d { type: MAX kernelDepth: 2 kernelHeight: 2
      kernelWidth: 2 strideDepth: 1 strideHeight: 1 strideWidth: 1 paddingType: VALID })",
                             {Tensor({1, 1, 2, 3, 3}, values)}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 1, 1, 2, 2}, {14, 15, 17, 18});
}

TEST_CASE("pooling3d: AVERAGE with same padding, counted or excluded; MAX with custom padding") {
  // X((1,2,3,4,5)), kernel (2,3,2), stride (2,1,2), SAME: pads depth (0,1), height (1,1), width (0,1)
  const char* base = R"(name: "p" input: "x" output: "y" pooling3d { type: AVERAGE kernelDepth: 2 kernelHeight: 3
      kernelWidth: 2 strideDepth: 2 strideHeight: 1 strideWidth: 2 paddingType: SAME )";
  auto out = run_layer(std::string(base) + "countExcludePadding: true }", {pattern_tensor({1, 2, 3, 4, 5})},
                       {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 2, 4, 3}, {-0.1875, -0.28125, 0.1875, -0.125, -0.21875, 0.25, 0, -0.09375, 0.375, 0.0625, -0.03125, 0.4375, -0.15625, -0.25, 0.9375, -0.333333333, -0.1875, 1, -0.6875, -0.0625, 1.125, -0.625, 0, 1.1875, -0.125, 0.5, -0.46875, -0.0625, 0.322916667, -0.645833333, 0.0625, 0.208333333, -1, 0.125, 0.03125, -0.9375, 0.625, -0.1875, -0.4375, 0.6875, -0.125, -0.375, 0.333333333, 0, -0.25, 0.15625, 0.0625, -0.1875}, tol);
  out = run_layer(std::string(base) + "}", {pattern_tensor({1, 2, 3, 4, 5})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 2, 4, 3}, {-0.125, -0.1875, 0.0625, -0.125, -0.21875, 0.125, 0, -0.09375, 0.1875, 0.0416666667, -0.0208333333, 0.145833333, -0.0520833333, -0.0833333333, 0.15625, -0.166666667, -0.09375, 0.25, -0.34375, -0.03125, 0.28125, -0.208333333, 0, 0.197916667, -0.0833333333, 0.333333333, -0.15625, -0.0625, 0.322916667, -0.322916667, 0.0625, 0.208333333, -0.5, 0.0833333333, 0.0208333333, -0.3125, 0.208333333, -0.0625, -0.0729166667, 0.34375, -0.0625, -0.09375, 0.166666667, 0, -0.0625, 0.0520833333, 0.0208333333, -0.03125}, tol);
  // kernel (2,2,3), stride (1,2,2), pads front 1, bottom 2, left 1, right 1; windows made only of padding give 0
  out = run_layer(R"(name: "p" input: "x" output: "y" pooling3d { type: MAX kernelDepth: 2 kernelHeight: 2 kernelWidth: 3
      strideDepth: 1 strideHeight: 2 strideWidth: 2 paddingType: CUSTOM customPaddingFront: 1 customPaddingBottom: 2
      customPaddingLeft: 1 customPaddingRight: 1 })", {pattern_tensor({1, 2, 3, 4, 5})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 3, 3, 3}, {0.5, 1.125, 1.125, 0.75, 1.375, 1.375, 0, 0, 0, 1, 1.125, 1.125, 1.25, 1.375, 1.375, 0, 0, 0, 1.375, 1.375, 1, 1.25, 1.25, 1.25, 0, 0, 0, 0.25, 0.875, 1.375, 0.5, 1.125, 0, 0, 0, 0, 0.75, 1.375, 1.375, 1, 1.125, 0.5, 0, 0, 0, 1.25, 1.375, 0.75, 1.375, 1, 1, 0, 0, 0});
}

TEST_CASE("pooling3d: parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" pooling3d { kernelHeight: 1 kernelWidth: 1
      strideDepth: 1 strideHeight: 1 strideWidth: 1 })", {pattern_tensor({1, 1, 2, 2, 2})}),
                       "layer 'p' (pooling3d): kernelDepth must be positive; got 0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" pooling3d { kernelDepth: 1 kernelHeight: 1 kernelWidth: 1
      strideDepth: 1 strideHeight: 1 strideWidth: 1 })", {pattern_tensor({2, 2, 2})}, {.mapping = ShapeMapping::exact}),
                       "layer 'p' (pooling3d): needs an input of rank >= 4 ([..., C, D, H, W]); got [2, 2, 2]", Error);
}

TEST_CASE("globalPooling3d: MAX and AVERAGE over depth, height and width") {
  // X((1,2,2,3,3)).max(axis=(-1,-2,-3)) and .mean(...)
  auto out = run_layer(R"(name: "p" input: "x" output: "y" globalPooling3d { type: MAX })", {pattern_tensor({1, 2, 2, 3, 3})},
                       {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 1, 1, 1}, {1.25, 1.375}, tol);
  out = run_layer(R"(name: "p" input: "x" output: "y" globalPooling3d { type: AVERAGE })", {pattern_tensor({1, 2, 2, 3, 3})},
                  {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 1, 1, 1}, {-0.0763888889, -0.0416666667}, tol);
}

}  // namespace
}  // namespace mlconv::exec

namespace mlconv::exec {
namespace {

// Converters (Keras, coremltools) write global pooling with kernelSize and stride
// [0, 0]; Core ML ignores them, so the kernel must too (the real Swish model does this).
TEST_CASE("pooling: global pooling ignores zero kernelSize and stride") {
  const auto out = testing::run_layer(R"(name: "p" input: "x" output: "y" pooling { type: AVERAGE
      kernelSize: [0, 0] stride: [0, 0] valid { } globalPooling: true })",
                                      {testing::rank5(2, 1, 2, {1, 3, -2, 6})});
  testing::check_tensor(out[0], {1, 1, 2, 1, 1}, {2, 2});
}

}  // namespace
}  // namespace mlconv::exec
