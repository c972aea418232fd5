// converter/passes: "infer-shapes". Sizes worked out by hand from the ONNX operator
// definitions: out = floor((in + pads - dilation * (k - 1) - 1) / stride) + 1.
#include <doctest/doctest.h>

#include "converter/passes/pass.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

using converter::Graph;

Graph inferred(const std::string& json) {
  Graph graph = graph_from_json(json);
  converter::run_passes(graph, {});
  return graph;
}

std::string shape_of(const Graph& graph, const std::string& name) {
  const auto* value = graph.find_value(name);
  REQUIRE(value != nullptr);
  return value->shape ? converter::describe_shape(*value->shape) : "unknown";
}

TEST_CASE("passes shapes: a conv net's values get their shapes and types") {
  const Graph graph = inferred(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": ["N", 3, 32, 30]},
               {"name": "W", "type": "float32", "shape": [8, 3, 5, 5]},
               {"name": "G", "type": "float32", "shape": [16, 8]}],
    "outputs": [{"name": "y"}, {"name": "k"}],
    "initializers": [
      {"name": "axes", "type": "int64", "shape": [1], "data": [1]}],
    "nodes": [
      {"name": "conv", "op_type": "Conv", "inputs": ["x", "W"], "outputs": ["c"],
       "attributes": {"strides": {"type": "ints", "value": [2, 2]}, "pads": {"type": "ints", "value": [2, 1, 2, 1]}}},
      {"name": "pool", "op_type": "MaxPool", "inputs": ["c"], "outputs": ["p"],
       "attributes": {"kernel_shape": {"type": "ints", "value": [3, 3]}, "strides": {"type": "ints", "value": [2, 2]}, "ceil_mode": {"type": "int", "value": 1}}},
      {"name": "gap", "op_type": "GlobalAveragePool", "inputs": ["p"], "outputs": ["g"]},
      {"name": "flat", "op_type": "Flatten", "inputs": ["g"], "outputs": ["f"]},
      {"name": "fc", "op_type": "Gemm", "inputs": ["f", "G"], "outputs": ["y"], "attributes": {"transB": {"type": "int", "value": 1}}},
      {"name": "mean", "op_type": "ReduceMean", "inputs": ["p", "axes"], "outputs": ["k"], "attributes": {"keepdims": {"type": "int", "value": 0}}}
    ]})");
  // conv: H (32 + 4 - 4 - 1) / 2 + 1 = 16, W (30 + 2 - 4 - 1) / 2 + 1 = 14.
  CHECK(shape_of(graph, "c") == "['N', 8, 16, 14]");
  // pool with ceil_mode: ceil((16 - 3) / 2) + 1 = 8, ceil((14 - 3) / 2) + 1 = 7.
  CHECK(shape_of(graph, "p") == "['N', 8, 8, 7]");
  CHECK(shape_of(graph, "g") == "['N', 8, 1, 1]");
  CHECK(shape_of(graph, "f") == "['?', 8]");
  CHECK(shape_of(graph, "y") == "['?', 16]");
  CHECK(shape_of(graph, "k") == "['N', 8, 7]");
  CHECK(graph.find_value("y")->type == converter::ElementType::float32);
}

TEST_CASE("passes shapes: MatMul broadcasting, Transpose, Concat, Squeeze/Unsqueeze, Slice, Cast and comparisons") {
  const Graph graph = inferred(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "a", "type": "float32", "shape": [5, 1, 4, 3]},
               {"name": "b", "type": "float32", "shape": [6, 3, 2]},
               {"name": "v", "type": "float32", "shape": [3]}],
    "outputs": [{"name": "mm"}, {"name": "t"}, {"name": "cat"}, {"name": "sq"}, {"name": "us"}, {"name": "sl"}, {"name": "ci"}, {"name": "lt"}, {"name": "mv"}],
    "initializers": [
      {"name": "ax", "type": "int64", "shape": [1], "data": [1]},
      {"name": "ax2", "type": "int64", "shape": [2], "data": [0, -1]},
      {"name": "st", "type": "int64", "shape": [1], "data": [1]},
      {"name": "en", "type": "int64", "shape": [1], "data": [-1]}],
    "nodes": [
      {"name": "n1", "op_type": "MatMul", "inputs": ["a", "b"], "outputs": ["mm"]},
      {"name": "n2", "op_type": "Transpose", "inputs": ["a"], "outputs": ["t"], "attributes": {"perm": {"type": "ints", "value": [3, 0, 2, 1]}}},
      {"name": "n3", "op_type": "Concat", "inputs": ["a", "a"], "outputs": ["cat"], "attributes": {"axis": {"type": "int", "value": -1}}},
      {"name": "n4", "op_type": "Squeeze", "inputs": ["a", "ax"], "outputs": ["sq"]},
      {"name": "n5", "op_type": "Unsqueeze", "inputs": ["v", "ax2"], "outputs": ["us"]},
      {"name": "n6", "op_type": "Slice", "inputs": ["a", "st", "en", "ax"], "outputs": ["sl"]},
      {"name": "n7", "op_type": "Cast", "inputs": ["a"], "outputs": ["ci"], "attributes": {"to": {"type": "int", "value": 6}}},
      {"name": "n8", "op_type": "Less", "inputs": ["a", "v"], "outputs": ["lt"]},
      {"name": "n9", "op_type": "MatMul", "inputs": ["a", "v"], "outputs": ["mv"]}
    ]})");
  CHECK(shape_of(graph, "mm") == "[5, 6, 4, 2]");
  CHECK(shape_of(graph, "t") == "[3, 5, 4, 1]");
  CHECK(shape_of(graph, "cat") == "[5, 1, 4, 6]");
  CHECK(shape_of(graph, "sq") == "[5, 4, 3]");
  CHECK(shape_of(graph, "us") == "[1, 3, 1]");
  CHECK(shape_of(graph, "sl") == "[5, 0, 4, 3]");  // [1, 1 - 1) on an axis of size 1 is empty
  CHECK(graph.find_value("ci")->type == converter::ElementType::int32);
  CHECK(graph.find_value("lt")->type == converter::ElementType::boolean);
  CHECK(shape_of(graph, "lt") == "[5, 1, 4, 3]");
  CHECK(shape_of(graph, "mv") == "[5, 1, 4]");
}

TEST_CASE("passes shapes: mismatches name the file, node and op and what was expected") {
  const auto error_for = [](const std::string& nodes, const std::string& extra_inputs = "") {
    return error_of([&] {
      (void)inferred(R"({"opset_imports": [{"version": 13}],
        "inputs": [{"name": "x", "type": "float32", "shape": [1, 3, 8, 8]},
                   {"name": "W", "type": "float32", "shape": [4, 2, 3, 3]})" + extra_inputs + R"(],
        "outputs": [{"name": "y", "shape": [1, 4, 6, 6]}],
        "initializers": [{"name": "t", "type": "int64", "shape": [2], "data": [5, 5]}],
        "nodes": [)" + nodes + "]}");
    });
  };
  CHECK(error_for(R"({"name": "conv", "op_type": "Conv", "inputs": ["x", "W"], "outputs": ["y"]})") ==
        "model.json:6: node 'conv' (Conv): the input has 3 channels; W [4, 2, 3, 3] with group 1 expects 2");
  CHECK(error_for(R"({"name": "add", "op_type": "Add", "inputs": ["x", "z"], "outputs": ["y"]})", R"(, {"name": "z", "type": "float32", "shape": [4, 1]})") ==
        "model.json:6: node 'add' (Add): shapes [1, 3, 8, 8] and [4, 1] do not broadcast (dimension 2: 8 vs 4)");
  CHECK(error_for(R"({"name": "r", "op_type": "Reshape", "inputs": ["x", "t"], "outputs": ["y"]})") ==
        "model.json:6: node 'r' (Reshape): cannot reshape [1, 3, 8, 8] (192 elements) to [5, 5] (25 elements)");
  CHECK(error_for(R"({"name": "relu", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]})") ==
        "model.json:6: node 'relu' (Relu): output 'y' is declared with shape [1, 4, 6, 6], but the op computes [1, 3, 8, 8]");
}

TEST_CASE("passes shapes: declared sizes whose products overflow 64 bits are errors, not wrapped numbers") {
  const auto error_for = [](const std::string& x_shape, const std::string& node) {
    return error_of([&] {
      (void)inferred(R"({"opset_imports": [{"version": 13}],
        "inputs": [{"name": "x", "type": "float32", "shape": )" + x_shape + R"(}],
        "outputs": [{"name": "y"}],
        "initializers": [{"name": "t", "type": "int64", "shape": [2], "data": [0, -1]},
                         {"name": "W", "type": "float32", "shape": [1, 1, 1, 1], "data": [1]}],
        "nodes": [)" + node + "]}");
    });
  };
  // The fuzzer's case: Reshape copies dimension 0 and multiplies it into the known part.
  CHECK(error_for("[4611686018427387904, 4]", R"({"name": "r", "op_type": "Reshape", "inputs": ["x", "t"], "outputs": ["y"]})") ==
        "model.json:6: node 'r' (Reshape): sizes 4611686018427387904 * 4 overflow a 64-bit integer");
  CHECK(error_for("[4611686018427387904, 4]", R"({"name": "f", "op_type": "Flatten", "inputs": ["x"], "outputs": ["y"],
        "attributes": {"axis": {"type": "int", "value": 2}}})") ==
        "model.json:6: node 'f' (Flatten): sizes 4611686018427387904 * 4 overflow a 64-bit integer");
  CHECK(error_for("[1, 1, 9223372036854775807, 1]", R"({"name": "c", "op_type": "Conv", "inputs": ["x", "W"], "outputs": ["y"],
        "attributes": {"pads": {"type": "ints", "value": [1, 0, 1, 0]}}})") ==
        "model.json:6: node 'c' (Conv): sizes 9223372036854775807 + 2 overflow a 64-bit integer");
}

// fuzz_onnx: a ConstantOfShape whose shape held a size of -2^59 next to a 0 reached the
// exporter, which multiplied the sizes past 64 bits.
TEST_CASE("passes shapes: a shape given as data with a negative size is an error (ConstantOfShape, Expand)") {
  const auto error_for = [](const std::string& node) {
    return error_of([&] {
      (void)inferred(R"({"opset_imports": [{"version": 13}],
        "inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}],
        "outputs": [{"name": "y"}],
        "initializers": [{"name": "t", "type": "int64", "shape": [3], "data": [136, -576460752303423487, 0]}],
        "nodes": [)" + node + "]}");
    });
  };
  CHECK(error_for(R"({"name": "fill", "op_type": "ConstantOfShape", "inputs": ["t"], "outputs": ["y"]})") ==
        "model.json:5: node 'fill' (ConstantOfShape): the shape [136, -576460752303423487, 0] has a negative size");
  CHECK(error_for(R"({"name": "e", "op_type": "Expand", "inputs": ["x", "t"], "outputs": ["y"]})") ==
        "model.json:5: node 'e' (Expand): the shape [136, -576460752303423487, 0] has a negative size");
}

}  // namespace
}  // namespace mlconv::test
