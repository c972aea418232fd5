// Shape family, ND layers that keep the data: transpose, concatND, splitND,
// squeeze, expandDims, flattenTo2D, the reshapes, stack, getShape, copy,
// reverse, reverseSeq. Expected values are NumPy expressions (in comments)
// evaluated offline, or the spec's own examples.
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

std::vector<float> range_of(int n, float start = 0) {
  std::vector<float> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), start);
  return values;
}

const LayerRun kND{.mapping = ShapeMapping::exact};

TEST_CASE("shape: transpose permutes axes") {
  // np.arange(24).reshape(2,3,4).transpose(2,0,1)
  auto out = run_layer(R"(name: "t" input: "x" output: "y" transpose { axes: [2, 0, 1] })", {iota({2, 3, 4})}, kND);
  check_tensor(out[0], {4, 2, 3},
               {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "t" input: "x" output: "y" transpose { axes: [1, 0] })", {iota({2, 3, 4})}, kND),
      "layer 't' (transpose): axes has 2 entries but the input [2, 3, 4] has rank 3", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "t" input: "x" output: "y" transpose { axes: [0, 3, 1] })", {iota({2, 3, 4})}, kND),
      "layer 't' (transpose): axes [0, 3, 1] must be a permutation of [0, ..., 2]", Error);
}

TEST_CASE("shape: transpose of a large rank-4 tensor with two threads") {
  // Reference by the definition: out[a, b, c, d] = in[d, b, a, c] for axes [2, 1, 3, 0]
  const Shape in_shape{33, 5, 70, 19};
  Tensor in = iota(in_shape);
  auto out = run_layer(R"(name: "t" input: "x" output: "y" transpose { axes: [2, 1, 3, 0] })", {in},
                       LayerRun{.mapping = ShapeMapping::exact, .threads = 2});
  std::vector<float> expected;
  for (std::int64_t a = 0; a < 70; ++a)
    for (std::int64_t b = 0; b < 5; ++b)
      for (std::int64_t c = 0; c < 19; ++c)
        for (std::int64_t d = 0; d < 33; ++d) expected.push_back(in.data()[((d * 5 + b) * 70 + a) * 19 + c]);
  check_tensor(out[0], {70, 5, 19, 33}, expected);
}

TEST_CASE("shape: concatND along an axis and interleaved (the spec's example)") {
  const Tensor a({3, 2}, {1, 2, 3, 4, 5, 6});
  const Tensor b({3, 2}, {7, 8, 9, 10, 11, 12});
  auto out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 0 })", {a, b}, kND);
  check_tensor(out[0], {6, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 0 interleave: true })", {a, b}, kND);
  check_tensor(out[0], {6, 2}, {1, 2, 7, 8, 3, 4, 9, 10, 5, 6, 11, 12});
  out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: -1 })", {a, iota({3, 1}, 20)}, kND);
  check_tensor(out[0], {3, 3}, {1, 2, 20, 3, 4, 21, 5, 6, 22});
  // x = np.arange(12).reshape(2,3,2); np.stack([x, x+100], axis=2).reshape(2,6,2)
  out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 1 interleave: true })",
                  {iota({2, 3, 2}), iota({2, 3, 2}, 100)}, kND);
  check_tensor(out[0], {2, 6, 2},
               {0, 1, 100, 101, 2, 3, 102, 103, 4, 5, 104, 105, 6, 7, 106, 107, 8, 9, 108, 109, 10, 11, 110, 111});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 0 interleave: true })",
                                 {a, iota({2, 2})}, kND),
                       "layer 'c' (concatND): cannot interleave shapes [3, 2] and [2, 2] along axis 0 (interleaving "
                       "needs identical shapes)",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 2 })", {a, b}, kND),
                       "layer 'c' (concatND): axis 2 is out of range for rank 2", Error);
}

TEST_CASE("shape: concatND of large inputs with two threads") {
  const Tensor a = iota({40, 30, 50});
  const Tensor b = iota({40, 20, 50}, 1e5F);
  auto out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concatND { axis: 1 })", {a, b},
                       LayerRun{.mapping = ShapeMapping::exact, .threads = 2});
  std::vector<float> expected;
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 30 * 50; ++j) expected.push_back(a.data()[i * 1500 + j]);
    for (int j = 0; j < 20 * 50; ++j) expected.push_back(b.data()[i * 1000 + j]);
  }
  check_tensor(out[0], {40, 50, 50}, expected);
}

TEST_CASE("shape: splitND by count and by sizes") {
  auto out =
      run_layer(R"(name: "s" input: "x" output: ["a", "b"] splitND { axis: -1 numSplits: 2 })", {iota({2, 4})}, kND);
  check_tensor(out[0], {2, 2}, {0, 1, 4, 5});
  check_tensor(out[1], {2, 2}, {2, 3, 6, 7});
  // the spec's example: (5, 3, 4), axis -3, sizes [3, 2]
  out = run_layer(R"(name: "s" input: "x" output: ["a", "b"] splitND { axis: -3 splitSizes: [3, 2] })",
                  {iota({5, 3, 4})}, kND);
  check_tensor(out[0], {3, 3, 4}, range_of(36));
  check_tensor(out[1], {2, 3, 4}, range_of(24, 36));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: ["a", "b"] splitND { axis: 0 splitSizes: [3, 3] })", {iota({5, 3})},
                kND),
      "layer 's' (splitND): splitSizes [3, 3] do not add up to 5, the length of axis 0 of shape [5, 3]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: ["a", "b"] splitND { axis: 0 splitSizes: [1, 2, 2] })",
                                 {iota({5, 3})}, kND),
                       "layer 's' (splitND): splitSizes [1, 2, 2] has 3 entries but the layer has 2 outputs", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: ["a", "b"] splitND { axis: 0 })", {iota({5, 3})}, kND),
                       "layer 's' (splitND): cannot split axis 0 of length 5 (shape [5, 3]) into 2 equal parts", Error);
}

TEST_CASE("shape: squeeze named axes, all unit axes, and a rank-1 input") {
  auto out = run_layer(R"(name: "s" input: "x" output: "y" squeeze { axes: [0, -1] })", {iota({1, 2, 1, 3, 1})}, kND);
  check_tensor(out[0], {2, 1, 3}, range_of(6));
  out = run_layer(R"(name: "s" input: "x" output: "y" squeeze { squeezeAll: true })", {iota({1, 2, 1, 3, 1})}, kND);
  check_tensor(out[0], {2, 3}, range_of(6));
  out = run_layer(R"(name: "s" input: "x" output: "y" squeeze { axes: [0] })", {iota({1})}, kND);
  check_tensor(out[0], {1}, {0});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" squeeze { axes: [1] })", {iota({1, 2})}, kND),
                       "layer 's' (squeeze): cannot squeeze axis 1 of shape [1, 2]: its size is 2, not 1", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" squeeze {})", {iota({1, 2})}, kND),
                       "layer 's' (squeeze): no axes to squeeze: set axes or squeezeAll", Error);
}

TEST_CASE("shape: expandDims inserts unit axes counted in the output rank") {
  auto out = run_layer(R"(name: "e" input: "x" output: "y" expandDims { axes: [0, 2] })", {iota({10, 5})}, kND);
  check_tensor(out[0], {1, 10, 1, 5}, range_of(50));
  out = run_layer(R"(name: "e" input: "x" output: "y" expandDims { axes: [-2, -1] })", {iota({10, 5})}, kND);
  check_tensor(out[0], {10, 5, 1, 1}, range_of(50));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "e" input: "x" output: "y" expandDims { axes: [0, -4] })", {iota({10, 5})}, kND),
      "layer 'e' (expandDims): axes [0, -4] names output axis 0 twice", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "e" input: "x" output: "y" expandDims { axes: [4] })", {iota({10, 5})}, kND),
                       "layer 'e' (expandDims): axis 4 is out of range for rank 3", Error);
}

TEST_CASE("shape: flattenTo2D follows the spec's examples") {
  auto out = run_layer(R"(name: "f" input: "x" output: "y" flattenTo2D { axis: -1 })", {iota({3})}, kND);
  check_tensor(out[0], {1, 3}, range_of(3));
  out = run_layer(R"(name: "f" input: "x" output: "y" flattenTo2D { axis: 1 })", {iota({3})}, kND);
  check_tensor(out[0], {3, 1}, range_of(3));
  out = run_layer(R"(name: "f" input: "x" output: "y" flattenTo2D { axis: -2 })", {iota({5, 5, 3})}, kND);
  check_tensor(out[0], {5, 15}, range_of(75));
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "f" input: "x" output: "y" flattenTo2D { axis: 3 })", {iota({2, 3})}, kND),
                       "layer 'f' (flattenTo2D): axis 3 is out of range for flattening rank 2 (expected -rank to rank)",
                       Error);
}

TEST_CASE("shape: reshapeStatic, reshapeLike and reshapeDynamic") {
  auto out =
      run_layer(R"(name: "r" input: "x" output: "y" reshapeStatic { targetShape: [3, -1] })", {iota({2, 3, 2})}, kND);
  check_tensor(out[0], {3, 4}, range_of(12));
  out = run_layer(R"(name: "r" input: ["x", "s"] output: "y" reshapeLike {})", {iota({2, 6}), Tensor({4, 3})}, kND);
  check_tensor(out[0], {4, 3}, range_of(12));
  out = run_layer(R"(name: "r" input: ["x", "s"] output: "y" reshapeDynamic {})",
                  {iota({2, 6}), Tensor({3}, {2, -1, 2})}, kND);
  check_tensor(out[0], {2, 3, 2}, range_of(12));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshapeStatic { targetShape: [5, -1] })", {iota({2, 3, 2})}, kND),
      "layer 'r' (reshapeStatic): cannot reshape [2, 3, 2] (12 elements) to targetShape [5, -1]", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshapeStatic { targetShape: [-1, -1] })", {iota({2, 3, 2})}, kND),
      "layer 'r' (reshapeStatic): targetShape [-1, -1] has more than one -1", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: ["x", "s"] output: "y" reshapeDynamic {})",
                                 {iota({2, 6}), Tensor({2}, {2.5F, 4})}, kND),
                       "layer 'r' (reshapeDynamic): the shape input holds 2.5 at index 0; expected an integer", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: ["x", "s"] output: "y" reshapeDynamic {})",
                                 {iota({2, 6}), Tensor({2}, {0, 12})}, kND),
                       "layer 'r' (reshapeDynamic): shape [0, 12] has entry 0; expected positive sizes or one -1",
                       Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: ["x", "s"] output: "y" reshapeLike {})", {iota({2, 6}), Tensor({5})}, kND),
      "layer 'r' (reshapeLike): cannot reshape [2, 6] (12 elements) to [5] (5 elements)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "x" output: "y" reshapeLike {})", {iota({2, 6})}, kND),
                       "layer 'r' (reshapeLike): expects 2 inputs, has 1", Error);
}

TEST_CASE("shape: rankPreservingReshape with 0 and -1 entries (the spec's examples)") {
  auto out = run_layer(R"(name: "r" input: "x" output: "y" rankPreservingReshape { targetShape: [5, -1] })",
                       {iota({20, 10})}, kND);
  check_tensor(out[0], {5, 40}, range_of(200));
  out = run_layer(R"(name: "r" input: "x" output: "y" rankPreservingReshape { targetShape: [0, 2, 25] })",
                  {iota({20, 10, 5})}, kND);
  check_tensor(out[0], {20, 2, 25}, range_of(1000));
  out = run_layer(R"(name: "r" input: "x" output: "y" rankPreservingReshape { targetShape: [25, 0, -1] })",
                  {iota({10, 3, 5})}, kND);
  check_tensor(out[0], {25, 3, 2}, range_of(150));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" rankPreservingReshape { targetShape: [-1] })", {iota({10, 3})},
                kND),
      "layer 'r' (rankPreservingReshape): targetShape [-1] has 1 entries but the input [10, 3] has rank 2", Error);
}

TEST_CASE("shape: stack inserts the new axis") {
  // a = np.arange(6).reshape(2,3); np.stack([a, a+10, a+20], axis=-2)
  auto out = run_layer(R"(name: "s" input: ["a", "b", "c"] output: "y" stack { axis: -2 })",
                       {iota({2, 3}), iota({2, 3}, 10), iota({2, 3}, 20)}, kND);
  check_tensor(out[0], {2, 3, 3}, {0, 1, 2, 10, 11, 12, 20, 21, 22, 3, 4, 5, 13, 14, 15, 23, 24, 25});
  out =
      run_layer(R"(name: "s" input: ["a", "b"] output: "y" stack { axis: 2 })", {iota({2, 2}), iota({2, 2}, 10)}, kND);
  check_tensor(out[0], {2, 2, 2}, {0, 10, 1, 11, 2, 12, 3, 13});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: ["a", "b"] output: "y" stack {})", {iota({2, 3}), iota({3, 2})}, kND),
      "layer 's' (stack): cannot stack shapes [2, 3] and [3, 2] (all inputs must have the same shape)", Error);
}

TEST_CASE("shape: getShape and copy") {
  auto out = run_layer(R"(name: "g" input: "x" output: "y" getShape {})", {iota({4, 1, 7})}, kND);
  check_tensor(out[0], {3}, {4, 1, 7});
  out = run_layer(R"(name: "c" input: "x" output: "y" copy {})", {iota({2, 3})}, kND);
  check_tensor(out[0], {2, 3}, range_of(6));
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["x", "z"] output: "y" copy {})", {iota({2}), iota({2})}, kND),
                       "layer 'c' (copy): expects 1 input, has 2", Error);
}

TEST_CASE("shape: reverse flips the chosen axes") {
  // np.arange(12).reshape(2,3,2)[::-1, :, ::-1]
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reverse { reverseDim: [true, false, true] })",
                       {iota({2, 3, 2})}, kND);
  check_tensor(out[0], {2, 3, 2}, {7, 6, 9, 8, 11, 10, 1, 0, 3, 2, 5, 4});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reverse { reverseDim: [true] })", {iota({2, 3, 2})}, kND),
      "layer 'r' (reverse): reverseDim has 1 entries but the input [2, 3, 2] has rank 3", Error);
}

TEST_CASE("shape: reverseSeq reproduces the spec's examples") {
  auto out = run_layer(R"(name: "r" input: ["x", "n"] output: "y" reverseSeq { batchAxis: 0 sequenceAxis: 1 })",
                       {iota({2, 4}), Tensor({2}, {3, 0})}, kND);
  check_tensor(out[0], {2, 4}, {2, 1, 0, 3, 4, 5, 6, 7});
  out = run_layer(R"(name: "r" input: ["x", "n"] output: "y" reverseSeq { batchAxis: 0 sequenceAxis: 1 })",
                  {iota({2, 3, 2}), Tensor({2}, {2, 3})}, kND);
  check_tensor(out[0], {2, 3, 2}, {2, 3, 0, 1, 4, 5, 10, 11, 8, 9, 6, 7});
  // batch axis after a leading axis, sequence last: tf.reverse_sequence(x, [1, 2], seq_axis=2, batch_axis=1)
  out = run_layer(R"(name: "r" input: ["x", "n"] output: "y" reverseSeq { batchAxis: -2 sequenceAxis: -1 })",
                  {iota({2, 2, 3}), Tensor({2}, {1, 2})}, kND);
  check_tensor(out[0], {2, 2, 3}, {0, 1, 2, 4, 3, 5, 6, 7, 8, 10, 9, 11});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: ["x", "n"] output: "y" reverseSeq { batchAxis: 1 sequenceAxis: 0 })",
                {iota({2, 4}), Tensor({4}, {1, 1, 1, 1})}, kND),
      "layer 'r' (reverseSeq): batchAxis 1 must come before sequenceAxis 0 (input rank 2)", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: ["x", "n"] output: "y" reverseSeq { batchAxis: 0 sequenceAxis: 1 })",
                {iota({2, 4}), Tensor({2}, {5, 0})}, kND),
      "layer 'r' (reverseSeq): sequence length 5 is outside [0, 4], the length of sequence axis 1", Error);
}

}  // namespace
}  // namespace mlconv::exec
