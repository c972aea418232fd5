// ONNX control flow in the N-d export (converter/export/layers_nd_control_flow.cc): If
// becomes a branch layer, Loop a loop layer, with the subgraphs as their bodies. Each
// graph is converted and run with the executor; expected values are worked out by hand.
#include <doctest/doctest.h>

#include "executor/predictor.h"
#include "spec/validation/validator.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

exec::FeatureMap run(const cml::Model& model, const std::map<std::string, std::pair<exec::Shape, std::vector<float>>>& inputs) {
  static const exec::KernelRegistry kernels = exec::KernelRegistry::with_builtin_kernels();
  exec::PredictorOptions options;
  options.kernels = &kernels;
  options.threads = 1;
  exec::Predictor predictor(model, options);
  exec::FeatureMap features;
  for (const auto& entry : inputs) {
    const std::string& name = entry.first;
    const auto& input = entry.second;
    const auto& description = model.description().input();
    const auto it = std::find_if(description.begin(), description.end(), [&](const auto& d) { return d.name() == name; });
    REQUIRE(it != description.end());
    features.emplace(name, exec::FeatureValue::array(exec::Tensor(input.first, input.second), it->type().multiarraytype().datatype()));
  }
  return predictor.predict(features);
}

// The validator's findings, "CODE where: message" each, for a readable failure.
std::vector<std::string> findings_of(const cml::Model& model) {
  std::vector<std::string> out;
  for (const auto& f : spec::validation::validate_model(model)) out.push_back(f.code + " " + f.where + ": " + f.message);
  return out;
}

std::vector<float> values_of(const exec::FeatureMap& outputs, const std::string& name) {
  const auto& values = outputs.at(name).tensor.values();
  return {values.begin(), values.end()};
}

// y = If(c) then x * 2 else x + 10 (both branches read x from the enclosing graph).
const std::string if_graph = R"({"opset_imports": [{"version": 13}],
  "inputs": [{"name": "c", "type": "bool", "shape": []}, {"name": "x", "type": "float32", "shape": [3]}],
  "outputs": [{"name": "y", "shape": [3]}],
  "initializers": [{"name": "two", "type": "float32", "shape": [], "data": [2]}],
  "nodes": [{"name": "if", "op_type": "If", "inputs": ["c"], "outputs": ["y"], "attributes": {
    "then_branch": {"type": "graph", "value": {"inputs": [], "outputs": [{"name": "doubled"}],
      "nodes": [{"name": "double", "op_type": "Mul", "inputs": ["x", "two"], "outputs": ["doubled"]}]}},
    "else_branch": {"type": "graph", "value": {"inputs": [], "outputs": [{"name": "shifted"}],
      "initializers": [{"name": "ten", "type": "float32", "shape": [], "data": [10]}],
      "nodes": [{"name": "shift", "op_type": "Add", "inputs": ["x", "ten"], "outputs": ["shifted"]}]}}}}]})";

TEST_CASE("convert control flow: If becomes a branch layer whose bodies write the output blob") {
  const auto model = convert_json(if_graph);
  CHECK(model.specificationversion() == 4);
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 1);
  REQUIRE(layers[0].has_branch());
  CHECK(layers[0].input(0) == "c");
  CHECK(layers[0].output_size() == 0);
  CHECK(layers[0].branch().ifbranch().layers(layers[0].branch().ifbranch().layers_size() - 1).output(0) == "y");
  CHECK(layers[0].branch().elsebranch().layers(layers[0].branch().elsebranch().layers_size() - 1).output(0) == "y");
  CHECK(findings_of(model).empty());
  CHECK(values_of(run(model, {{"c", {{1}, {1}}}, {"x", {{3}, {1, 2, 3}}}}), "y") == std::vector<float>{2, 4, 6});
  CHECK(values_of(run(model, {{"c", {{1}, {0}}}, {"x", {{3}, {1, 2, 3}}}}), "y") == std::vector<float>{11, 12, 13});
}

TEST_CASE("convert control flow: If branches with different output shapes are refused") {
  std::string graph = if_graph;
  graph.replace(graph.find(R"({"name": "ten", "type": "float32", "shape": [])"), 46, R"({"name": "ten", "type": "float32", "shape": [2, 1])");
  graph.replace(graph.find(R"("data": [10])"), 12, R"("data": [10, 20])");
  const std::string message = error_of([&] { (void)convert_json(graph); });
  CHECK(message.find("node 'if' (If): output 0 has shape [3] in then_branch but [2, 3] in else_branch") != std::string::npos);
}

// A loop of at most n iterations while the running sum stays below 10: sum += x * (i + 1);
// the scan output collects each iteration's sum.
const std::string loop_graph = R"({"opset_imports": [{"version": 13}],
  "inputs": [{"name": "n", "type": "int64", "shape": []}, {"name": "go", "type": "bool", "shape": []},
             {"name": "x", "type": "float32", "shape": [2]}],
  "outputs": [{"name": "sum", "shape": [2]}, {"name": "sums", "shape": [3, 2]}],
  "initializers": [{"name": "zero", "type": "float32", "shape": [2], "data": [0, 0]}],
  "nodes": [{"name": "loop", "op_type": "Loop", "inputs": ["n", "go", "zero"], "outputs": ["sum", "sums"], "attributes": {
    "body": {"type": "graph", "value": {
      "inputs": [{"name": "i", "type": "int64", "shape": []}, {"name": "cond_in", "type": "bool", "shape": []},
                 {"name": "sum_in", "type": "float32", "shape": [2]}],
      "outputs": [{"name": "cond_out"}, {"name": "sum_out"}, {"name": "scan"}],
      "initializers": [{"name": "one", "type": "float32", "shape": [], "data": [1]},
                       {"name": "limit", "type": "float32", "shape": [], "data": [10]}],
      "nodes": [{"name": "count", "op_type": "Add", "inputs": ["i", "one"], "outputs": ["i1"]},
                {"name": "term", "op_type": "Mul", "inputs": ["x", "i1"], "outputs": ["t"]},
                {"name": "accumulate", "op_type": "Add", "inputs": ["sum_in", "t"], "outputs": ["sum_out"]},
                {"name": "largest", "op_type": "ReduceMax", "inputs": ["sum_out"], "outputs": ["m"],
                 "attributes": {"keepdims": {"type": "int", "value": 0}}},
                {"name": "below", "op_type": "Less", "inputs": ["m", "limit"], "outputs": ["cond_out"]},
                {"name": "keep", "op_type": "Identity", "inputs": ["sum_out"], "outputs": ["scan"]}]}}}}]})";

TEST_CASE("convert control flow: Loop with a trip count, a condition, a carried value and a scan output") {
  const auto model = convert_json(loop_graph);
  CHECK(model.specificationversion() == 4);
  const auto& layers = layers_of(model);
  const auto loop = std::find_if(layers.begin(), layers.end(), [](const auto& l) { return l.has_loop(); });
  REQUIRE(loop != layers.end());
  CHECK(loop->input(0) == "n");
  CHECK(!loop->loop().conditionvar().empty());
  CHECK(findings_of(model).empty());
  // x = [1, 2]: sums [1, 2], [3, 6], [6, 12]; the condition (max < 10) stops after the third.
  const auto out = run(model, {{"n", {{1}, {5}}}, {"go", {{1}, {1}}}, {"x", {{2}, {1, 2}}}});
  CHECK(values_of(out, "sum") == std::vector<float>{6, 12});
  CHECK(values_of(out, "sums") == std::vector<float>{1, 2, 3, 6, 6, 12});
  CHECK(out.at("sums").tensor.shape() == exec::Shape{3, 2});
  // The trip count bounds it first: two iterations.
  CHECK(values_of(run(model, {{"n", {{1}, {2}}}, {"go", {{1}, {1}}}, {"x", {{2}, {1, 2}}}}), "sum") == std::vector<float>{3, 6});
}

TEST_CASE("convert control flow: Loop refusals name the node and the reason") {
  std::string no_bounds = loop_graph;
  no_bounds.replace(no_bounds.find(R"("inputs": ["n", "go", "zero"])"), 29, R"("inputs": ["", "", "zero"])");
  CHECK(error_of([&] { (void)convert_json(no_bounds); }).find("node 'loop' (Loop): has neither a trip count nor a condition") != std::string::npos);

  std::string unsupported = loop_graph;
  unsupported.replace(unsupported.find(R"("op_type": "Identity")"), 21, R"("op_type": "Unique")");
  CHECK(error_of([&] { (void)convert_json(unsupported); })
            .find("node 'keep' (Unique): inside the subgraph of node 'loop' (Loop): has no built-in N-d mapping") != std::string::npos);
}

}  // namespace
}  // namespace mlconv::test
