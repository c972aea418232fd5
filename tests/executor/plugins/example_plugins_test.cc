// The example plugins (plugins/swish, plugins/topk) loaded from their built
// libraries and run as one-layer networks. Expected values are NumPy's.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "spec/error.h"
#include "tests/executor/plugins/plugin_runner.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::registry_with;
using testing::run_plugin_layer;

// MLCONV_TEST_SWISH_PLUGIN substitutes another build of the plugin (the out-of-tree build test sets it).
const std::string swish_plugin =
    std::getenv("MLCONV_TEST_SWISH_PLUGIN") != nullptr ? std::getenv("MLCONV_TEST_SWISH_PLUGIN") : MLCONV_SWISH_PLUGIN;
const std::string topk_plugin = MLCONV_TOPK_PLUGIN;

std::string swish_context(std::string_view layer) {
  return "layer '" + std::string(layer) + "' (custom): custom layer class 'Swish' from plugin '" + swish_plugin + "': ";
}

TEST_CASE("plugins: Swish with the default beta of 1") {
  const KernelRegistry registry = registry_with({swish_plugin});
  const auto out = run_plugin_layer(registry, R"(name: "s" input: "x" output: "y" custom { className: "Swish" })",
                                    {Tensor({1, 1, 6, 1, 1}, {-3, -1, 0, 0.5F, 2, 10})});
  // x / (1 + np.exp(-x))
  check_tensor(out[0], {1, 1, 6, 1, 1}, {-0.14227762F, -0.26894142F, 0.0F, 0.31122967F, 1.7615942F, 9.999546F});
}

TEST_CASE("plugins: Swish with beta as a double parameter") {
  const KernelRegistry registry = registry_with({swish_plugin});
  const auto out = run_plugin_layer(
      registry,
      R"(name: "s" input: "x" output: "y"
         custom { className: "Swish" parameters { key: "beta" value { doubleValue: 0.01 } } })",
      {Tensor({6}, {-3, -1, 0, 0.5F, 2, 10})});
  // x / (1 + np.exp(-0.01 * x))
  check_tensor(out[0], {6}, {-1.4775017F, -0.49750002F, 0.0F, 0.250625F, 1.0099997F, 5.2497919F});
}

// x = [[-2, 0.5, 3], [-1, 1, 4]] as 2 channels of 1x3, beta = [0.5, 2]:
// x / (1 + np.exp(-beta[:, None] * x))
const std::vector<float> per_channel_expected{-0.53788284F, 0.28108825F, 2.4527234F,
                                              -0.11920292F, 0.88079708F, 3.9986586F};

TEST_CASE("plugins: Swish with learnable per-channel beta as float32, float16 and raw bytes") {
  const KernelRegistry registry = registry_with({swish_plugin});
  // 0.5 and 2.0 as float32 values, as IEEE halves (0x3800, 0x4000) and as little-endian float32 bytes.
  for (const char* weights : {R"(weights { floatValue: [0.5, 2.0] })", R"(weights { float16Value: "\0008\000@" })",
                              R"(weights { rawValue: "\000\000\000?\000\000\000@" })"}) {
    CAPTURE(weights);
    const auto out = run_plugin_layer(
        registry,
        std::string(R"(name: "s" input: "x" output: "y" custom { className: "Swish" )") + weights + " }",
        {testing::rank5(2, 1, 3, {-2, 0.5F, 3, -1, 1, 4})});
    check_tensor(out[0], {1, 1, 2, 1, 3}, per_channel_expected);
  }
}

TEST_CASE("plugins: Swish per-channel beta on a large input in two threads matches the formula") {
  const KernelRegistry registry = registry_with({swish_plugin});
  const std::int64_t channels = 3;
  const std::int64_t plane = 40000;
  std::vector<float> x(static_cast<std::size_t>(2 * channels * plane));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 2001) - 1000) / 100.0F;
  const auto out = run_plugin_layer(
      registry, R"(name: "s" input: "x" output: "y" custom { className: "Swish" weights { floatValue: [1, -0.5, 3] } })",
      {Tensor({2, channels, 200, 200}, x)}, 2);
  const double beta[] = {1, -0.5, 3};
  std::vector<float> expected(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double b = beta[(i / static_cast<std::size_t>(plane)) % 3];
    expected[i] = static_cast<float>(x[i] / (1 + std::exp(-b * x[i])));
  }
  check_tensor(out[0], {2, channels, 200, 200}, expected, 1e-6F, 1e-6F);
}

TEST_CASE("plugins: Swish refuses beta twice, and a per-channel beta that does not fit the channels") {
  const KernelRegistry registry = registry_with({swish_plugin});
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry,
                       R"(name: "s" input: "x" output: "y" custom { className: "Swish"
                          parameters { key: "beta" value { doubleValue: 2 } } weights { floatValue: [1, 2] } })",
                       {testing::rank5(2, 1, 1, {1, 2})}),
      (swish_context("s") + "set_weights failed: beta is given twice: as parameter 'beta' and as a weight blob").c_str(),
      Error);
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry,
                       R"(name: "s" input: "x" output: "y" custom { className: "Swish" weights { floatValue: [1, 2] } })",
                       {testing::rank5(3, 1, 1, {1, 2, 3})}),
      (swish_context("s") +
       "output_shapes failed: beta has 2 values, one per channel, but the input [1, 1, 3, 1, 1] has 3 channels (axis -3)")
          .c_str(),
      Error);
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry,
                       R"(name: "s" input: "x" output: "y" custom { className: "Swish"
                          parameters { key: "beta" value { stringValue: "big" } } })",
                       {Tensor({1}, {1})}),
      (swish_context("s") + "creating the instance failed: parameter 'beta' is a stringValue; expected a number").c_str(),
      Error);
}

std::string topk_layer(int k, int axis, bool sorted) {
  return R"(name: "topk" input: "x" output: "values" output: "indices" custom { className: "CustomTopK"
            parameters { key: "k" value { intValue: )" + std::to_string(k) +
         R"( } } parameters { key: "axis" value { longValue: )" + std::to_string(axis) +
         R"( } } parameters { key: "sorted" value { boolValue: )" + (sorted ? "true" : "false") + " } } }";
}

TEST_CASE("plugins: CustomTopK sorted and unsorted along the last axis") {
  const KernelRegistry registry = registry_with({topk_plugin});
  const Tensor x({2, 5}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3});
  // np.argsort(-x, kind="stable")[:, :3] and the values there
  auto out = run_plugin_layer(registry, topk_layer(3, -1, true), {x});
  check_tensor(out[0], {2, 3}, {5, 4, 3, 9, 6, 5});
  check_tensor(out[1], {2, 3}, {4, 2, 0, 0, 2, 3});
  // unsorted keeps the chosen elements in input order: np.sort of the indices above
  out = run_plugin_layer(registry, topk_layer(3, -1, false), {x});
  check_tensor(out[0], {2, 3}, {3, 4, 5, 9, 6, 5});
  check_tensor(out[1], {2, 3}, {0, 2, 4, 0, 2, 3});
}

TEST_CASE("plugins: CustomTopK along a leading axis, with ties going to the lower index") {
  const KernelRegistry registry = registry_with({topk_plugin});
  const auto out = run_plugin_layer(registry, topk_layer(2, 0, true), {Tensor({3, 2}, {1, 6, 7, 2, 4, 4})});
  check_tensor(out[0], {2, 2}, {7, 6, 4, 4});
  check_tensor(out[1], {2, 2}, {1, 0, 2, 2});
  const auto ties = run_plugin_layer(registry, topk_layer(2, -1, true), {Tensor({4}, {2, 7, 7, 1})});
  check_tensor(ties[1], {2}, {1, 2});
}

TEST_CASE("plugins: CustomTopK on many rows in two threads matches a sort") {
  const KernelRegistry registry = registry_with({topk_plugin});
  const std::int64_t rows = 300;
  const std::int64_t n = 97;
  std::vector<float> x(static_cast<std::size_t>(rows * n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 1009);
  const auto out = run_plugin_layer(registry, topk_layer(5, 1, true), {Tensor({rows, n}, x)}, 2);
  std::vector<float> values;
  std::vector<float> indices;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const float* row = x.data() + r * n;
    std::stable_sort(order.begin(), order.end(), [row](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
    for (int j = 0; j < 5; ++j) {
      values.push_back(row[order[static_cast<std::size_t>(j)]]);
      indices.push_back(static_cast<float>(order[static_cast<std::size_t>(j)]));
    }
  }
  check_tensor(out[0], {rows, 5}, values);
  check_tensor(out[1], {rows, 5}, indices);
}

TEST_CASE("plugins: CustomTopK errors name the layer, class and plugin") {
  const KernelRegistry registry = registry_with({topk_plugin});
  const std::string where = "layer 'topk' (custom): custom layer class 'CustomTopK' from plugin '" + topk_plugin + "': ";
  CHECK_THROWS_WITH_AS(run_plugin_layer(registry, topk_layer(5, -1, true), {Tensor({1, 4}, {1, 2, 3, 4})}),
                       (where + "output_shapes failed: k=5 is greater than the size 4 of axis -1 of the input [1, 4]")
                           .c_str(),
                       Error);
  CHECK_THROWS_WITH_AS(run_plugin_layer(registry, topk_layer(1, 2, true), {Tensor({1, 4}, {1, 2, 3, 4})}),
                       (where + "output_shapes failed: axis 2 is out of range for the input [1, 4]").c_str(), Error);
  CHECK_THROWS_WITH_AS(run_plugin_layer(registry, topk_layer(0, -1, true), {Tensor({4}, {1, 2, 3, 4})}),
                       (where + "creating the instance failed: parameter 'k' must be at least 1; it is 0").c_str(), Error);
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry,
                       R"(name: "topk" input: "x" output: "values" custom { className: "CustomTopK" })",
                       {Tensor({4}, {1, 2, 3, 4})}),
      (where + "creating the instance failed: CustomTopK produces values and indices; the layer needs 2 outputs, it has 1")
          .c_str(),
      Error);
}

}  // namespace
}  // namespace mlconv::exec
