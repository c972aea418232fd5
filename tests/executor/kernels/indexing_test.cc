// Indexing family, gather side: gather, gatherND, gatherAlongAxis,
// whereNonZero, oneHot, matrixBandPart and the triangular masks. Expected
// values come from the NumPy expression in each comment.
#include <numeric>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

constexpr LayerRun nd{.mapping = ShapeMapping::exact};
constexpr LayerRun nd2{.mapping = ShapeMapping::exact, .threads = 2};

using testing::arange;

TEST_CASE("indexing: gather along a middle axis with negative indices") {
  // a = np.arange(24).reshape(2,3,4); np.take(a, [[2,-1],[0,1]], axis=1)
  auto out = run_layer(R"(name: "g" input: "a" input: "i" output: "y" gather { axis: 1 })",
                       {arange({2, 3, 4}), Tensor({2, 2}, {2, -1, 0, 1})}, nd2);
  check_tensor(out[0], {2, 2, 2, 4}, {8,  9,  10, 11, 8,  9,  10, 11, 0,  1,  2,  3,  4,  5,  6,  7,
                                      20, 21, 22, 23, 20, 21, 22, 23, 12, 13, 14, 15, 16, 17, 18, 19});
}

TEST_CASE("indexing: gather on the last axis") {
  // np.take(np.arange(24).reshape(2,3,4), [3,0], axis=-1)
  auto out = run_layer(R"(name: "g" input: "a" input: "i" output: "y" gather { axis: -1 })",
                       {arange({2, 3, 4}), Tensor({2}, {3, 0})}, nd);
  check_tensor(out[0], {2, 3, 2}, {3, 0, 7, 4, 11, 8, 15, 12, 19, 16, 23, 20});
}

TEST_CASE("indexing: gather rejects fractional and out-of-range indices, naming index, axis and size") {
  const char* layer = R"(name: "g" input: "a" input: "i" output: "y" gather { axis: 1 })";
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3, 4}), Tensor({2}, {0, 3})}, nd),
                       "layer 'g' (gather): index 3 is out of range for axis 1 of size 3 (valid: -3 to 2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3, 4}), Tensor({1}, {-4})}, nd),
                       "layer 'g' (gather): index -4 is out of range for axis 1 of size 3 (valid: -3 to 2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3, 4}), Tensor({1}, {1.5F})}, nd),
                       "layer 'g' (gather): index 1.5 is not an integer (indices for axis 1 of size 3)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {Tensor({2, 0, 4}), Tensor({1}, {0})}, nd),
                       "layer 'g' (gather): index 0 is out of range for axis 1 of size 0 (the axis is empty)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "a" input: "i" output: "y" gather { axis: 3 })",
                                 {arange({2, 3, 4}), Tensor({1}, {0})}, nd),
                       "layer 'g' (gather): axis 3 is out of range for rank 3", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "a" output: "y" gather {})", {arange({2})}, nd),
                       "layer 'g' (gather): takes 2 inputs, but the layer lists 1", Error);
}

TEST_CASE("indexing: gatherND picks slices and single elements") {
  // p = np.arange(24).reshape(2,3,4); p[tuple(np.array([[1,2],[0,0],[1,0]]).T)]
  auto slices = run_layer(R"(name: "g" input: "p" input: "i" output: "y" gatherND {})",
                          {arange({2, 3, 4}), Tensor({3, 2}, {1, 2, 0, 0, 1, 0})}, nd2);
  check_tensor(slices[0], {3, 4}, {20, 21, 22, 23, 0, 1, 2, 3, 12, 13, 14, 15});
  // indices [[[1,2,3]],[[0,1,1]]] address whole elements: p[1,2,3], p[0,1,1]
  auto elements = run_layer(R"(name: "g" input: "p" input: "i" output: "y" gatherND {})",
                            {arange({2, 3, 4}), Tensor({2, 1, 3}, {1, 2, 3, 0, 1, 1})}, nd);
  check_tensor(elements[0], {2, 1}, {23, 5});
}

TEST_CASE("indexing: gatherND errors name the index component's axis, and negative indices are refused") {
  const char* layer = R"(name: "g" input: "p" input: "i" output: "y" gatherND {})";
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3, 4}), Tensor({1, 2}, {1, 3})}, nd),
                       "layer 'g' (gatherND): index 3 is out of range for axis 1 of size 3 (valid: 0 to 2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3, 4}), Tensor({1, 2}, {-1, 0})}, nd),
                       "layer 'g' (gatherND): index -1 is out of range for axis 0 of size 2 (valid: 0 to 1)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {arange({2, 3}), Tensor({1, 3}, {0, 0, 0})}, nd),
                       "layer 'g' (gatherND): indices of shape [1, 3] address 3 axes, but params of shape [2, 3] "
                       "have only 2",
                       Error);
}

TEST_CASE("indexing: gatherAlongAxis is take_along_axis") {
  const Tensor data({2, 3}, {10, 20, 30, 40, 50, 60});
  // np.take_along_axis(d, [[2,0],[-1,1]], axis=1)
  auto inner = run_layer(R"(name: "g" input: "d" input: "i" output: "y" gatherAlongAxis { axis: -1 })",
                         {data, Tensor({2, 2}, {2, 0, -1, 1})}, nd);
  check_tensor(inner[0], {2, 2}, {30, 10, 60, 50});
  // np.take_along_axis(d, [[1,0,1]], axis=0)
  auto outer = run_layer(R"(name: "g" input: "d" input: "i" output: "y" gatherAlongAxis { axis: 0 })",
                         {data, Tensor({1, 3}, {1, 0, 1})}, nd2);
  check_tensor(outer[0], {1, 3}, {40, 20, 60});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "d" input: "i" output: "y" gatherAlongAxis { axis: 0 })",
                                 {data, Tensor({1, 2}, {1, 0})}, nd),
                       "layer 'g' (gatherAlongAxis): indices of shape [1, 2] must match data of shape [2, 3] on every "
                       "axis but axis 0",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "d" input: "i" output: "y" gatherAlongAxis { axis: 0 })",
                                 {data, Tensor({1, 3}, {1, 2, 0})}, nd),
                       "layer 'g' (gatherAlongAxis): index 2 is out of range for axis 0 of size 2 (valid: -2 to 1)",
                       Error);
}

TEST_CASE("indexing: whereNonZero lists multi-indices in row-major order") {
  // np.argwhere([[1,2,1],[0,2,2],[2,1,0]]): the spec's own example
  auto out = run_layer(R"(name: "w" input: "x" output: "y" whereNonZero {})",
                       {Tensor({3, 3}, {1, 2, 1, 0, 2, 2, 2, 1, 0})}, nd);
  check_tensor(out[0], {7, 2}, {0, 0, 0, 1, 0, 2, 1, 1, 1, 2, 2, 0, 2, 1});
  auto none = run_layer(R"(name: "w" input: "x" output: "y" whereNonZero {})", {Tensor({2, 2}, {0, 0, 0, 0})}, nd);
  check_tensor(none[0], {0, 2}, {});
}

TEST_CASE("indexing: oneHot on every output axis, out-of-range indices give all off") {
  const Tensor indices({2, 2}, {2, 0, 5, -1});
  // np.where(np.arange(4) == i[..., None], 5, -1)
  auto last = run_layer(R"(name: "o" input: "i" output: "y"
                           oneHot { oneHotVectorSize: 4 axis: -1 onValue: 5 offValue: -1 })",
                        {indices}, nd);
  check_tensor(last[0], {2, 2, 4}, {-1, -1, 5, -1, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
  // np.moveaxis(that, -1, 0)
  auto first = run_layer(R"(name: "o" input: "i" output: "y"
                            oneHot { oneHotVectorSize: 4 axis: 0 onValue: 5 offValue: -1 })",
                         {indices}, nd2);
  check_tensor(first[0], {4, 2, 2}, {-1, 5, -1, -1, -1, -1, -1, -1, 5, -1, -1, -1, -1, -1, -1, -1});
  // np.moveaxis(that, -1, 1); the depth comes from the second input, the parameter is ignored
  auto middle = run_layer(R"(name: "o" input: "i" input: "d" output: "y"
                             oneHot { oneHotVectorSize: 9 axis: 1 onValue: 5 offValue: -1 })",
                          {indices, Tensor({1}, {4})}, nd);
  check_tensor(middle[0], {2, 4, 2}, {-1, 5, -1, -1, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
}

TEST_CASE("indexing: oneHot parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "o" input: "i" output: "y" oneHot { axis: -1 })", {Tensor({1}, {0})}, nd),
                       "layer 'o' (oneHot): oneHotVectorSize must be at least 1 when no second input gives it, but is 0",
                       Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "o" input: "i" output: "y" oneHot { oneHotVectorSize: 3 })", {Tensor({1}, {0.5F})}, nd),
      "layer 'o' (oneHot): index 0.5 is not an integer (one-hot indices)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "o" input: "i" input: "d" output: "y" oneHot {})",
                                 {Tensor({1}, {0}), Tensor({1}, {2.5F})}, nd),
                       "layer 'o' (oneHot): the one-hot vector size input must be a non-negative integer, but is 2.5",
                       Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "o" input: "i" output: "y" oneHot { oneHotVectorSize: 3 axis: 2 })", {Tensor({1}, {0})}, nd),
      "layer 'o' (oneHot): axis 2 is out of range for rank 2", Error);
}

TEST_CASE("indexing: matrixBandPart keeps the band of every trailing matrix") {
  // m = np.arange(1,21).reshape(4,5); band(m,n) = (lo<0 or m-n<=lo) and (up<0 or n-m<=up); band * m
  auto band = run_layer(R"(name: "b" input: "x" output: "y" matrixBandPart { numLower: 1 numUpper: 2 })",
                        {arange({4, 5}, 1)}, nd);
  check_tensor(band[0], {4, 5}, {1, 2, 3, 0, 0, 6, 7, 8, 9, 0, 0, 12, 13, 14, 15, 0, 0, 18, 19, 20});
  // numLower -1 (all), numUpper 0, on a batch of two equal matrices
  Tensor twice({2, 4, 5});
  for (int i = 0; i < 40; ++i) twice.data()[i] = static_cast<float>(i % 20 + 1);
  auto lower = run_layer(R"(name: "b" input: "x" output: "y" matrixBandPart { numLower: -1 numUpper: 0 })", {twice},
                         nd2);
  const std::vector<float> tril = {1, 0, 0, 0, 0, 6, 7, 0, 0, 0, 11, 12, 13, 0, 0, 16, 17, 18, 19, 0};
  std::vector<float> expected = tril;
  expected.insert(expected.end(), tril.begin(), tril.end());
  check_tensor(lower[0], {2, 4, 5}, expected);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "b" input: "x" output: "y" matrixBandPart {})", {arange({3})}, nd),
                       "layer 'b' (matrixBandPart): needs an input of rank >= 2, but it has shape [3]", Error);
}

TEST_CASE("indexing: lowerTriangular and upperTriangular follow numpy tril and triu") {
  const Tensor m = arange({4, 5}, 1);
  // np.tril(m, 1)
  check_tensor(run_layer(R"(name: "t" input: "x" output: "y" lowerTriangular { k: 1 })", {m}, nd)[0], {4, 5},
               {1, 2, 0, 0, 0, 6, 7, 8, 0, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19, 20});
  // np.tril(m, -1)
  check_tensor(run_layer(R"(name: "t" input: "x" output: "y" lowerTriangular { k: -1 })", {m}, nd)[0], {4, 5},
               {0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 11, 12, 0, 0, 0, 16, 17, 18, 0, 0});
  // np.triu(m, -1)
  check_tensor(run_layer(R"(name: "t" input: "x" output: "y" upperTriangular { k: -1 })", {m}, nd)[0], {4, 5},
               {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 12, 13, 14, 15, 0, 0, 18, 19, 20});
  // np.triu(m, 2)
  check_tensor(run_layer(R"(name: "t" input: "x" output: "y" upperTriangular { k: 2 })", {m}, nd)[0], {4, 5},
               {0, 0, 3, 4, 5, 0, 0, 0, 9, 10, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0});
}

}  // namespace
}  // namespace mlconv::exec
