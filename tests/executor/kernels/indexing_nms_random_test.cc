// Indexing family, NMS and random side. NMS expectations come from a greedy
// NumPy reference of the coremltools test (IoU matrix as in its
// _compute_iou_matrix). Pinned random values come from an independent Python
// mt19937_64 (checked against the standard's 10000th value 9981545732273789042)
// with the conversions documented in docs/executor/indexing.md; the other
// random tests check distribution statistics and reproducibility.
#include <algorithm>
#include <cmath>
#include <map>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

constexpr LayerRun nd{.mapping = ShapeMapping::exact};

// Boxes [cx, cy, w, h]: IoU(0,1) = 0.6, IoU(0,3) = 0.818, IoU(1,3) = 0.509, box 2 overlaps nothing.
// Best scores 0.9 (class 0), 0.8 (class 1), 0.3 (class 0), 0.7 (class 0).
const Tensor nms_boxes({1, 4, 4}, {0, 0, 2, 2, 0.5F, 0, 2, 2, 5, 5, 1, 1, 0, 0.2F, 2, 2});
const Tensor nms_scores({1, 4, 2}, {0.9F, 0.1F, 0.2F, 0.8F, 0.3F, 0.05F, 0.7F, 0});

std::string nms_layer(const std::string& params, int inputs = 2) {
  const char* names[] = {"b", "s", "iou", "st", "m"};
  std::string text = R"(name: "n" )";
  for (int i = 0; i < inputs; ++i) text += std::string("input: \"") + names[i] + "\" ";
  return text + R"(output: "ob" output: "os" output: "oi" output: "oc" NonMaximumSuppression { )" + params + " }";
}

TEST_CASE("indexing: NonMaximumSuppression across classes pads its outputs") {
  auto out = run_layer(nms_layer("iouThreshold: 0.5 scoreThreshold: 0.25 maxBoxes: 3"), {nms_boxes, nms_scores}, nd);
  check_tensor(out[0], {1, 3, 4}, {0, 0, 2, 2, 5, 5, 1, 1, 0, 0, 0, 0});
  check_tensor(out[1], {1, 3, 2}, {0.9F, 0.1F, 0.3F, 0.05F, 0, 0});
  check_tensor(out[2], {1, 3}, {0, 2, -1});
  check_tensor(out[3], {1}, {2});
}

TEST_CASE("indexing: NonMaximumSuppression per class and with maxBoxes reached") {
  auto out = run_layer(nms_layer("iouThreshold: 0.5 scoreThreshold: 0.25 maxBoxes: 3 perClassSuppression: true"),
                       {nms_boxes, nms_scores}, nd);
  check_tensor(out[0], {1, 3, 4}, {0, 0, 2, 2, 0.5F, 0, 2, 2, 5, 5, 1, 1});
  check_tensor(out[1], {1, 3, 2}, {0.9F, 0.1F, 0.2F, 0.8F, 0.3F, 0.05F});
  check_tensor(out[2], {1, 3}, {0, 1, 2});
  check_tensor(out[3], {1}, {3});
  auto two = run_layer(nms_layer("iouThreshold: 0.5 scoreThreshold: 0.25 maxBoxes: 2 perClassSuppression: true"),
                       {nms_boxes, nms_scores}, nd);
  check_tensor(two[2], {1, 2}, {0, 1});
  check_tensor(two[3], {1}, {2});
}

TEST_CASE("indexing: NonMaximumSuppression with no survivor gives the best box alone") {
  auto out = run_layer(nms_layer("iouThreshold: 0.5 scoreThreshold: 0.95 maxBoxes: 3"), {nms_boxes, nms_scores}, nd);
  check_tensor(out[0], {1, 3, 4}, {0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0});
  check_tensor(out[1], {1, 3, 2}, {0.9F, 0.1F, 0, 0, 0, 0});
  check_tensor(out[2], {1, 3}, {0, -1, -1});
  check_tensor(out[3], {1}, {1});
}

TEST_CASE("indexing: NonMaximumSuppression thresholds and box count from inputs, a batch on two threads") {
  Tensor boxes({2, 4, 4});
  Tensor scores({2, 4, 2});
  for (int b = 0; b < 2; ++b) {
    std::copy(nms_boxes.values().begin(), nms_boxes.values().end(), boxes.data() + b * 16);
    std::copy(nms_scores.values().begin(), nms_scores.values().end(), scores.data() + b * 8);
  }
  // The parameters say otherwise; the inputs win: IoU 0.7, score 0.25, 4 boxes.
  auto out = run_layer(nms_layer("iouThreshold: 0.1 scoreThreshold: 0.99 maxBoxes: 1", 5),
                       {boxes, scores, Tensor({1}, {0.7F}), Tensor({1}, {0.25F}), Tensor({1}, {4})},
                       {.mapping = ShapeMapping::exact, .threads = 2});
  check_tensor(out[2], {2, 4}, {0, 1, 2, -1, 0, 1, 2, -1});
  check_tensor(out[3], {2}, {3, 3});
  check_tensor(out[0], {2, 4, 4}, {0, 0, 2, 2, 0.5F, 0, 2, 2, 5, 5, 1, 1, 0, 0, 0, 0,
                                   0, 0, 2, 2, 0.5F, 0, 2, 2, 5, 5, 1, 1, 0, 0, 0, 0});
}

TEST_CASE("indexing: NonMaximumSuppression errors") {
  CHECK_THROWS_WITH_AS(run_layer(nms_layer("iouThreshold: 0.5"), {nms_boxes, nms_scores}, nd),
                       "layer 'n' (NonMaximumSuppression): maxBoxes must be between 1 and 16777216 when no fifth input "
                       "gives it, but is 0",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(nms_layer("maxBoxes: 2"), {Tensor({1, 4, 3}), nms_scores}, nd),
                       "layer 'n' (NonMaximumSuppression): boxes must have shape [B, N, 4], but have shape [1, 4, 3]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(nms_layer("maxBoxes: 2"), {nms_boxes, Tensor({1, 3, 2})}, nd),
                       "layer 'n' (NonMaximumSuppression): scores must have shape [B, N, C] with B and N of the boxes "
                       "[1, 4, 4], but have shape [1, 3, 2]",
                       Error);
}

// ---- random layers ----

struct Moments {
  double mean = 0;
  double stddev = 0;
};
Moments moments_of(const Tensor& t) {
  double sum = 0;
  double squares = 0;
  for (float v : t.values()) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(t.size());
  return {sum / n, std::sqrt(squares / n - (sum / n) * (sum / n))};
}

TEST_CASE("indexing: random layers give pinned values for a fixed seed") {
  // Python mt19937_64(42): -1 + 4 * ((next() >> 11) * 2**-53)
  auto uniform = run_layer(R"(name: "r" output: "y"
                              randomUniformStatic { seed: 42 minVal: -1 maxVal: 3 outputShape: 4 })",
                           {}, nd);
  check_tensor(uniform[0], {4}, {2.02062201F, 1.55612552F, 2.00858068F, -0.454909265F}, 1e-6F, 1e-6F);
  // Box-Muller on mt19937_64(7): u1 = 1 - uniform, u2 = uniform; 10 + 2 * r * (cos, sin)
  auto normal = run_layer(R"(name: "r" input: "x" output: "y" randomNormalLike { seed: 7 mean: 10 stdDev: 2 })",
                          {Tensor({3})}, nd);
  check_tensor(normal[0], {3}, {13.1827993F, 8.95037365F, 10.7778063F}, 1e-5F, 1e-6F);
  // uniform < 0.5 on mt19937_64(123); the shape comes from the input's values
  auto coin = run_layer(R"(name: "r" input: "s" output: "y" randomBernoulliDynamic { seed: 123 prob: 0.5 })",
                        {Tensor({2}, {2, 4})}, nd);
  check_tensor(coin[0], {2, 4}, {1, 0, 0, 0, 1, 1, 0, 1});
  // The same draws with the shape from the parameters
  auto static_coin = run_layer(R"(name: "r" output: "y" randomBernoulliStatic { seed: 123 prob: 0.5 outputShape: [2, 4] })",
                               {}, nd);
  check_tensor(static_coin[0], {2, 4}, {1, 0, 0, 0, 1, 1, 0, 1});
  // seed -1: mt19937_64(splitmix64(ctx.seed ^ splitmix64(fnv1a("r")))) with ctx.seed 99
  auto from_context = run_layer(R"(name: "r" input: "x" output: "y" randomUniformLike { seed: -1 maxVal: 1 })",
                                {Tensor({3})}, {.mapping = ShapeMapping::exact, .seed = 99});
  check_tensor(from_context[0], {3}, {0.588214397F, 0.547090471F, 0.314359456F}, 1e-6F, 1e-6F);
  // probabilities [0.2, 0, 0.8] on mt19937_64(5): the first class whose cumulative weight exceeds u * total
  auto categorical = run_layer(R"(name: "r" input: "p" output: "y" categoricalDistribution
                                  { seed: 5 numSamples: 6 temperature: 1 })",
                               {Tensor({1, 3}, {0.2F, 0, 0.8F})}, nd);
  check_tensor(categorical[0], {1, 6}, {2, 0, 2, 2, 0, 0});
}

TEST_CASE("indexing: random layers reproduce with the same seed and differ with another") {
  const char* own_seed = R"(name: "r" input: "x" output: "y" randomNormalLike { seed: 3 stdDev: 1 })";
  const Tensor like({64});
  const auto a = run_layer(own_seed, {like}, {.mapping = ShapeMapping::exact, .seed = 1});
  const auto b = run_layer(own_seed, {like}, {.mapping = ShapeMapping::exact, .threads = 2, .seed = 2});
  CHECK(std::equal(a[0].values().begin(), a[0].values().end(), b[0].values().begin()));  // ctx.seed ignored

  const char* context_seed = R"(name: "r" input: "x" output: "y" randomNormalLike { seed: -1 stdDev: 1 })";
  const auto c1 = run_layer(context_seed, {like}, {.mapping = ShapeMapping::exact, .seed = 1});
  const auto c1_again = run_layer(context_seed, {like}, {.mapping = ShapeMapping::exact, .seed = 1});
  const auto c2 = run_layer(context_seed, {like}, {.mapping = ShapeMapping::exact, .seed = 2});
  const auto other_layer = run_layer(R"(name: "r2" input: "x" output: "y" randomNormalLike { seed: -1 stdDev: 1 })",
                                     {like}, {.mapping = ShapeMapping::exact, .seed = 1});
  CHECK(std::equal(c1[0].values().begin(), c1[0].values().end(), c1_again[0].values().begin()));
  CHECK_FALSE(std::equal(c1[0].values().begin(), c1[0].values().end(), c2[0].values().begin()));
  CHECK_FALSE(std::equal(c1[0].values().begin(), c1[0].values().end(), other_layer[0].values().begin()));
}

TEST_CASE("indexing: random normal, uniform and Bernoulli statistics") {
  // 200000 draws: the standard error of the mean is sd / 447, so the bounds below are > 5 sigma wide.
  const auto normal = run_layer(R"(name: "r" output: "y"
                                   randomNormalStatic { seed: 11 mean: -3 stdDev: 0.5 outputShape: [400, 500] })",
                                {}, nd);
  CHECK(normal[0].shape() == Shape{400, 500});
  const Moments n = moments_of(normal[0]);
  CHECK(n.mean == doctest::Approx(-3).epsilon(0.002));
  CHECK(n.stddev == doctest::Approx(0.5).epsilon(0.01));
  std::int64_t within_one_sd = 0;
  for (float v : normal[0].values()) within_one_sd += std::fabs(v + 3.0F) < 0.5F ? 1 : 0;
  CHECK(static_cast<double>(within_one_sd) / 200000.0 == doctest::Approx(0.6827).epsilon(0.01));

  const auto uniform = run_layer(R"(name: "r" input: "s" output: "y"
                                    randomUniformDynamic { seed: 12 minVal: 2 maxVal: 6 })",
                                 {Tensor({1}, {200000})}, nd);
  const Moments u = moments_of(uniform[0]);
  CHECK(u.mean == doctest::Approx(4).epsilon(0.005));
  CHECK(u.stddev == doctest::Approx(4 / std::sqrt(12.0)).epsilon(0.01));  // (max - min) / sqrt(12)
  CHECK(std::count_if(uniform[0].values().begin(), uniform[0].values().end(),
                      [](float v) { return !(v >= 2.0F && v < 6.0F); }) == 0);

  const auto coin = run_layer(R"(name: "r" input: "x" output: "y" randomBernoulliLike { seed: 13 prob: 0.3 })",
                              {Tensor({200000})}, nd);
  const Moments c = moments_of(coin[0]);
  CHECK(c.mean == doctest::Approx(0.3).epsilon(0.02));
  CHECK(std::count_if(coin[0].values().begin(), coin[0].values().end(),
                      [](float v) { return v != 0.0F && v != 1.0F; }) == 0);
}

TEST_CASE("indexing: categoricalDistribution frequencies follow softmax(logits / temperature)") {
  // logits [0, ln 2, ln 5] with temperature 1 -> p = [1, 2, 5] / 8; with temperature 2 -> sqrt: [1, 1.414, 2.236] / 4.650
  const float ln2 = std::log(2.0F);
  const float ln5 = std::log(5.0F);
  const Tensor logits({2, 3}, {0, ln2, ln5, 0, ln2, ln5});
  for (const auto& entry :
       std::map<float, std::vector<double>>{{1.0F, {0.125, 0.25, 0.625}}, {2.0F, {0.21504, 0.30412, 0.48084}}}) {
    const auto& temperature = entry.first;
    const auto& expected = entry.second;
    CAPTURE(temperature);
    const std::string layer = R"(name: "r" input: "x" output: "y" categoricalDistribution
                                  { seed: 21 numSamples: 100000 isLogits: true temperature: )" +
                              std::to_string(temperature) + " }";
    const auto out = run_layer(layer, {logits}, nd);
    REQUIRE(out[0].shape() == Shape{2, 100000});
    for (int row = 0; row < 2; ++row) {
      std::vector<double> counts(3, 0.0);
      for (int s = 0; s < 100000; ++s) counts[static_cast<std::size_t>(out[0].data()[row * 100000 + s])] += 1.0;
      // The standard error of a frequency is at most sqrt(0.25 / 100000) = 0.0016; 0.008 is 5 of them.
      for (std::size_t k = 0; k < 3; ++k) CHECK(std::fabs(counts[k] / 100000.0 - expected[k]) < 0.008);
    }
  }
}

TEST_CASE("indexing: random layer parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "x" output: "y" randomNormalLike { stdDev: -1 })", {Tensor({1})}, nd),
                       "layer 'r' (randomNormalLike): stdDev must not be negative, but is -1", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" randomUniformLike { minVal: 2 maxVal: 1 })", {Tensor({1})}, nd),
      "layer 'r' (randomUniformLike): minVal 2 is above maxVal 1", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" randomBernoulliLike { prob: 1.5 })", {Tensor({1})}, nd),
      "layer 'r' (randomBernoulliLike): prob must be between 0 and 1, but is 1.5", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" output: "y" randomNormalStatic { stdDev: 1 })", {}, nd),
                       "layer 'r' (randomNormalStatic): outputShape is empty; the static random layers need the "
                       "output's dimensions",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "s" output: "y" randomNormalDynamic { stdDev: 1 })",
                                 {Tensor({2}, {3, -1})}, nd),
                       "layer 'r' (randomNormalDynamic): the output shape input must hold non-negative integer "
                       "dimensions, but holds -1",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "p" output: "y" categoricalDistribution { numSamples: 2 })",
                                 {Tensor({2}, {0.5F, 0.5F})}, nd),
                       "layer 'r' (categoricalDistribution): temperature must be above 0, but is 0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "p" output: "y"
                                    categoricalDistribution { numSamples: 2 temperature: 1 })",
                                 {Tensor({2}, {0.5F, -0.1F})}, nd),
                       "layer 'r' (categoricalDistribution): probability -0.1 at class 1 is negative", Error);
}

}  // namespace
}  // namespace mlconv::exec
