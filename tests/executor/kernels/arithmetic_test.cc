// Classic arithmetic: add, multiply, average, max, min, scale, bias, dot, loadConstant(ND).
// Expected values are hand calculations, written next to each check.
#include <string>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::rank5;
using testing::run_layer;

TEST_CASE("arithmetic: add and multiply with one input use alpha") {
  auto out = run_layer(R"(name: "a" input: "x" output: "y" add { alpha: 10 })", {rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {11, 12, 13, 14});
  out = run_layer(R"(name: "m" input: "x" output: "y" multiply { alpha: 3 })", {rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {3, 6, 9, 12});
}

TEST_CASE("arithmetic: add, average, multiply over three inputs with classic broadcasting") {
  // x [C=2,H=1,W=2] = [1,2,3,4]; per-channel [10,20]; per-width [100,200]
  std::vector<Tensor> in{rank5(2, 1, 2, {1, 2, 3, 4}), rank5(2, 1, 1, {10, 20}), rank5(1, 1, 2, {100, 200})};
  auto out = run_layer(R"(name: "a" input: ["x", "c", "w"] output: "y" add {})", in);
  check_tensor(out[0], {1, 1, 2, 1, 2}, {111, 212, 123, 224});
  out = run_layer(R"(name: "a" input: ["x", "c", "w"] output: "y" average {})", in);
  check_tensor(out[0], {1, 1, 2, 1, 2}, {37, 212.F / 3, 41, 224.F / 3});
  out = run_layer(R"(name: "a" input: ["x", "c", "w"] output: "y" multiply {})", in);
  check_tensor(out[0], {1, 1, 2, 1, 2}, {1000, 4000, 6000, 16000});
}

TEST_CASE("arithmetic: the output grows when a later input is larger") {
  // [1,2] + [3,4] (per width), then + [10,20] per channel -> [2,1,2]
  auto out = run_layer(R"(name: "a" input: ["p", "q", "c"] output: "y" add {})",
                       {rank5(1, 1, 2, {1, 2}), rank5(1, 1, 2, {3, 4}), rank5(2, 1, 1, {10, 20})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {14, 16, 24, 26});
  out = run_layer(R"(name: "a" input: ["s", "x"] output: "y" add {})", {rank5(1, 1, 1, {1}), rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {2, 3, 4, 5});
}

TEST_CASE("arithmetic: max and min of N inputs; one input is copied") {
  std::vector<Tensor> in{rank5(2, 1, 2, {1, 2, 3, 4}), rank5(2, 1, 1, {2.5F, 0})};
  auto out = run_layer(R"(name: "m" input: ["x", "c"] output: "y" max {})", in);
  check_tensor(out[0], {1, 1, 2, 1, 2}, {2.5F, 2.5F, 3, 4});
  out = run_layer(R"(name: "m" input: ["x", "c"] output: "y" min {})", in);
  check_tensor(out[0], {1, 1, 2, 1, 2}, {1, 2, 0, 0});
  out = run_layer(R"(name: "m" input: "x" output: "y" max {})", {rank5(1, 1, 2, {-1, 5})});
  check_tensor(out[0], {1, 1, 1, 1, 2}, {-1, 5});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "m" input: ["x", "c"] output: "y" max {})",
                                 {rank5(2, 1, 2, {1, 2, 3, 4}), rank5(3, 1, 1, {1, 2, 3})}),
                       "layer 'm' (max): shapes [1, 1, 2, 1, 2] and [1, 1, 3, 1, 1] do not broadcast", Error);
}

TEST_CASE("arithmetic: scale per channel with a [1, H, W] bias, scalar scale, [C, H, W] bias") {
  // x*[2,3 per channel] + [10,20 per width]: [1*2+10, 2*2+20, 3*3+10, 4*3+20]
  auto out = run_layer(R"(name: "s" input: "x" output: "y" scale {
      shapeScale: 2 scale { floatValue: [2, 3] } hasBias: true shapeBias: [1, 1, 2] bias { floatValue: [10, 20] } })",
                       {rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {12, 24, 19, 32});
  out = run_layer(R"(name: "s" input: "x" output: "y" scale { shapeScale: 1 scale { floatValue: 5 } })",
                  {rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {5, 10, 15, 20});
  out = run_layer(R"(name: "b" input: "x" output: "y" bias { shape: [2, 1, 2] bias { floatValue: [1, -1, 0.5, 0] } })",
                  {rank5(2, 1, 2, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {2, 1, 3.5F, 4});
  // rank-4 ND input [B=2, C=1, H=1, W=2]: the scalar bias repeats over the batch
  out = run_layer(R"(name: "b" input: "x" output: "y" bias { shape: 1 bias { floatValue: 1 } })",
                  {Tensor({2, 1, 1, 2}, {1, 2, 3, 4})}, LayerRun{.mapping = ShapeMapping::exact});
  check_tensor(out[0], {2, 1, 1, 2}, {2, 3, 4, 5});
}

TEST_CASE("arithmetic: scale and bias parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" scale { shapeScale: 3 scale { floatValue: [1, 2, 3] } })",
                                 {rank5(2, 1, 2, {1, 2, 3, 4})}),
                       "layer 's' (scale): scale of shape [3, 1, 1] does not fit the input's [C, H, W] = [2, 1, 2]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" scale { shapeScale: 2 scale { floatValue: [1, 2, 3] } })",
                                 {rank5(2, 1, 2, {1, 2, 3, 4})}),
                       "layer 's' (scale): scale has 3 values but its shape [2, 1, 1] needs 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" scale { shapeScale: [2, 1] scale { floatValue: [1, 2] } })",
                                 {rank5(2, 1, 2, {1, 2, 3, 4})}),
                       "layer 's' (scale): scale shape has 2 dimensions; expected [1], [C], [1, H, W] or [C, H, W]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" scale { shapeScale: 1 scale { floatValue: 1 } hasBias: true })",
                                 {rank5(2, 1, 2, {1, 2, 3, 4})}),
                       "layer 's' (scale): weights 'bias' are missing", Error);
}

TEST_CASE("arithmetic: dot product and cosine similarity per batch item") {
  // batch 2 of [C=3,1,1]: a=[1,2,3],[4,5,6]; b=[1,0,-1],[2,2,2]
  std::vector<Tensor> in{Tensor({1, 2, 3, 1, 1}, {1, 2, 3, 4, 5, 6}), Tensor({1, 2, 3, 1, 1}, {1, 0, -1, 2, 2, 2})};
  auto out = run_layer(R"(name: "d" input: ["a", "b"] output: "y" dot {})", in);
  check_tensor(out[0], {1, 2, 1, 1, 1}, {-2, 30});
  out = run_layer(R"(name: "d" input: ["a", "b"] output: "y" dot { cosineSimilarity: true })", in);
  check_tensor(out[0], {1, 2, 1, 1, 1}, {-0.37796447F, 0.98692754F});  // -2/sqrt(28), 30/sqrt(924)
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "d" input: ["a", "b"] output: "y" dot {})",
                                 {rank5(3, 1, 1, {1, 2, 3}), rank5(2, 1, 1, {1, 2})}),
                       "layer 'd' (dot): inputs have shapes [1, 1, 3, 1, 1] and [1, 1, 2, 1, 1]; expected equal shapes",
                       Error);
}

TEST_CASE("arithmetic: loadConstant is [1, 1, C, H, W] in rank-5 models and [C, H, W] otherwise") {
  const char* text = R"(name: "k" output: "y" loadConstant { shape: [2, 1, 2] data { floatValue: [1, 2, 3, 4] } })";
  check_tensor(run_layer(text, {})[0], {1, 1, 2, 1, 2}, {1, 2, 3, 4});
  check_tensor(run_layer(text, {}, LayerRun{.mapping = ShapeMapping::exact})[0], {2, 1, 2}, {1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "k" output: "y" loadConstant { shape: [2, 2] data { floatValue: [1, 2, 3, 4] } })", {}),
                       "layer 'k' (loadConstant): shape has 2 dimensions; expected [C, H, W]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "k" output: "y" loadConstant { shape: [2, 1, 2] data { floatValue: [1, 2, 3] } })", {}),
                       "layer 'k' (loadConstant): weights 'data' hold 3 values; expected 4", Error);
}

TEST_CASE("arithmetic: loadConstantND has its own shape") {
  auto out = run_layer(R"(name: "k" output: "y" loadConstantND { shape: [3, 1] data { floatValue: [1, 2, 3] } })", {},
                       LayerRun{.mapping = ShapeMapping::exact});
  check_tensor(out[0], {3, 1}, {1, 2, 3});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "k" output: "y" loadConstantND { shape: [3, 0] data { floatValue: [1] } })", {}),
                       "layer 'k' (loadConstantND): shape has dimension 0; expected 1 or more", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "k" output: "y" loadConstantND { data { floatValue: [1] } })", {}),
                       "layer 'k' (loadConstantND): shape is empty; expected at least one dimension", Error);
}

}  // namespace
}  // namespace mlconv::exec
