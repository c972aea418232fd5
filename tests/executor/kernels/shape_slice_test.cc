// Shape family, ND layers that cut, enlarge or make tensors: sliceStatic,
// sliceDynamic, sliceBySize, slidingWindows, tile, constantPad,
// broadcastTo*, fill*, range*. Expected values are NumPy expressions (in
// comments) evaluated offline, or the spec's own examples.
#include <doctest/doctest.h>

#include <numeric>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

Tensor iota(Shape shape, float start = 0) { return testing::arange(std::move(shape), start); }

const LayerRun kND{.mapping = ShapeMapping::exact};

constexpr const char* kSpecSlice = R"(name: "s" input: "x" output: "y" sliceStatic {
  beginIds: [1, 2, 3] beginMasks: [true, false, true] endIds: [3, -3, 2] endMasks: [false, true, true]
  strides: [2, 2, 2] )";

TEST_CASE("shape: sliceStatic reproduces the spec's examples") {
  // x = np.arange(125).reshape(5,5,5); x[:3:2, 2::2, ::2]
  auto out = run_layer(std::string(kSpecSlice) + "}", {iota({5, 5, 5})}, kND);
  check_tensor(out[0], {2, 2, 3}, {10, 12, 14, 20, 22, 24, 60, 62, 64, 70, 72, 74});
  // x[:3:2, 2, ::2]
  out = run_layer(std::string(kSpecSlice) + "squeezeMasks: [false, true, false] }", {iota({5, 5, 5})}, kND);
  check_tensor(out[0], {2, 3}, {10, 12, 14, 60, 62, 64});
}

TEST_CASE("shape: sliceStatic with negative strides and out-of-range ends") {
  // x = np.arange(12).reshape(3,4); x[::-1, -1:0:-2]
  auto out = run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [0, -1] endIds: [0, 0] strides: [-1, -2] beginMasks: [true, false] endMasks: [true, false] })",
                       {iota({3, 4})}, kND);
  check_tensor(out[0], {3, 2}, {11, 9, 7, 5, 3, 1});
  // x[-2:, 5:1:-1]  (the end mask of axis 0 reads past the end; begin 5 clamps to 3)
  out = run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [-2, 5] endIds: [0, 1] strides: [1, -1] endMasks: [true, false] })",
                  {iota({3, 4})}, kND);
  check_tensor(out[0], {2, 2}, {7, 6, 11, 10});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [2, 0] endIds: [1, 4] strides: [1, 1] })",
                                 {iota({3, 4})}, kND),
                       "layer 's' (sliceStatic): the slice of axis 0 (length 3, begin 2, end 1, stride 1) is empty",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [0] endIds: [1] strides: [1] })",
                                 {iota({3, 4})}, kND),
                       "layer 's' (sliceStatic): beginIds has 1 entries; expected one per input axis (2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [0, 0] endIds: [1, 1] strides: [1, 0] })",
                                 {iota({3, 4})}, kND),
                       "layer 's' (sliceStatic): stride of axis 1 is 0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [3, 0] endIds: [1, 1] strides: [1, 1] squeezeMasks: [true, false] })",
                                 {iota({3, 4})}, kND),
                       "layer 's' (sliceStatic): squeezed index 3 is out of range for axis 0 of length 3", Error);
}

TEST_CASE("shape: sliceStatic of a large tensor with strided rows and two threads") {
  // x[1::3, ::-1, 1:-1:2] by its definition
  const Tensor in = iota({40, 60, 90});
  auto out = run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [1, 0, 1] endIds: [0, 0, -1] strides: [3, -1, 2] endMasks: [true, false, false]
      beginMasks: [false, true, false] })",
                       {in}, LayerRun{.mapping = ShapeMapping::exact, .threads = 2});
  std::vector<float> expected;
  for (int i = 1; i < 40; i += 3)
    for (int j = 59; j >= 1; --j)  // begin masked (last), end 0 exclusive
      for (int k = 1; k < 89; k += 2) expected.push_back(in.data()[(i * 60 + j) * 90 + k]);
  check_tensor(out[0], {13, 59, 44}, expected);
}

TEST_CASE("shape: huge strides and steps that select one element do not overflow") {
  // np.arange(12).reshape(3,4)[1::2**62, -1::-2**62]
  auto out = run_layer(R"(name: "s" input: "x" output: "y" sliceStatic {
      beginIds: [1, -1] endIds: [0, 0] strides: [4611686018427387904, -4611686018427387904] endMasks: [true, true] })",
                       {iota({3, 4})}, kND);
  check_tensor(out[0], {1, 1}, {7});
  out = run_layer(R"(name: "s" input: "x" output: "y" slice {
      startIndex: 2 endIndex: 4 stride: 4611686018427387904 axis: WIDTH_AXIS })",
                  {iota({1, 1, 1, 1, 4})});
  check_tensor(out[0], {1, 1, 1, 1, 1}, {2});
  out = run_layer(R"(name: "w" input: "x" output: "y" slidingWindows { axis: 0 windowSize: 2 step: 1099511627776 })",
                  {iota({3, 2})}, kND);
  check_tensor(out[0], {1, 2, 2}, {0, 1, 2, 3});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "t" input: ["x", "r"] output: "y" tile {})",
                                 {iota({2, 2}), Tensor({2}, {4294967296.0F, 4294967296.0F})}, kND),
                       "layer 't' (tile): shape [4294967296, 2, 4294967296, 2] has more elements than fit in 64 bits",
                       Error);
}

TEST_CASE("shape: sliceDynamic takes begin, end, strides and masks from inputs") {
  // x = np.arange(125).reshape(5,5,5); x[:3:2, 2::2, ::2] with every argument as an input
  const Tensor x = iota({5, 5, 5});
  auto out = run_layer(R"(name: "s" input: ["x", "b", "e", "st", "bm", "em"] output: "y" sliceDynamic {})",
                       {x, Tensor({3}, {1, 2, 3}), Tensor({3}, {3, -3, 2}), Tensor({3}, {2, 2, 2}),
                        Tensor({3}, {1, 0, 1}), Tensor({3}, {0, 1, 1})},
                       kND);
  check_tensor(out[0], {2, 2, 3}, {10, 12, 14, 20, 22, 24, 60, 62, 64, 70, 72, 74});
  // only begin from an input, the rest from parameters, with a squeezed axis: x[1:3, 2, 4]
  out = run_layer(R"(name: "s" input: ["x", "b"] output: "y" sliceDynamic {
      endIds: [3, 0, 0] strides: [1, 1, 1] squeezeMasks: [false, true, true] })",
                  {x, Tensor({3}, {1, 2, -1})}, kND);
  check_tensor(out[0], {2}, {39, 64});
  // every axis squeezed: x[4, 0, 1] as a [1] tensor
  out = run_layer(R"(name: "s" input: ["x", "b", "e", "st", "bm", "em", "sq"] output: "y" sliceDynamic {})",
                  {x, Tensor({3}, {4, 0, 1}), Tensor({3}, {0, 0, 0}), Tensor({3}, {1, 1, 1}), Tensor({3}), Tensor({3}),
                   Tensor({3}, {1, 1, 1})},
                  kND);
  check_tensor(out[0], {1}, {101});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: ["x", "b"] output: "y" sliceDynamic { endIds: [1] strides: [1] })",
                                 {iota({4}), Tensor({1}, {0.5F})}, kND),
                       "layer 's' (sliceDynamic): the beginIds input holds 0.5 at index 0; expected an integer", Error);
}

TEST_CASE("shape: sliceBySize takes size elements from a dynamic begin") {
  // np.arange(24).reshape(2,3,4)[:, 1:3, :]
  auto out = run_layer(R"(name: "s" input: ["x", "b"] output: "y" sliceBySize { size: 2 axis: 1 })",
                       {iota({2, 3, 4}), Tensor({1}, {1})}, kND);
  check_tensor(out[0], {2, 2, 4}, {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: ["x", "b"] output: "y" sliceBySize { size: 2 axis: 1 })",
                                 {iota({2, 3, 4}), Tensor({1}, {2})}, kND),
                       "layer 's' (sliceBySize): slice of size 2 from index 2 does not fit axis 1 of length 3", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: ["x", "b"] output: "y" sliceBySize { axis: 1 })",
                                 {iota({2, 3, 4}), Tensor({1}, {0})}, kND),
                       "layer 's' (sliceBySize): size must be positive, is 0", Error);
}

TEST_CASE("shape: slidingWindows makes overlapping windows") {
  // windows of 3 rows, step 2, over np.arange(14).reshape(7,2)
  auto out = run_layer(R"(name: "w" input: "x" output: "y" slidingWindows { axis: 0 windowSize: 3 step: 2 })",
                       {iota({7, 2})}, kND);
  check_tensor(out[0], {3, 3, 2}, {0, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13});
  // rank 3, axis -2: (B1, L, C1) -> (B1, M, W, C1); L = 4, W = 2, step 1
  out = run_layer(R"(name: "w" input: "x" output: "y" slidingWindows { axis: -2 windowSize: 2 step: 1 })",
                  {iota({1, 4, 1})}, kND);
  check_tensor(out[0], {1, 3, 2, 1}, {0, 1, 1, 2, 2, 3});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "w" input: "x" output: "y" slidingWindows { axis: 0 windowSize: 8 step: 1 })",
                                 {iota({7, 2})}, kND),
                       "layer 'w' (slidingWindows): windowSize 8 is longer than axis 0 of shape [7, 2]", Error);
}

TEST_CASE("shape: tile with reps from the parameter and from a second input") {
  // np.tile(np.arange(6).reshape(1,2,3), (2,1,2))
  auto out = run_layer(R"(name: "t" input: "x" output: "y" tile { reps: [2, 1, 2] })", {iota({1, 2, 3})}, kND);
  check_tensor(out[0], {2, 2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  // np.tile(x, (2,)): reps shorter than the rank get leading ones
  out = run_layer(R"(name: "t" input: ["x", "r"] output: "y" tile {})", {iota({1, 2, 3}), Tensor({1}, {2})}, kND);
  check_tensor(out[0], {1, 2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "t" input: "x" output: "y" tile { reps: [1, 1, 1, 2] })", {iota({1, 2, 3})}, kND),
      "layer 't' (tile): reps [1, 1, 1, 2] must have 1 to 3 entries for input shape [1, 2, 3]", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "t" input: ["x", "r"] output: "y" tile {})", {iota({1, 2, 3}), Tensor({1}, {0})}, kND),
      "layer 't' (tile): the reps input [0] has a count that is not positive", Error);
}

TEST_CASE("shape: tile of a large tensor with two threads") {
  const Tensor in = iota({3, 50, 40});
  auto out = run_layer(R"(name: "t" input: "x" output: "y" tile { reps: [2, 3, 4] })", {in},
                       LayerRun{.mapping = ShapeMapping::exact, .threads = 2});
  std::vector<float> expected;  // np.tile by its definition: out[i, j, k] = in[i % 3, j % 50, k % 40]
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 150; ++j)
      for (int k = 0; k < 160; ++k) expected.push_back(in.data()[((i % 3) * 50 + j % 50) * 40 + k % 40]);
  check_tensor(out[0], {6, 150, 160}, expected);
}

TEST_CASE("shape: constantPad by amounts, to a given size, and from a second input") {
  // np.pad(np.arange(6).reshape(2,3), ((1,0),(0,2)), constant_values=-1)
  auto out = run_layer(R"(name: "p" input: "x" output: "y" constantPad { value: -1 padAmounts: [1, 0, 0, 2] })",
                       {iota({2, 3})}, kND);
  check_tensor(out[0], {3, 5}, {-1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1, -1});
  // output sizes 4 (after) and 6 (before): np.pad(x, ((0,2),(3,0)), constant_values=7)
  out = run_layer(
      R"(name: "p" input: "x" output: "y" constantPad {
          value: 7 padAmounts: [0, 4, 6, 0] padToGivenOutputSizeMode: true })",
      {iota({2, 3})}, kND);
  check_tensor(out[0], {4, 6}, {7, 7, 7, 0, 1, 2, 7, 7, 7, 3, 4, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7});
  out = run_layer(R"(name: "p" input: ["x", "a"] output: "y" constantPad { value: -1 })",
                  {iota({2, 3}), Tensor({4}, {1, 0, 0, 2})}, kND);
  check_tensor(out[0], {3, 5}, {-1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1, -1});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "p" input: "x" output: "y" constantPad { padAmounts: [1, 1] })", {iota({2, 3})}, kND),
      "layer 'p' (constantPad): padAmounts [1, 1] has 2 entries; expected 2 per input axis (4 for "
      "shape [2, 3])",
      Error);
  CHECK_THROWS_WITH_AS(
      run_layer(
          R"(name: "p" input: "x" output: "y" constantPad { padAmounts: [1, 4, 0, 0] padToGivenOutputSizeMode: true })",
          {iota({2, 3})}, kND),
      "layer 'p' (constantPad): with padToGivenOutputSizeMode only one of padAmounts[0] and [1] may be nonzero, got "
      "[1, 4, 0, 0]",
      Error);
}

TEST_CASE("shape: broadcastToLike, broadcastToStatic, broadcastToDynamic") {
  // np.broadcast_to([[1], [2]], (2, 2, 3))
  const Tensor column({2, 1}, {1, 2});
  const std::vector<float> expected{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2};
  auto out =
      run_layer(R"(name: "b" input: ["x", "s"] output: "y" broadcastToLike {})", {column, Tensor({2, 2, 3})}, kND);
  check_tensor(out[0], {2, 2, 3}, expected);
  out = run_layer(R"(name: "b" input: "x" output: "y" broadcastToStatic { targetShape: [2, 2, 3] })", {column}, kND);
  check_tensor(out[0], {2, 2, 3}, expected);
  out = run_layer(R"(name: "b" input: ["x", "s"] output: "y" broadcastToDynamic {})", {column, Tensor({3}, {2, 2, 3})},
                  kND);
  check_tensor(out[0], {2, 2, 3}, expected);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "b" input: "x" output: "y" broadcastToStatic { targetShape: [3, 3] })", {column}, kND),
      "layer 'b' (broadcastToStatic): cannot broadcast shape [2, 1] to [3, 3] (each input dimension "
      "must equal the target's or be 1, and the target rank must not be smaller)",
      Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "b" input: ["x", "s"] output: "y" broadcastToDynamic {})",
                                 {column, Tensor({2}, {2, -3})}, kND),
                       "layer 'b' (broadcastToDynamic): the shape input [2, -3] has a dimension that is not positive",
                       Error);
}

TEST_CASE("shape: fillLike, fillStatic, fillDynamic") {
  auto out = run_layer(R"(name: "f" input: "x" output: "y" fillLike { value: 2.5 })", {iota({2, 2})}, kND);
  check_tensor(out[0], {2, 2}, {2.5F, 2.5F, 2.5F, 2.5F});
  out = run_layer(R"(name: "f" output: "y" fillStatic { value: -1 targetShape: [1, 3] })", {}, kND);
  check_tensor(out[0], {1, 3}, {-1, -1, -1});
  out = run_layer(R"(name: "f" input: "s" output: "y" fillDynamic { value: 4 })", {Tensor({2}, {2, 1})}, kND);
  check_tensor(out[0], {2, 1}, {4, 4});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "f" output: "y" fillStatic { targetShape: [2, 0] })", {}, kND),
                       "layer 'f' (fillStatic): targetShape has entry 0; expected positive sizes", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "f" input: "s" output: "y" fillDynamic {})", {Tensor({2}, {2, 1.5F})}, kND),
                       "layer 'f' (fillDynamic): the shape input holds 1.5 at index 1; expected an integer", Error);
}

TEST_CASE("shape: rangeStatic and rangeDynamic follow numpy.arange") {
  // np.arange(-10.4, 23, 12.2)
  auto out =
      run_layer(R"(name: "r" output: "y" rangeStatic { startValue: -10.4 endValue: 23 stepSizeValue: 12.2 })", {}, kND);
  check_tensor(out[0], {3}, {-10.4F, 1.8F, 14.0F});
  // np.arange(10, 5, -0.6): end from the input, start and step from parameters
  out = run_layer(R"(name: "r" input: "e" output: "y" rangeDynamic { startValue: 10 stepSizeValue: -0.6 })",
                  {Tensor({1}, {5})}, kND);
  check_tensor(out[0], {9}, {10, 9.4F, 8.8F, 8.2F, 7.6F, 7, 6.4F, 5.8F, 5.2F});
  // np.arange(5, 8, 98): every value from inputs
  out = run_layer(R"(name: "r" input: ["e", "s", "d"] output: "y" rangeDynamic {})",
                  {Tensor({1}, {8}), Tensor({1}, {5}), Tensor({1}, {98})}, kND);
  check_tensor(out[0], {1}, {5});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" output: "y" rangeStatic { endValue: 3 })", {}, kND),
                       "layer 'r' (rangeStatic): step is 0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: ["e", "s"] output: "y" rangeDynamic { stepSizeValue: 1 })",
                                 {Tensor({1}, {1}), Tensor({1}, {3})}, kND),
                       "layer 'r' (rangeDynamic): range from 3 to 1 by 1 is empty", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "e" output: "y" rangeDynamic { stepSizeValue: 1 })", {Tensor({2}, {1, 2})}, kND),
      "layer 'r' (rangeDynamic): the end input must hold one value, has shape [2]", Error);
}

}  // namespace
}  // namespace mlconv::exec
