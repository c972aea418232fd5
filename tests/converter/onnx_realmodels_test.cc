// The ONNX frontend on real exported models (../shared/realmodels/onnx) and, when
// MLCONV_ONNX_NODE_TESTS names a directory written by /work/shared/tools/gen-onnx-node-tests,
// on every ONNX backend node test case.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "converter/frontends/onnx_graph.h"
#include "converter/frontends/onnx_opset_forms.h"
#include "spec/error.h"
#include "tests/support/test_support.h"

namespace {

namespace fs = std::filesystem;
using mlconv::converter::Dim;
using mlconv::converter::ElementType;
using mlconv::converter::Graph;
using mlconv::converter::load_onnx_graph;
using mlconv::converter::Shape;

fs::path real_onnx(const std::string& name) { return mlconv::test::realmodels_dir() / "onnx" / name; }

std::map<std::string, int> op_counts(const Graph& graph) {
  std::map<std::string, int> counts;
  for (const auto* node : graph.nodes()) ++counts[node->op_type];
  return counts;
}

std::size_t constant_count(const Graph& graph) {
  const auto values = graph.values();
  return static_cast<std::size_t>(std::count_if(values.begin(), values.end(), [](const auto* v) { return v->constant.has_value(); }));
}

Shape dims(std::vector<std::int64_t> sizes) {
  Shape out;
  for (const auto s : sizes) out.push_back(Dim::known(s));
  return out;
}

TEST_CASE("onnx: real model: inception v1 (IR 3, Caffe2 export, unnamed ConstantOfShape nodes)") {
  const Graph graph = load_onnx_graph(real_onnx("onnx_onnx__light_inception_v1.onnx"));
  CHECK(graph.name == "inception_v1");
  CHECK(graph.node_count() == 237);
  CHECK(op_counts(graph) == std::map<std::string, int>{{"AveragePool", 1}, {"Concat", 9}, {"ConstantOfShape", 93},
                                                       {"Conv", 57}, {"Dropout", 1}, {"Gemm", 1}, {"LRN", 2},
                                                       {"MaxPool", 13}, {"Relu", 57}, {"Reshape", 2}, {"Softmax", 1}});
  CHECK(constant_count(graph) == 118);
  REQUIRE(graph.inputs().size() == 1);  // the 118 initializers it lists as inputs are constants
  CHECK(graph.inputs()[0]->name == "data_0");
  CHECK(*graph.inputs()[0]->shape == dims({1, 3, 224, 224}));
  REQUIRE(graph.outputs().size() == 1);
  CHECK(graph.outputs()[0]->name == "prob_1");
  CHECK(*graph.outputs()[0]->shape == dims({1, 1000}));
  const auto* shape_of_w = graph.find_value("conv1/7x7_s2_w_0__SHAPE");
  REQUIRE(shape_of_w != nullptr);
  CHECK(shape_of_w->constant->type == ElementType::int64);
  CHECK(shape_of_w->constant->to_ints() == std::vector<std::int64_t>{64, 3, 7, 7});
  CHECK(graph.nodes()[0]->name == "ConstantOfShape_0");
  CHECK(graph.topological_order().size() == 237);
}

TEST_CASE("onnx: real model: shufflenet (IR 3)") {
  const Graph graph = load_onnx_graph(real_onnx("onnx_onnx__light_shufflenet.onnx"));
  CHECK(graph.node_count() == 446);
  const auto counts = op_counts(graph);
  CHECK(counts.at("Conv") == 49);
  CHECK(counts.at("BatchNormalization") == 49);
  CHECK(counts.at("Transpose") == 16);
  CHECK(constant_count(graph) == 281);
  REQUIRE(graph.inputs().size() == 1);
  CHECK(graph.inputs()[0]->name == "gpu_0/data_0");
  CHECK(*graph.outputs()[0]->shape == dims({1, 1000}));
  CHECK(graph.find_value("gpu_0/conv3_0_bn_riv_0")->constant->dims == std::vector<std::int64_t>{24});
}

TEST_CASE("onnx: real model: a PyTorch export (IR 6, a Constant folded, inferred shapes)") {
  const Graph graph = load_onnx_graph(real_onnx("vincentfpgarcia_from-pytorch-to-coreml__my_network.onnx"));
  CHECK(graph.node_count() == 15);  // 16 in the file, one of them a Constant
  CHECK(op_counts(graph) ==
        std::map<std::string, int>{{"Conv", 3}, {"Gemm", 3}, {"MaxPool", 3}, {"Relu", 5}, {"Reshape", 1}});
  CHECK(graph.metadata.producer == "pytorch 1.8");
  CHECK(graph.opset_version("") == 9);
  CHECK(constant_count(graph) == 13);
  CHECK(*graph.find_value("my_input")->shape == dims({1, 3, 32, 32}));
  CHECK(*graph.find_value("my_output")->shape == dims({1, 10}));
  CHECK(graph.find_value("fc_layers.1.weight")->constant->dims == std::vector<std::int64_t>{192, 384});
  CHECK(*graph.find_value("44")->shape == dims({1, 6, 32, 32}));
  CHECK(*graph.find_value("38")->shape == dims({1, 384}));
  const auto* reshape = graph.find_value("38")->producer;
  REQUIRE(reshape != nullptr);
  CHECK(reshape->name == "Reshape_10");
  CHECK(reshape->inputs.at(1)->constant->to_ints() == std::vector<std::int64_t>{-1, 384});
}

// Conformance: every backend node test loads, or fails with an mlconv::Error that says why.
// Skipped (and reported as such) without the variable: generating the cases needs
// python3-onnx; tests/CMakeLists.txt generates them and sets it for CTest.
TEST_CASE("onnx: backend node tests load (MLCONV_ONNX_NODE_TESTS)" *
          doctest::skip(std::getenv("MLCONV_ONNX_NODE_TESTS") == nullptr)) {
  const char* dir = std::getenv("MLCONV_ONNX_NODE_TESTS");
  REQUIRE(dir != nullptr);
  fs::path root(dir);
  if (fs::exists(root / "node")) root /= "node";
  std::vector<fs::path> models;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "model.onnx")) models.push_back(entry.path() / "model.onnx");
  }
  std::sort(models.begin(), models.end());
  REQUIRE_FALSE(models.empty());
  std::size_t loaded = 0;
  std::map<std::string, std::vector<std::string>> refused;  // message without the file -> cases
  for (const auto& model : models) {
    try {
      Graph graph = load_onnx_graph(model);
      mlconv::converter::normalize_opset_forms(graph);
      ++loaded;
    } catch (const mlconv::Error& error) {
      refused[error.what() + model.string().size() + 2].push_back(model.parent_path().filename().string());
    }
  }
  MESSAGE(loaded << " of " << models.size() << " node test models load");
  for (const auto& entry : refused) {
    const auto& message = entry.first;
    const auto& cases = entry.second;
    MESSAGE(cases.size() << " refused with '" << message << "', e.g. " << cases.front());
    // Only what the IR cannot hold may be refused.
    const bool unsupported = message.find("supports") != std::string::npos ||
                             message.find("does not support") != std::string::npos;
    CHECK_MESSAGE(unsupported, cases.front() << ": " << message);
  }
}

}  // namespace
