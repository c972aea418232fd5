// converter/passes: the optional fusions (--fuse). Each test computes the unfused graph
// with plain loops from the original parameters and the fused graph from the weights
// the pass wrote, and requires them to agree within 1e-5.
#include <doctest/doctest.h>

#include <cmath>

#include "converter/passes/pass.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

using converter::Graph;

Graph fused(const std::string& json, const std::set<std::string>& fusions) {
  Graph graph = graph_from_json(json);
  converter::run_passes(graph, {fusions, nullptr});
  return graph;
}

std::vector<std::string> op_types(const Graph& graph) {
  std::vector<std::string> ops;
  for (const auto* node : graph.topological_order()) ops.push_back(node->op_type);
  return ops;
}

// Valid 2-D convolution, stride 1, one image: x [C, H, W], w [M, C, K, K] -> [M, H-K+1, W-K+1].
std::vector<float> conv2d(const std::vector<float>& x, int c, int h, int w, const std::vector<float>& weights, const std::vector<float>& bias,
                          int m, int k) {
  const int oh = h - k + 1;
  const int ow = w - k + 1;
  std::vector<float> out(static_cast<std::size_t>(m * oh * ow));
  for (int o = 0; o < m; ++o) {
    for (int i = 0; i < oh; ++i) {
      for (int j = 0; j < ow; ++j) {
        float sum = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(o)];
        for (int ch = 0; ch < c; ++ch) {
          for (int a = 0; a < k; ++a) {
            for (int b = 0; b < k; ++b) {
              sum += weights[static_cast<std::size_t>(((o * c + ch) * k + a) * k + b)] * x[static_cast<std::size_t>((ch * h + i + a) * w + j + b)];
            }
          }
        }
        out[static_cast<std::size_t>((o * oh + i) * ow + j)] = sum;
      }
    }
  }
  return out;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= 1e-5F * (1.0F + std::abs(want[i])));
  }
}

const std::vector<float> image = {0.5F, -1.0F, 2.0F, 1.5F, 0.25F, -0.75F, 3.0F, -2.0F, 1.0F,   // channel 0, 3x3
                                  -0.5F, 2.5F, 0.0F, 1.25F, -1.5F, 0.75F, 2.0F, 0.5F, -3.0F};  // channel 1
const std::vector<float> kernel = {0.1F, -0.2F, 0.3F, 0.4F, -0.5F, 0.6F, 0.7F, -0.8F,          // output 0
                                   0.9F, 1.0F, -1.1F, 1.2F, 1.3F, 1.4F, -1.5F, 1.6F};          // output 1
const std::vector<float> conv_bias = {0.25F, -0.5F};

const std::string conv_prefix = R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 2, 3, 3]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "W", "type": "float32", "shape": [2, 2, 2, 2], "data": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 1.3, 1.4, -1.5, 1.6]},
      {"name": "B", "type": "float32", "shape": [2], "data": [0.25, -0.5]},)";

const converter::Node& only_node(const Graph& graph) {
  REQUIRE(graph.node_count() == 1);
  return *graph.nodes()[0];
}

TEST_CASE("passes fusion conv-bn: the fused Conv computes what Conv then BatchNormalization computed") {
  const Graph graph = fused(conv_prefix + R"(
      {"name": "gamma", "type": "float32", "shape": [2], "data": [1.5, 0.5]},
      {"name": "beta", "type": "float32", "shape": [2], "data": [0.1, -0.2]},
      {"name": "mean", "type": "float32", "shape": [2], "data": [0.3, -1.0]},
      {"name": "var", "type": "float32", "shape": [2], "data": [4.0, 0.25]}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W", "B"], "outputs": ["c"]},
      {"name": "bn", "op_type": "BatchNormalization", "inputs": ["c", "gamma", "beta", "mean", "var"], "outputs": ["y"],
       "attributes": {"epsilon": {"type": "float", "value": 0.001}}}
    ]})", {"conv-bn"});
  const auto& conv = only_node(graph);
  CHECK(conv.op_type == "Conv");
  CHECK(conv.outputs[0]->name == "y");
  std::vector<float> want = conv2d(image, 2, 3, 3, kernel, conv_bias, 2, 2);
  const float gamma[] = {1.5F, 0.5F}, beta[] = {0.1F, -0.2F}, mean[] = {0.3F, -1.0F}, var[] = {4.0F, 0.25F};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::size_t m = i / 4;
    want[i] = gamma[m] * (want[i] - mean[m]) / std::sqrt(var[m] + 0.001F) + beta[m];
  }
  const auto got = conv2d(image, 2, 3, 3, conv.inputs[1]->constant->to_floats(), conv.inputs[2]->constant->to_floats(), 2, 2);
  check_close(got, want);
  // Hand check of one weight: W[0,0,0,0] * 1.5 / sqrt(4.001).
  CHECK(conv.inputs[1]->constant->to_floats()[0] == doctest::Approx(0.1 * 1.5 / std::sqrt(4.001)).epsilon(1e-6));
}

TEST_CASE("passes fusion conv-mul, conv-add: per-channel Mul and Add fold into the weights and bias") {
  const Graph graph = fused(conv_prefix + R"(
      {"name": "scale", "type": "float32", "shape": [2, 1, 1], "data": [2.0, -0.5]},
      {"name": "shift", "type": "float32", "shape": [1, 2, 1, 1], "data": [1.0, 3.0]}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W", "B"], "outputs": ["c"]},
      {"name": "mul", "op_type": "Mul", "inputs": ["scale", "c"], "outputs": ["m"]},
      {"name": "add", "op_type": "Add", "inputs": ["m", "shift"], "outputs": ["y"]}
    ]})", {"conv-mul", "conv-add"});
  const auto& conv = only_node(graph);
  std::vector<float> want = conv2d(image, 2, 3, 3, kernel, conv_bias, 2, 2);
  const float scale[] = {2.0F, -0.5F}, shift[] = {1.0F, 3.0F};
  for (std::size_t i = 0; i < want.size(); ++i) want[i] = want[i] * scale[i / 4] + shift[i / 4];
  check_close(conv2d(image, 2, 3, 3, conv.inputs[1]->constant->to_floats(), conv.inputs[2]->constant->to_floats(), 2, 2), want);
  // b' = b * d + e: 0.25 * 2 + 1 = 1.5 and -0.5 * -0.5 + 3 = 3.25.
  CHECK(conv.inputs[2]->constant->to_floats() == std::vector<float>{1.5F, 3.25F});
}

TEST_CASE("passes fusion: nothing fuses when not asked, when the Conv output has two readers, or the Add varies spatially") {
  const std::string two_readers = conv_prefix + R"(
      {"name": "shift", "type": "float32", "shape": [2, 1, 1], "data": [1.0, 3.0]}],
    "outputs": [{"name": "y"}, {"name": "z"}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W", "B"], "outputs": ["c"]},
      {"name": "add", "op_type": "Add", "inputs": ["c", "shift"], "outputs": ["y"]},
      {"name": "relu", "op_type": "Relu", "inputs": ["c"], "outputs": ["z"]}
    ]})";
  CHECK(op_types(fused(two_readers, {"conv-add"})) == std::vector<std::string>{"Conv", "Add", "Relu"});
  const std::string spatial = conv_prefix + R"(
      {"name": "shift", "type": "float32", "shape": [1, 1, 2, 2], "data": [1.0, 2.0, 3.0, 4.0]}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W", "B"], "outputs": ["c"]},
      {"name": "add", "op_type": "Add", "inputs": ["c", "shift"], "outputs": ["y"]}
    ]})";
  CHECK(op_types(fused(spatial, converter::parse_fusions(""))) == std::vector<std::string>{"Conv", "Add"});
  CHECK(op_types(fused(spatial + "", {})) == std::vector<std::string>{"Conv", "Add"});
}

// x [2, 3] times B [3, 2] plus a row d [2].
const std::vector<float> x23 = {1.0F, -2.0F, 0.5F, 3.0F, 0.25F, -1.0F};
const std::vector<float> b32 = {0.5F, -1.0F, 2.0F, 0.75F, -0.25F, 1.5F};

std::vector<float> matmul_row(const std::vector<float>& x, const std::vector<float>& b, const std::vector<float>& row, float alpha) {
  std::vector<float> out(4);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      float sum = 0.0F;
      for (int k = 0; k < 3; ++k) sum += x[static_cast<std::size_t>(i * 3 + k)] * b[static_cast<std::size_t>(k * 2 + j)];
      out[static_cast<std::size_t>(i * 2 + j)] = alpha * sum + row[static_cast<std::size_t>(j)];
    }
  }
  return out;
}

TEST_CASE("passes fusion gemm-add: MatMul + Add becomes one Gemm with the row as C") {
  const Graph graph = fused(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [2, 3]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "B", "type": "float32", "shape": [3, 2], "data": [0.5, -1.0, 2.0, 0.75, -0.25, 1.5]},
      {"name": "d", "type": "float32", "shape": [2], "data": [10.0, -20.0]}],
    "nodes": [
      {"name": "mm", "op_type": "MatMul", "inputs": ["x", "B"], "outputs": ["p"]},
      {"name": "add", "op_type": "Add", "inputs": ["p", "d"], "outputs": ["y"]}
    ]})", {"gemm-add"});
  const auto& gemm = only_node(graph);
  CHECK(gemm.op_type == "Gemm");
  CHECK(gemm.name == "mm");
  CHECK(gemm.outputs[0]->name == "y");
  REQUIRE(gemm.inputs.size() == 3);
  const auto c = gemm.inputs[2]->constant->to_floats();
  CHECK(c == std::vector<float>{10.0F, -20.0F});
  check_close(matmul_row(x23, gemm.inputs[1]->constant->to_floats(), c, 1.0F), matmul_row(x23, b32, {10.0F, -20.0F}, 1.0F));
}

TEST_CASE("passes fusion gemm-add: Gemm's beta * C and the added row become one C with beta 1") {
  const Graph graph = fused(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [2, 3]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "B", "type": "float32", "shape": [3, 2], "data": [0.5, -1.0, 2.0, 0.75, -0.25, 1.5]},
      {"name": "C", "type": "float32", "shape": [1, 2], "data": [4.0, 6.0]},
      {"name": "d", "type": "float32", "shape": [1, 2], "data": [1.0, -1.0]}],
    "nodes": [
      {"name": "gemm", "op_type": "Gemm", "inputs": ["x", "B", "C"], "outputs": ["p"],
       "attributes": {"alpha": {"type": "float", "value": 2.0}, "beta": {"type": "float", "value": 0.5}}},
      {"name": "add", "op_type": "Add", "inputs": ["d", "p"], "outputs": ["y"]}
    ]})", {"gemm-add"});
  const auto& gemm = only_node(graph);
  // 0.5 * [4, 6] + [1, -1] = [3, 2].
  CHECK(gemm.inputs[2]->constant->to_floats() == std::vector<float>{3.0F, 2.0F});
  CHECK(gemm.find_attribute("beta")->as_float() == 1.0);
  CHECK(gemm.find_attribute("alpha")->as_float() == 2.0);
  check_close(matmul_row(x23, b32, {3.0F, 2.0F}, 2.0F), [] {
    auto want = matmul_row(x23, b32, {0.0F, 0.0F}, 2.0F);
    const float row[] = {0.5F * 4.0F + 1.0F, 0.5F * 6.0F - 1.0F};
    for (std::size_t i = 0; i < want.size(); ++i) want[i] += row[i % 2];
    return want;
  }());
}

TEST_CASE("passes fusion: --fuse names are checked, and 'all' or nothing means every fusion") {
  CHECK(converter::parse_fusions("") == std::set<std::string>{"conv-bn", "conv-mul", "conv-add", "gemm-add"});
  CHECK(converter::parse_fusions("all") == converter::parse_fusions(""));
  CHECK(converter::parse_fusions("gemm-add,conv-bn") == std::set<std::string>{"conv-bn", "gemm-add"});
  CHECK(error_of([] { (void)converter::parse_fusions("conv-bn,bn-conv"); }) ==
        "--fuse: unknown fusion 'bn-conv'; expected a comma-separated list of: conv-bn, conv-mul, conv-add, gemm-add (or all)");
}

TEST_CASE("passes fusion: a fused Conv + BatchNormalization exports as one convolution layer") {
  const std::string graph = conv_prefix + R"(
      {"name": "gamma", "type": "float32", "shape": [2], "data": [1.5, 0.5]},
      {"name": "beta", "type": "float32", "shape": [2], "data": [0.1, -0.2]},
      {"name": "mean", "type": "float32", "shape": [2], "data": [0.3, -1.0]},
      {"name": "var", "type": "float32", "shape": [2], "data": [4.0, 0.25]}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W", "B"], "outputs": ["c"]},
      {"name": "bn", "op_type": "BatchNormalization", "inputs": ["c", "gamma", "beta", "mean", "var"], "outputs": ["y"]}
    ]})";
  CHECK(layers_of(convert_json(graph)).size() == 2);
  converter::ConvertOptions options;
  options.fusions = {"conv-bn"};
  const auto model = convert_json(graph, options);
  REQUIRE(layers_of(model).size() == 1);
  CHECK(layers_of(model)[0].has_convolution());
  CHECK(layers_of(model)[0].output(0) == "y");
}

}  // namespace
}  // namespace mlconv::test
