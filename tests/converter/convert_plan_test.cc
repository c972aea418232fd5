// Planning and whole-model export: every unsupported op is collected before failing,
// --allow-custom's rules, classifier wiring, and the deployment target.
#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

using converter::ConvertOptions;

const std::string mixed_graph = R"({"opset_imports": [{"version": 13}],
  "inputs": [{"name": "x", "type": "float32", "shape": [1, 3, 4, 4]}],
  "outputs": [{"name": "z"}],
  "initializers": [{"name": "table", "type": "float32", "shape": [2], "data": [0.5, 1.5]}],
  "nodes": [
    {"name": "a1", "op_type": "Mystery", "inputs": ["x", "table"], "outputs": ["a"],
     "attributes": {"gain": {"type": "float", "value": 2.0}, "axes": {"type": "ints", "value": [1]}}},
    {"name": "b1", "op_type": "Other", "domain": "org.z", "inputs": ["a"], "outputs": ["b"]},
    {"name": "a2", "op_type": "Mystery", "inputs": ["b", "table"], "outputs": ["y"]},
    {"name": "r", "op_type": "Relu", "inputs": ["y"], "outputs": ["z"]}
  ]})";

TEST_CASE("convert plan: every unsupported op is listed at once with counts and node names") {
  const auto plan = converter::plan_conversion(graph_from_json(mixed_graph), {});
  REQUIRE(plan.unsupported.size() == 2);
  CHECK(plan.unsupported[0].op_type == "Mystery");
  CHECK(plan.unsupported[0].nodes.size() == 2);
  CHECK(plan.unsupported[1].domain == "org.z");
  const std::string message = error_of([&] { converter::require_supported(plan); });
  CHECK(message.rfind("model.json: 2 unsupported op types (3 nodes); no rule or built-in mapping covers:\n"
                      "  Mystery (domain ''): 2 nodes: a1 (model.json:6), a2 (model.json:9)\n"
                      "  Other (domain 'org.z'): 1 node: b1 (model.json:8)\n", 0) == 0);
  CHECK(message.find(R"("class_name": "Other")") != std::string::npos);
  CHECK(error_of([&] { (void)converter::export_model(plan, {}); }) == message);
  const std::string report = converter::check_report(plan);
  CHECK(report.find("a1 (Mystery): UNSUPPORTED\n") != std::string::npos);
  CHECK(report.find("r (Relu): activation (ReLU) [built-in]\n") != std::string::npos);
  CHECK(report.find("4 nodes, 3 unsupported\n") != std::string::npos);
}

TEST_CASE("convert plan: --allow-custom keeps attributes as parameters and constants as weights, and says so") {
  ConvertOptions options;
  options.allow_custom = true;
  const auto plan = converter::plan_conversion(graph_from_json(mixed_graph), options);
  CHECK(plan.unsupported.empty());
  REQUIRE(plan.notes.size() == 2);
  CHECK(plan.notes[0] ==
        "--allow-custom: Mystery became custom layer 'Mystery' for 2 nodes; the app must provide an MLCustomLayer class of that "
        "name; attribute 'axes' (ints) has no custom-parameter type and was left out");
  const auto model = converter::export_model(plan, options);
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 4);
  const auto& mystery = layers[0].custom();
  CHECK(mystery.classname() == "Mystery");
  CHECK(layers[0].input_size() == 1);
  CHECK(mystery.parameters().at("gain").doublevalue() == 2.0);
  CHECK_FALSE(mystery.parameters().contains("axes"));
  REQUIRE(mystery.weights_size() == 1);
  CHECK(std::vector<float>(mystery.weights(0).floatvalue().begin(), mystery.weights(0).floatvalue().end()) == std::vector<float>{0.5F, 1.5F});
  CHECK(layers[1].custom().classname() == "Other");
  CHECK(model.specificationversion() == 2);
}

TEST_CASE("convert export: class labels make a classifier wired to the probabilities layer") {
  ConvertOptions options;
  options.class_labels = {"cat", "dog", "bird"};
  const auto model = convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "probs"}],
    "nodes": [{"name": "sm", "op_type": "Softmax", "inputs": ["x"], "outputs": ["probs"]}]})", options);
  REQUIRE(model.has_neuralnetworkclassifier());
  const auto& network = model.neuralnetworkclassifier();
  CHECK(network.stringclasslabels().vector_size() == 3);
  CHECK(network.labelprobabilitylayername() == "sm");
  CHECK(model.description().predictedfeaturename() == "classLabel");
  CHECK(model.description().predictedprobabilitiesname() == "probs");
  CHECK(model.description().output(0).type().has_dictionarytype());
  CHECK(model.description().output(1).type().has_stringtype());
  options.class_labels = {"a", "b"};
  CHECK(error_of([&] {
          (void)convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "probs"}],
            "nodes": [{"name": "sm", "op_type": "Softmax", "inputs": ["x"], "outputs": ["probs"]}]})", options);
        }) == "--class-labels gives 2 labels, but output 'probs' has 3 classes");
}

TEST_CASE("convert export: a graph input passed straight through as an output is refused") {
  CHECK(error_of([] {
          (void)convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "x"}], "nodes": []})");
        }) == "model.json: graph output 'x' is also a graph input; Core ML outputs must be computed by layers");
}

TEST_CASE("convert export: the deployment target raises the version and bounds what layers may need") {
  const std::string relu = R"({"inputs": [{"name": "x", "type": "float32", "shape": ["N", 3]}], "outputs": [{"name": "y"}],
    "nodes": [{"name": "r", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}]})";
  CHECK(convert_json(relu).specificationversion() == 1);
  ConvertOptions options;
  options.deployment_target = converter::spec_version_for_target("iOS12");
  CHECK(convert_json(relu, options).specificationversion() == 3);
  CHECK_FALSE(converter::spec_version_for_target("iOS9").has_value());
  CHECK(error_of([] {
          (void)convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, "C"]}], "outputs": [{"name": "y"}],
            "nodes": [{"name": "r", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}]})");
        }) == "model.json:1: input 'x': dimension 1 is symbolic ('C'); rank-5 Core ML networks need fixed C, H and W");
}

}  // namespace
}  // namespace mlconv::test
