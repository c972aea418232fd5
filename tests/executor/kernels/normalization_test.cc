// Normalization kernels: batchnorm, mvn, l2normalize, lrn, softmax, softmaxND, layerNormalization.
// Expected values: NumPy expressions in the comments.
#include <cmath>
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

constexpr const char* kBatchnormWeights =
    R"(channels: 2 gamma { floatValue: [1, 2] } beta { floatValue: [0, 1] } )";

TEST_CASE("normalization: batchnorm with given mean and variance") {
  // x=[[1,2,3],[4,5,6]] (C=2,H=1,W=3): g*(x-m)/sqrt(v+1e-5)+b, m=[2,5], v=[1,4]
  auto out = run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights +
                           R"(mean { floatValue: [2, 5] } variance { floatValue: [1, 4] } })",
                       {rank5(2, 1, 3, {1, 2, 3, 4, 5, 6})});
  check_tensor(out[0], {1, 1, 2, 1, 3}, {-0.999995F, 0, 0.999995F, 0.00000125F, 1, 1.99999875F});
}

TEST_CASE("normalization: batchnorm computing statistics over the batch or per instance") {
  // X = [[[1,2],[10,20]],[[3,6],[30,40]]] as [B=2, C=2, H=1, W=2]; epsilon 1e-3
  const Tensor x({1, 2, 2, 1, 2}, {1, 2, 10, 20, 3, 6, 30, 40});
  auto out = run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights +
                           "computeMeanVar: true epsilon: 0.001 }",
                       {x});
  // mean/var over axes (0, 2)
  check_tensor(out[0], {1, 2, 2, 1, 2},
               {-1.06889228F, -0.53444614F, -1.68327084F, 0.10557639F, 0, 1.60333842F, 1.89442361F, 3.68327084F});
  out = run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights +
                      "computeMeanVar: true instanceNormalization: true epsilon: 0.001 }",
                  {x}, LayerRun{.threads = 2});
  // mean/var over axis 2 only
  check_tensor(out[0], {1, 2, 2, 1, 2},
               {-0.99800598F, 0.99800598F, -0.99996F, 2.99996F, -0.99977785F, 0.99977785F, -0.99996F, 2.99996F});
}

TEST_CASE("normalization: batchnorm parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights + "}",
                                 {rank5(2, 1, 1, {1, 2})}),
                       "layer 'bn' (batchnorm): weights 'mean' are missing", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "bn" input: "x" output: "y" batchnorm { channels: 2 gamma { floatValue: [1] } })",
                                 {rank5(2, 1, 1, {1, 2})}),
                       "layer 'bn' (batchnorm): weights 'gamma' hold 1 values; expected 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights +
                                     "computeMeanVar: true }",
                                 {rank5(3, 1, 1, {1, 2, 3})}),
                       "layer 'bn' (batchnorm): input [1, 1, 3, 1, 1] has 3 channels (axis -3); the layer has 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(std::string(R"(name: "bn" input: "x" output: "y" batchnorm { )") + kBatchnormWeights +
                                     "mean { floatValue: [0, 0] } variance { floatValue: [1, -2] } }",
                                 {rank5(2, 1, 1, {1, 2})}),
                       "layer 'bn' (batchnorm): variance[1] is -2.000000; a variance plus epsilon must be positive", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "bn" input: "x" output: "y" batchnorm { })", {rank5(1, 1, 1, {1})}),
                       "layer 'bn' (batchnorm): batchnorm channels is 0; expected the input's channel count", Error);
}

TEST_CASE("normalization: mvn within channels, across channels, mean only") {
  const Tensor y = rank5(2, 1, 2, {1, 3, 2, 10});  // Y = [[1,3],[2,10]]
  auto out = run_layer(R"(name: "m" input: "x" output: "y" mvn { normalizeVariance: true })", {y});
  // (Y-mean(1))/sqrt(var(1)+1e-6)
  check_tensor(out[0], {1, 1, 2, 1, 2}, {-0.9999995F, 0.9999995F, -0.99999997F, 0.99999997F});
  out = run_layer(R"(name: "m" input: "x" output: "y" mvn { acrossChannels: true normalizeVariance: true })", {y});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {-0.8485281F, -0.2828427F, -0.5656854F, 1.69705621F});
  // coremltools' test_MVN: arange(8) as [2,2,2], mean subtracted per channel
  out = run_layer(R"(name: "m" input: "x" output: "y" mvn {})", {rank5(2, 2, 2, {0, 1, 2, 3, 4, 5, 6, 7})});
  check_tensor(out[0], {1, 1, 2, 2, 2}, {-1.5F, -0.5F, 0.5F, 1.5F, -1.5F, -0.5F, 0.5F, 1.5F});
}

TEST_CASE("normalization: l2normalize over C, H, W per batch item") {
  auto out = run_layer(R"(name: "l" input: "x" output: "y" l2normalize {})", {rank5(2, 1, 2, {1, 3, 2, 10})});
  check_tensor(out[0], {1, 1, 2, 1, 2}, {0.09365858F, 0.28097574F, 0.18731716F, 0.93658581F});  // Y/sqrt(sum(Y**2)+1e-6)
  // two batch items normalize separately: [3,4] -> [0.6,0.8], [0,2] -> [0,1]
  out = run_layer(R"(name: "l" input: "x" output: "y" l2normalize { epsilon: 1e-9 })", {Tensor({1, 2, 2, 1, 1}, {3, 4, 0, 2})});
  check_tensor(out[0], {1, 2, 2, 1, 1}, {0.6F, 0.8F, 0, 1});
}

TEST_CASE("normalization: lrn across channels, odd and even window") {
  // c = [1,2,3,4] over C; y_i = c_i / (k + alpha/n * sum_{window} c_j^2)^beta
  auto out = run_layer(R"(name: "n" input: "x" output: "y" lrn { alpha: 0.5 beta: 0.75 localSize: 3 k: 2 })",
                       {rank5(4, 1, 1, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 4, 1, 1}, {0.45790644F, 0.66590676F, 0.70981766F, 1.02216766F});
  // n=4: window [i-1, i+2]; k unset means 1
  out = run_layer(R"(name: "n" input: "x" output: "y" lrn { alpha: 1 beta: 0.5 localSize: 4 })",
                  {rank5(4, 1, 1, {1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 4, 1, 1}, {0.47140452F, 0.68599434F, 1.04446594F, 1.48556271F});
  // coremltools' test_LRN: ones, alpha=2 beta=3 n=1 k=8 -> 1e-3
  out = run_layer(R"(name: "n" input: "x" output: "y" lrn { alpha: 2 beta: 3 localSize: 1 k: 8 })",
                  {rank5(1, 1, 2, {1, 1})});
  check_tensor(out[0], {1, 1, 1, 1, 2}, {1e-3F, 1e-3F}, 1e-8F);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "n" input: "x" output: "y" lrn { alpha: 1 beta: 1 })", {rank5(1, 1, 1, {1})}),
                       "layer 'n' (lrn): lrn localSize is 0; expected 1 or more channels", Error);
}

// S = [[[1,2],[3,4]],[[0,-1],[1000,2]]] as [C=2, H=2, W=2]
Tensor softmax_input() { return rank5(2, 2, 2, {1, 2, 3, 4, 0, -1, 1000, 2}); }

TEST_CASE("normalization: softmax over C is stable for large values") {
  auto out = run_layer(R"(name: "s" input: "x" output: "y" softmax {})", {softmax_input()});
  check_tensor(out[0], {1, 1, 2, 2, 2},
               {0.73105858F, 0.95257413F, 0, 0.88079708F, 0.26894142F, 0.04742587F, 1, 0.11920292F});
}

TEST_CASE("normalization: softmaxND over the last and a middle axis") {
  const Tensor s({2, 2, 2}, {1, 2, 3, 4, 0, -1, 1000, 2});
  auto out = run_layer(R"(name: "s" input: "x" output: "y" softmaxND { axis: -1 })", {s}, LayerRun{.mapping = ShapeMapping::exact});
  check_tensor(out[0], {2, 2, 2}, {0.26894142F, 0.73105858F, 0.26894142F, 0.73105858F, 0.73105858F, 0.26894142F, 1, 0});
  out = run_layer(R"(name: "s" input: "x" output: "y" softmaxND { axis: 1 })", {s});
  check_tensor(out[0], {2, 2, 2}, {0.11920292F, 0.11920292F, 0.88079708F, 0.88079708F, 0, 0.04742587F, 1, 0.95257413F});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" softmaxND { axis: 3 })", {s}),
                       "layer 's' (softmaxND): axis 3 is out of range for rank 3", Error);
}

TEST_CASE("normalization: softmax of a large tensor across threads sums to one") {
  const std::int64_t c = 10;
  const std::int64_t hw = 20000;
  std::vector<float> values(static_cast<std::size_t>(c * hw));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 17) * 0.25F;
  auto out = run_layer(R"(name: "s" input: "x" output: "y" softmax {})", {rank5(c, 1, hw, values)}, LayerRun{.threads = 2});
  for (std::int64_t j = 0; j < hw; j += 997) {
    double total = 0;
    for (std::int64_t k = 0; k < c; ++k) total += out[0].values()[static_cast<std::size_t>(k * hw + j)];
    CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
  }
  // element 0: channel values at j=0 are (k*20000 % 17)*0.25 for k = 0..9
  double denom = 0;
  for (std::int64_t k = 0; k < c; ++k) denom += std::exp(static_cast<double>((k * hw) % 17) * 0.25);
  CHECK(out[0].values()[0] == doctest::Approx(1.0 / denom).epsilon(1e-5));
}

TEST_CASE("normalization: layerNormalization over the trailing axes") {
  // L = [[1,2,3],[2,4,8]], gamma [1,2,0.5], beta [0,1,-1], eps 1e-5, normalized over the last axis
  auto out = run_layer(R"(name: "ln" input: "x" output: "y" layerNormalization {
      normalizedShape: 3 eps: 1e-5 gamma { floatValue: [1, 2, 0.5] } beta { floatValue: [0, 1, -1] } })",
                       {Tensor({2, 3}, {1, 2, 3, 2, 4, 8})});
  check_tensor(out[0], {2, 3}, {-1.22473569F, 1, -0.38763216F, -1.06904411F, 0.46547795F, -0.33184743F});
  // over both axes, gamma = arange(1,7), beta 0
  out = run_layer(R"(name: "ln" input: "x" output: "y" layerNormalization {
      normalizedShape: [2, 3] eps: 1e-5 gamma { floatValue: [1, 2, 3, 4, 5, 6] } beta { floatValue: [0, 0, 0, 0, 0, 0] } })",
                  {Tensor({2, 3}, {1, 2, 3, 2, 4, 8})});
  check_tensor(out[0], {2, 3}, {-1.02105396F, -1.16691881F, -0.43759456F, -2.33383763F, 1.45864852F, 12.25264755F});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "ln" input: "x" output: "y" layerNormalization {
      normalizedShape: 2 gamma { floatValue: [1, 1] } beta { floatValue: [0, 0] } })",
                                 {Tensor({2, 3}, {1, 2, 3, 2, 4, 8})}),
                       "layer 'ln' (layerNormalization): input [2, 3] does not end with normalizedShape [2]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "ln" input: "x" output: "y" layerNormalization { normalizedShape: 3
      gamma { floatValue: [1, 1, 1] } })",
                                 {Tensor({2, 3})}),
                       "layer 'ln' (layerNormalization): weights 'beta' are missing", Error);
}

}  // namespace
}  // namespace mlconv::exec
