// ND broadcastable arithmetic, where, comparisons and logical layers.
// a = np.array([[7,-7],[5.5,-5.5],[3,4]]), b = np.array([2,-3]) unless noted.
#include <string>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

Tensor binary(const std::string& type, Tensor a, Tensor b, const LayerRun& run = {}) {
  return run_layer(R"(name: "op" input: ["a", "b"] output: "y" )" + type + " {}", {std::move(a), std::move(b)}, run)[0];
}
Tensor a32() { return Tensor({3, 2}, {7, -7, 5.5F, -5.5F, 3, 4}); }
Tensor b2() { return Tensor({2}, {2, -3}); }

TEST_CASE("arithmetic: broadcastable add, subtract, multiply, divide, min, max") {
  check_tensor(binary("addBroadcastable", a32(), b2()), {3, 2}, {9, -10, 7.5F, -8.5F, 5, 1});
  check_tensor(binary("subtractBroadcastable", a32(), b2()), {3, 2}, {5, -4, 3.5F, -2.5F, 1, 7});
  check_tensor(binary("multiplyBroadcastable", a32(), b2()), {3, 2}, {14, 21, 11, 16.5F, 6, -12});
  check_tensor(binary("divideBroadcastable", a32(), b2()), {3, 2},
               {3.5F, 2.33333333F, 2.75F, 1.83333333F, 1.5F, -1.33333333F});
  check_tensor(binary("minBroadcastable", a32(), b2()), {3, 2}, {2, -7, 2, -5.5F, 2, -3});
  check_tensor(binary("maxBroadcastable", a32(), b2()), {3, 2}, {7, -3, 5.5F, -3, 3, 4});
  // the scalar on the left
  check_tensor(binary("subtractBroadcastable", Tensor({1}, {1}), b2()), {2}, {-1, 4});
}

TEST_CASE("arithmetic: floorDiv, mod (sign of the divisor) and pow") {
  check_tensor(binary("floorDivBroadcastable", a32(), b2()), {3, 2}, {3, 2, 2, 1, 1, -2});  // np.floor_divide
  check_tensor(binary("modBroadcastable", a32(), b2()), {3, 2}, {1, -1, 1.5F, -2.5F, 1, -2});  // np.mod
  // np.power(np.abs(a), b)
  check_tensor(binary("powBroadcastable", Tensor({3, 2}, {7, 7, 5.5F, 5.5F, 3, 4}), b2()), {3, 2},
               {49, 0.00291545F, 30.25F, 0.00601052F, 9, 0.015625F});
}

TEST_CASE("arithmetic: both operands broadcast, ranks differ") {
  // [2,1] + [1,3] -> [2,3]
  check_tensor(binary("addBroadcastable", Tensor({2, 1}, {1, 2}), Tensor({1, 3}, {10, 20, 30})), {2, 3},
               {11, 21, 31, 12, 22, 32});
  // [2,1,3] * [3]: the lower rank aligns to the right
  check_tensor(binary("multiplyBroadcastable", Tensor({2, 1, 3}, {1, 2, 3, 4, 5, 6}), Tensor({3}, {1, 10, 100})),
               {2, 1, 3}, {1, 20, 300, 4, 50, 600});
  // [2,1,2] - [3,1]: middle axis from b, outer from a
  check_tensor(binary("subtractBroadcastable", Tensor({2, 1, 2}, {1, 2, 3, 4}), Tensor({3, 1}, {0, 10, 20})), {2, 3, 2},
               {1, 2, -9, -8, -19, -18, 3, 4, -7, -6, -17, -16});
  CHECK_THROWS_WITH_AS(binary("addBroadcastable", Tensor({2, 3}), Tensor({4})),
                       "layer 'op' (addBroadcastable): shapes [2, 3] and [4] do not broadcast", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "op" input: "a" output: "y" addBroadcastable {})", {a32()}),
                       "layer 'op' (addBroadcastable): has 1 input; expected 2 inputs", Error);
}

TEST_CASE("arithmetic: broadcasting across threads matches a plain loop") {
  const std::int64_t rows = 300;
  const std::int64_t cols = 200;
  std::vector<float> a(static_cast<std::size_t>(rows * cols * 3));
  std::vector<float> b(static_cast<std::size_t>(cols));
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 13);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i) * 0.5F;
  std::vector<float> expected(a.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      for (std::int64_t k = 0; k < 3; ++k) {
        const auto i = static_cast<std::size_t>((r * cols + c) * 3 + k);
        expected[i] = a[i] - b[static_cast<std::size_t>(c)];
      }
  check_tensor(binary("subtractBroadcastable", Tensor({rows, cols, 3}, a), Tensor({cols, 1}, b), LayerRun{.threads = 2}),
               {rows, cols, 3}, expected);
}

TEST_CASE("arithmetic: whereBroadcastable picks x where the condition is nonzero") {
  auto out = run_layer(R"(name: "w" input: ["c", "x", "y"] output: "o" whereBroadcastable {})",
                       {Tensor({3}, {0, 1, 2}), Tensor({3}, {1, 2, 3}), Tensor({3}, {4, 5, 6})});
  check_tensor(out[0], {3}, {4, 2, 3});
  out = run_layer(R"(name: "w" input: ["c", "x", "y"] output: "o" whereBroadcastable {})",
                  {Tensor({2, 1}, {1, 0}), Tensor({1, 3}, {1, 2, 3}), Tensor({1}, {-1})});
  check_tensor(out[0], {2, 3}, {1, 2, 3, -1, -1, -1});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "w" input: ["c", "x", "y"] output: "o" whereBroadcastable {})",
                                 {Tensor({2}), Tensor({3}), Tensor({1})}),
                       "layer 'w' (whereBroadcastable): shapes [2] and [3] do not broadcast", Error);
}

TEST_CASE("arithmetic: comparisons with two inputs or with alpha") {
  const Tensor a({3}, {1, 2, 3});
  const Tensor b({3}, {2, 2, 2});
  const std::vector<std::pair<std::string, std::vector<float>>> cases{
      {"equal", {0, 1, 0}},    {"notEqual", {1, 0, 1}},   {"lessThan", {1, 0, 0}},
      {"lessEqual", {1, 1, 0}}, {"greaterThan", {0, 0, 1}}, {"greaterEqual", {0, 1, 1}}};
  for (const auto& entry : cases) {
    const auto& type = entry.first;
    const auto& expected = entry.second;
    CAPTURE(type);
    check_tensor(binary(type, a, b), {3}, expected);
    check_tensor(run_layer(R"(name: "c" input: "a" output: "y" )" + type + " { alpha: 2 }", {a})[0], {3}, expected);
  }
}

TEST_CASE("arithmetic: logical and, or, xor, not treat nonzero as true") {
  const Tensor a({4}, {0, 1, 0, 2});
  const Tensor b({4}, {0, 0, 3, -1});
  check_tensor(binary("logicalAnd", a, b), {4}, {0, 0, 0, 1});
  check_tensor(binary("logicalOr", a, b), {4}, {0, 1, 1, 1});
  check_tensor(binary("logicalXor", a, b), {4}, {0, 1, 1, 0});
  check_tensor(run_layer(R"(name: "n" input: "a" output: "y" logicalNot {})", {a})[0], {4}, {1, 0, 1, 0});
}

}  // namespace
}  // namespace mlconv::exec
