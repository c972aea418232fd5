// Reduction kernels: classic reduce, the ND reduce layers, argMax/argMin, cumSum.
// X = np.array([[[1,2,3],[4,5,6]],[[-1,0.5,2],[3,-2,1]]]) (shape [2,2,3]); expected values from NumPy.
#include <cmath>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

const std::vector<float> kX{1, 2, 3, 4, 5, 6, -1, 0.5F, 2, 3, -2, 1};
Tensor x() { return Tensor({2, 2, 3}, kX); }

Tensor reduce(const std::string& type, const std::string& params, Tensor in = x()) {
  return run_layer(R"(name: "r" input: "x" output: "y" )" + type + " { " + params + " }", {std::move(in)})[0];
}

TEST_CASE("reduction: ND reductions over the last axis, keepDims and squeezed") {
  check_tensor(reduce("reduceSum", "axes: -1 keepDims: true"), {2, 2, 1}, {6, 15, 1.5F, 2});
  check_tensor(reduce("reduceSum", "axes: 2"), {2, 2}, {6, 15, 1.5F, 2});
  check_tensor(reduce("reduceMean", "axes: -1"), {2, 2}, {2, 5, 0.5F, 0.66666667F});
  check_tensor(reduce("reduceProd", "axes: -1"), {2, 2}, {6, 120, -1, -6});
  check_tensor(reduce("reduceL1", "axes: -1"), {2, 2}, {6, 15, 3.5F, 6});
  check_tensor(reduce("reduceL2", "axes: -1"), {2, 2}, {3.74165739F, 8.77496439F, 2.29128785F, 3.74165739F});
  check_tensor(reduce("reduceMax", "axes: -1"), {2, 2}, {3, 6, 2, 3});
  check_tensor(reduce("reduceMin", "axes: -1"), {2, 2}, {1, 4, -1, -2});
  check_tensor(reduce("reduceSumSquare", "axes: -1"), {2, 2}, {14, 77, 5.25F, 14});
  check_tensor(reduce("reduceLogSumExp", "axes: -1"), {2, 2}, {3.40760596F, 6.40760596F, 2.2413113F, 3.13284523F});
  // np.log(np.sum(np.abs(X)+0.5, 2))
  std::vector<float> positive(kX);
  for (float& v : positive) v = std::fabs(v) + 0.5F;
  check_tensor(reduce("reduceLogSum", "axes: -1", Tensor({2, 2, 3}, positive)), {2, 2},
               {2.01490302F, 2.80336038F, 1.60943791F, 2.01490302F});
}

TEST_CASE("reduction: a middle axis, split axes and every axis") {
  check_tensor(reduce("reduceSum", "axes: 1 keepDims: true"), {2, 1, 3}, {5, 7, 9, 2, -1.5F, 3});
  check_tensor(reduce("reduceLogSumExp", "axes: 1"), {2, 3},
               {4.04858735F, 5.04858735F, 6.04858735F, 3.01814993F, 0.57888973F, 2.31326169F});
  check_tensor(reduce("reduceMax", "axes: 1"), {2, 3}, {4, 5, 6, 3, 0.5F, 2});
  // axes (0, 2) are not adjacent: gathered by a transpose first
  check_tensor(reduce("reduceSum", "axes: [0, 2]"), {2}, {7.5F, 17});
  check_tensor(reduce("reduceMean", "axes: [0, -1] keepDims: true"), {1, 2, 1}, {1.25F, 2.83333333F});
  check_tensor(reduce("reduceProd", "axes: [2, 0]"), {2}, {-6, -720});
  check_tensor(reduce("reduceL2", "axes: [0, 2]"), {2}, {4.38748219F, 9.53939201F});
  check_tensor(reduce("reduceLogSumExp", "axes: [0, 2]"), {2}, {3.67879204F, 6.44473403F});
  // reduceAll ignores axes; no axes at all also reduces everything
  check_tensor(reduce("reduceSum", "axes: 1 reduceAll: true"), {1}, {24.5F});
  check_tensor(reduce("reduceMean", "keepDims: true"), {1, 1, 1}, {2.04166667F});
  check_tensor(reduce("reduceMin", "reduceAll: true"), {1}, {-2});
}

TEST_CASE("reduction: logSumExp is stable for large values; errors name the axis") {
  // 1000 + log(1 + e^-1)
  check_tensor(reduce("reduceLogSumExp", "axes: 0", Tensor({2}, {1000, 999})), {1}, {1000.31326169F});
  // the same along a strided axis, and a column of -inf gives -inf (np.logaddexp.reduce)
  const float inf = std::numeric_limits<float>::infinity();
  check_tensor(reduce("reduceLogSumExp", "axes: 0", Tensor({2, 2}, {1000, -inf, 999, -inf})), {2}, {1000.31326169F, -inf});
  CHECK_THROWS_WITH_AS(reduce("reduceSum", "axes: 3"), "layer 'r' (reduceSum): axis 3 is out of range for rank 3", Error);
  CHECK_THROWS_WITH_AS(reduce("reduceSum", "axes: [1, -2]"), "layer 'r' (reduceSum): axis -2 is listed twice in axes", Error);
}

TEST_CASE("reduction: a large reduction across threads") {
  const std::int64_t rows = 64;
  const std::int64_t cols = 4096;
  std::vector<float> values(static_cast<std::size_t>(rows * cols));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 10);
  // each row of 4096 = 409 full cycles of 0..9 (sum 45) plus 0..5 (sum 15)
  std::vector<float> expected(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::int64_t c = 0; c < cols; ++c) sum += static_cast<double>((r * cols + c) % 10);
    expected[static_cast<std::size_t>(r)] = static_cast<float>(sum);
  }
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reduceSum { axes: 1 })", {Tensor({rows, cols}, values)},
                       LayerRun{.threads = 2});
  check_tensor(out[0], {rows}, expected);
  // along axis 0: np.max(np.arange(64*4096).reshape(64,4096) % 10, 0)[:3] = [8, 9, 8]
  out = run_layer(R"(name: "r" input: "x" output: "y" reduceMax { axes: 0 })", {Tensor({rows, cols}, values)},
                  LayerRun{.threads = 2});
  REQUIRE(out[0].shape() == Shape{cols});
  CHECK(out[0].values()[0] == 8.0F);
  CHECK(out[0].values()[1] == 9.0F);
  CHECK(out[0].values()[2] == 8.0F);
  CHECK(expected[0] == 18420.0F);  // np.sum(..., 1)[0], a check on the plain loop above
}

TEST_CASE("reduction: classic reduce keeps the rank, over C, HW, CHW, W, H") {
  const Tensor in({1, 1, 2, 2, 3}, kX);  // [C=2, H=2, W=3]
  auto classic = [&](const std::string& params, Tensor t) {
    return run_layer(R"(name: "r" input: "x" output: "y" reduce { )" + params + " }", {std::move(t)})[0];
  };
  check_tensor(classic("mode: SUM axis: C", in), {1, 1, 1, 2, 3}, {0, 2.5F, 5, 7, 3, 7});
  check_tensor(classic("mode: SUM axis: HW", in), {1, 1, 2, 1, 1}, {21, 3.5F});
  check_tensor(classic("mode: AVG axis: CHW", in), {1, 1, 1, 1, 1}, {2.04166667F});
  check_tensor(classic("mode: MAX axis: W", in), {1, 1, 2, 2, 1}, {3, 6, 2, 3});
  check_tensor(classic("mode: MIN axis: H", in), {1, 1, 2, 1, 3}, {1, 2, 3, -1, -2, 1});
  check_tensor(classic("mode: SUMSQUARE axis: W", in), {1, 1, 2, 2, 1}, {14, 77, 5.25F, 14});
  check_tensor(classic("mode: L1 axis: W", in), {1, 1, 2, 2, 1}, {6, 15, 3.5F, 6});
  check_tensor(classic("mode: L2 axis: W", in), {1, 1, 2, 2, 1}, {3.74165739F, 8.77496439F, 2.29128785F, 3.74165739F});
  check_tensor(classic("mode: PROD axis: W", in), {1, 1, 2, 2, 1}, {6, 120, -1, -6});
  check_tensor(classic("mode: ARGMAX axis: W", in), {1, 1, 2, 2, 1}, {2, 2, 2, 0});
  // LOGSUM: np.sum(np.log(P + 1e-6), 0) with P = |X| + 0.5
  std::vector<float> positive(kX);
  for (float& v : positive) v = std::fabs(v) + 0.5F;
  check_tensor(classic("mode: LOGSUM axis: C", Tensor({1, 1, 2, 2, 3}, positive)), {1, 1, 1, 2, 3},
               {0.81093155F, 0.91629213F, 2.16905439F, 2.75684087F, 2.62103941F, 2.27726811F});
  CHECK_THROWS_WITH_AS(classic("mode: ARGMAX axis: HW", in),
                       "layer 'r' (reduce): reduce mode ARGMAX works on one axis (C, H or W), not on CHW or HW", Error);
  CHECK_THROWS_WITH_AS(classic("mode: SUM axis: CHW", Tensor({2, 3}, {1, 2, 3, 4, 5, 6})),
                       "layer 'r' (reduce): input [2, 3] has rank 2; the reduction axes need rank 3 or more", Error);
}

TEST_CASE("reduction: argMax and argMin take the first extreme; removeDim drops the axis") {
  check_tensor(reduce("argMax", "axis: -1"), {2, 2, 1}, {2, 2, 2, 0});
  check_tensor(reduce("argMin", "axis: 2 removeDim: true"), {2, 2}, {0, 0, 0, 1});
  check_tensor(reduce("argMax", "axis: 1 removeDim: true"), {2, 3}, {1, 1, 1, 1, 0, 0});
  check_tensor(reduce("argMax", "axis: 0", Tensor({3}, {1, 3, 3})), {1}, {1});  // ties: the first
  check_tensor(reduce("argMin", "axis: 0 removeDim: true", Tensor({3}, {2, 1, 1})), {1}, {1});  // rank 1 stays [1]
  CHECK_THROWS_WITH_AS(reduce("argMax", "axis: -4"), "layer 'r' (argMax): axis -4 is out of range for rank 3", Error);
}

TEST_CASE("reduction: cumSum forward, exclusive, reverse, axis from an input") {
  const Tensor v({3}, {4, 6, 7});
  check_tensor(reduce("cumSum", "axis: 0", v), {3}, {4, 10, 17});
  check_tensor(reduce("cumSum", "axis: 0 excludeFinalSum: true", v), {3}, {0, 4, 10});
  check_tensor(reduce("cumSum", "axis: -1 reverse: true", v), {3}, {17, 13, 7});
  check_tensor(reduce("cumSum", "axis: 0 excludeFinalSum: true reverse: true", v), {3}, {13, 7, 0});
  const Tensor m({3, 2}, {1, 2, 3, 4, 5, 6});
  auto out = run_layer(R"(name: "c" input: ["x", "a"] output: "y" cumSum { axis: 1 })", {m, Tensor({1}, {0})});
  check_tensor(out[0], {3, 2}, {1, 2, 4, 6, 9, 12});  // the input's axis 0 wins over the parameter
  out = run_layer(R"(name: "c" input: ["x", "a"] output: "y" cumSum {})", {m, Tensor({1}, {-1})});
  check_tensor(out[0], {3, 2}, {1, 3, 3, 7, 5, 11});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["x", "a"] output: "y" cumSum {})", {m, Tensor({1}, {0.5F})}),
                       "layer 'c' (cumSum): the axis input holds 0.500000; expected an integer", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["x", "a"] output: "y" cumSum {})", {m, Tensor({1}, {2})}),
                       "layer 'c' (cumSum): axis 2 is out of range for rank 2", Error);
}

}  // namespace
}  // namespace mlconv::exec
