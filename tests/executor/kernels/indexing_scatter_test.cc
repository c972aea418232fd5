// Indexing family, scatter and sort side: scatter (every mode), scatterND,
// scatterAlongAxis, topK and argSort. Expected values come from the NumPy
// expression (loops over np arrays for scatter) in each comment.
#include <cmath>
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

std::string scatter_layer(const char* mode) {
  return std::string(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatter { axis: 0 mode: )") + mode + " }";
}

TEST_CASE("indexing: scatter on axis 0 in every mode, repeated indices applied in order") {
  // c = np.arange(12).reshape(3,4); for i, k in enumerate([2,0,2]): c[k] <op>= u[i]
  const Tensor container = arange({3, 4});
  const Tensor indices({3}, {2, 0, 2});
  const Tensor updates({3, 4}, {1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400});
  struct Case {
    const char* mode;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {"SCATTER_UPDATE", {10, 20, 30, 40, 4, 5, 6, 7, 100, 200, 300, 400}},
      {"SCATTER_ADD", {10, 21, 32, 43, 4, 5, 6, 7, 109, 211, 313, 415}},
      {"SCATTER_SUB", {-10, -19, -28, -37, 4, 5, 6, 7, -93, -193, -293, -393}},
      {"SCATTER_MUL", {0, 20, 60, 120, 4, 5, 6, 7, 800, 3600, 9000, 17600}},
      {"SCATTER_DIV", {0, 0.05F, 0.0666666701F, 0.075F, 4, 5, 6, 7, 0.08F, 0.0225F, 0.0111111104F, 0.006875F}},
      {"SCATTER_MAX", {10, 20, 30, 40, 4, 5, 6, 7, 100, 200, 300, 400}},
      {"SCATTER_MIN", {0, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.mode);
    check_tensor(run_layer(scatter_layer(c.mode), {container, indices, updates}, nd)[0], {3, 4}, c.expected);
  }
}

TEST_CASE("indexing: scatter on the last axis with rank-2 indices") {
  // c = zeros((2,3)); i = [[-1],[0]]; u has shape (2, 2, 1); c[r, i[a,b]] += u[r,a,b]
  auto out = run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatter { axis: -1 mode: SCATTER_ADD })",
                       {Tensor({2, 3}), Tensor({2, 1}, {-1, 0}), Tensor({2, 2, 1}, {1, 2, 3, 4})}, nd);
  check_tensor(out[0], {2, 3}, {2, 0, 1, 4, 0, 3});
}

TEST_CASE("indexing: scatter of wide rows on two threads") {
  // c = zeros((4, 3000)); c[[1,1,3]] += ones((3, 3000)): row 1 is 2, row 3 is 1
  const Tensor updates({3, 3000}, std::vector<float>(9000, 1.0F));
  auto out = run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatter { mode: SCATTER_ADD })",
                       {Tensor({4, 3000}), Tensor({3}, {1, 1, 3}), updates}, nd2);
  std::vector<float> expected(12000, 0.0F);
  std::fill(expected.begin() + 3000, expected.begin() + 6000, 2.0F);
  std::fill(expected.begin() + 9000, expected.end(), 1.0F);
  check_tensor(out[0], {4, 3000}, expected);
}

TEST_CASE("indexing: scatter errors") {
  const Tensor container = arange({3, 4});
  CHECK_THROWS_WITH_AS(run_layer(scatter_layer("SCATTER_ADD"), {container, Tensor({1}, {3}), Tensor({1, 4})}, nd),
                       "layer 's' (scatter): index 3 is out of range for axis 0 of size 3 (valid: -3 to 2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(scatter_layer("SCATTER_ADD"), {container, Tensor({2}, {0, 1}), Tensor({1, 4})}, nd),
                       "layer 's' (scatter): updates have shape [1, 4], but must have shape [2, 4] "
                       "(container.shape[:axis] + indices.shape + container.shape[axis+1:] with axis 0)",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(scatter_layer("9"), {container, Tensor({1}, {0}), Tensor({1, 4})}, nd),
                       "layer 's' (scatter): unknown scatter mode 9 (expected 0-6, SCATTER_UPDATE to SCATTER_MIN)",
                       Error);
}

TEST_CASE("indexing: scatterND adds and overwrites slices") {
  // c = np.arange(24).reshape(2,3,4); u = -np.arange(12).reshape(3,4)
  // for p, ix in enumerate([[1,2],[0,0],[1,2]]): c[tuple(ix)] <op>= u[p]
  const Tensor container = arange({2, 3, 4});
  const Tensor indices({3, 2}, {1, 2, 0, 0, 1, 2});
  Tensor updates = arange({3, 4});
  for (float& v : updates.values()) v = -v;
  auto added = run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatterND { mode: SCATTER_ADD })",
                         {container, indices, updates}, nd2);
  check_tensor(added[0], {2, 3, 4}, {-4, -4, -4, -4, 4,  5,  6,  7,  8,  9,  10, 11,
                                     12, 13, 14, 15, 16, 17, 18, 19, 12, 11, 10, 9});
  auto updated = run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatterND {})",
                           {container, indices, updates}, nd);
  check_tensor(updated[0], {2, 3, 4}, {-4, -5, -6, -7, 4,  5,  6,  7,  8,  9,  10,  11,
                                       12, 13, 14, 15, 16, 17, 18, 19, -8, -9, -10, -11});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatterND {})",
                                 {container, Tensor({1, 2}, {0, 3}), Tensor({1, 4})}, nd),
                       "layer 's' (scatterND): index 3 is out of range for axis 1 of size 3 (valid: 0 to 2)", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatterND {})",
                                 {container, Tensor({1, 2}, {0, 1}), Tensor({4})}, nd),
                       "layer 's' (scatterND): updates have shape [4], but must have shape [1, 4] "
                       "(indices.shape[:-1] + container.shape[indices.shape[-1]:])",
                       Error);
}

TEST_CASE("indexing: scatterAlongAxis is put_along_axis with accumulation") {
  const char* update = R"(name: "s" input: "c" input: "i" input: "u" output: "y" scatterAlongAxis { axis: 1 })";
  const char* add = R"(name: "s" input: "c" input: "i" input: "u" output: "y"
                       scatterAlongAxis { axis: -1 mode: SCATTER_ADD })";
  const Tensor indices({2, 2}, {2, -3, 1, 1});
  const Tensor updates({2, 2}, {5, 6, 7, 8});
  // np.put_along_axis(zeros((2,3)), [[2,0],[1,1]], [[5,6],[7,8]], axis=1): the last write wins
  check_tensor(run_layer(update, {Tensor({2, 3}), indices, updates}, nd)[0], {2, 3}, {6, 0, 5, 0, 8, 0});
  // for r, j: c[r, i[r,j]] += u[r,j]
  check_tensor(run_layer(add, {Tensor({2, 3}), indices, updates}, nd)[0], {2, 3}, {6, 0, 5, 0, 15, 0});
  // c = ones((3,2)); for j, k: c[i[j,k], k] *= u[j,k] with i = [[0,2],[0,0]], u = [[2,3],[4,5]]
  auto mul = run_layer(R"(name: "s" input: "c" input: "i" input: "u" output: "y"
                          scatterAlongAxis { axis: 0 mode: SCATTER_MUL })",
                       {Tensor({3, 2}, {1, 1, 1, 1, 1, 1}), Tensor({2, 2}, {0, 2, 0, 0}), Tensor({2, 2}, {2, 3, 4, 5})},
                       nd2);
  check_tensor(mul[0], {3, 2}, {8, 5, 1, 1, 1, 3});
  CHECK_THROWS_WITH_AS(run_layer(update, {Tensor({2, 3}), Tensor({2, 2}, {0, 1, 3, 0}), updates}, nd),
                       "layer 's' (scatterAlongAxis): index 3 is out of range for axis 1 of size 3 (valid: -3 to 2)",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(update, {Tensor({2, 3}), indices, Tensor({2, 3})}, nd),
                       "layer 's' (scatterAlongAxis): updates have shape [2, 3], but must have shape [2, 2] "
                       "(the shape of the indices)",
                       Error);
}

TEST_CASE("indexing: topK largest and smallest, ties keep the lower index first") {
  const Tensor x({2, 5}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3});
  // i = np.argsort(-x, axis=1, kind='stable')[:, :3]; np.take_along_axis(x, i, 1)
  auto top = run_layer(R"(name: "t" input: "x" output: "v" output: "i" topK { axis: -1 K: 3 })", {x}, nd2);
  check_tensor(top[0], {2, 3}, {5, 4, 3, 9, 6, 5});
  check_tensor(top[1], {2, 3}, {4, 2, 0, 0, 2, 3});
  // np.argsort(x, axis=1, kind='stable')[:, :2]; K from the second input (the parameter is ignored)
  auto bottom = run_layer(R"(name: "t" input: "x" input: "k" output: "v" output: "i"
                             topK { axis: 1 K: 5 useBottomK: true })",
                          {x, Tensor({1}, {2})}, nd);
  check_tensor(bottom[0], {2, 2}, {1, 1, 2, 3});
  check_tensor(bottom[1], {2, 2}, {1, 3, 1, 4});
  // np.argsort(-x, axis=0, kind='stable')[:1]
  auto column = run_layer(R"(name: "t" input: "x" output: "v" output: "i" topK { axis: 0 K: 1 })", {x}, nd);
  check_tensor(column[0], {1, 5}, {9, 2, 6, 5, 5});
  check_tensor(column[1], {1, 5}, {1, 1, 1, 1, 0});
}

TEST_CASE("indexing: topK parameter errors") {
  const Tensor x({2, 5});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "t" input: "x" output: "v" output: "i" topK { axis: 1 K: 6 })", {x}, nd),
                       "layer 't' (topK): K is 6, but must be between 1 and the size 5 of axis 1 of the input of shape "
                       "[2, 5]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "t" input: "x" output: "v" output: "i" topK { axis: 1 })", {x}, nd),
                       "layer 't' (topK): K must be at least 1 when no second input gives it, but is 0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "t" input: "x" input: "k" output: "v" output: "i" topK {})",
                                 {x, Tensor({2}, {1, 2})}, nd),
                       "layer 't' (topK): the K input must hold one value, but has shape [2]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "t" input: "x" output: "v" topK { K: 1 })", {x}, nd),
                       "layer 't' (topK): produces 2 outputs, but the layer lists 1", Error);
}

TEST_CASE("indexing: argSort ascending and descending is stable, NaN last") {
  const char* ascending = R"(name: "a" input: "x" output: "y" argSort { axis: 0 })";
  const char* descending = R"(name: "a" input: "x" output: "y" argSort { axis: 0 descending: true })";
  // np.argsort(y, kind='stable'); descending: sorted(range(5), key=lambda k: (-y[k], k))
  const Tensor y({5}, {2, 7, 2, 7, 1});
  check_tensor(run_layer(ascending, {y}, nd)[0], {5}, {4, 0, 2, 1, 3});
  check_tensor(run_layer(descending, {y}, nd)[0], {5}, {1, 3, 0, 2, 4});
  // np.argsort(w, kind='stable') and np.argsort(-w, kind='stable') for w = [1, nan, 0, 2]
  const Tensor w({4}, {1, std::nanf(""), 0, 2});
  check_tensor(run_layer(ascending, {w}, nd)[0], {4}, {2, 0, 3, 1});
  check_tensor(run_layer(descending, {w}, nd)[0], {4}, {3, 0, 2, 1});
  // the spec's example: [[3,5,32],[3,77,6]], axis 1, descending -> [[2,1,0],[1,2,0]]
  check_tensor(run_layer(R"(name: "a" input: "x" output: "y" argSort { axis: 1 descending: true })",
                         {Tensor({2, 3}, {3, 5, 32, 3, 77, 6})}, nd2)[0],
               {2, 3}, {2, 1, 0, 1, 2, 0});
  // np.argsort([[4,1],[2,8],[4,0]], axis=0, kind='stable')
  check_tensor(run_layer(ascending, {Tensor({3, 2}, {4, 1, 2, 8, 4, 0})}, nd)[0], {3, 2}, {1, 2, 0, 0, 2, 1});
}

}  // namespace
}  // namespace mlconv::exec
