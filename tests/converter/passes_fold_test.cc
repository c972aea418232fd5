// converter/passes: "fold-constants" and "remove-dead-nodes". Expected values are
// worked out by hand from the ONNX operator definitions.
#include <doctest/doctest.h>

#include <limits>

#include "converter/passes/pass.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

using converter::Graph;

converter::Graph passed(const std::string& json, const std::set<std::string>& fusions = {}) {
  Graph graph = graph_from_json(json);
  converter::run_passes(graph, {fusions, nullptr});
  return graph;
}

std::vector<std::int64_t> ints_of(const Graph& graph, const std::string& name) {
  const auto* value = graph.find_value(name);
  REQUIRE(value != nullptr);
  REQUIRE(value->constant.has_value());
  return value->constant->to_ints();
}

std::vector<std::string> op_types(const Graph& graph) {
  std::vector<std::string> ops;
  for (const auto* node : graph.topological_order()) ops.push_back(node->op_type);
  return ops;
}

// The chain PyTorch writes for x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze
// -> Concat with [-1] -> Reshape.
const std::string flatten_chain = R"({"opset_imports": [{"version": 13}],
  "inputs": [{"name": "x", "type": "float32", "shape": [2, 3, 4, 5]}],
  "outputs": [{"name": "y"}],
  "initializers": [
    {"name": "zero", "type": "int64", "shape": [], "data": [0]},
    {"name": "axes0", "type": "int64", "shape": [1], "data": [0]},
    {"name": "minus_one", "type": "int64", "shape": [1], "data": [-1]}],
  "nodes": [
    {"name": "shape", "op_type": "Shape", "inputs": ["x"], "outputs": ["s"]},
    {"name": "batch", "op_type": "Gather", "inputs": ["s", "zero"], "outputs": ["n"], "attributes": {"axis": {"type": "int", "value": 0}}},
    {"name": "unsq", "op_type": "Unsqueeze", "inputs": ["n", "axes0"], "outputs": ["n1"]},
    {"name": "cat", "op_type": "Concat", "inputs": ["n1", "minus_one"], "outputs": ["target"], "attributes": {"axis": {"type": "int", "value": 0}}},
    {"name": "reshape", "op_type": "Reshape", "inputs": ["x", "target"], "outputs": ["flat"]},
    {"name": "relu", "op_type": "Relu", "inputs": ["flat"], "outputs": ["y"]}
  ]})";

TEST_CASE("passes fold: Shape -> Gather -> Unsqueeze -> Concat folds to a constant Reshape target") {
  const Graph graph = passed(flatten_chain);
  CHECK(op_types(graph) == std::vector<std::string>{"Reshape", "Relu"});
  CHECK(ints_of(graph, "s") == std::vector<std::int64_t>{2, 3, 4, 5});
  CHECK(ints_of(graph, "n") == std::vector<std::int64_t>{2});
  CHECK(ints_of(graph, "target") == std::vector<std::int64_t>{2, -1});
  // 3 * 4 * 5 = 60 elements per batch row.
  CHECK(converter::describe_shape(*graph.find_value("flat")->shape) == "[2, 60]");
  CHECK(converter::describe_shape(*graph.find_value("y")->shape) == "[2, 60]");
}

TEST_CASE("passes fold: the folded chain converts to one static reshape layer") {
  const auto model = convert_json(flatten_chain);
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].has_reshape());
  CHECK(layers[1].has_activation());
}

// Arithmetic on integer constants as shape code does it: (5 + 3) * 2 / 4 - 1 = 3,
// Equal/Where picking between two shapes, Cast, Slice, Range, ConstantOfShape, Size.
TEST_CASE("passes fold: integer arithmetic, Where, Cast, Slice, Range, ConstantOfShape and Size") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 2, 3]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "five", "type": "int64", "shape": [], "data": [5]},
      {"name": "three", "type": "int64", "shape": [], "data": [3]},
      {"name": "two", "type": "int64", "shape": [], "data": [2]},
      {"name": "four", "type": "int64", "shape": [], "data": [4]},
      {"name": "one", "type": "int64", "shape": [], "data": [1]},
      {"name": "v", "type": "int64", "shape": [5], "data": [10, 11, 12, 13, 14]},
      {"name": "starts", "type": "int64", "shape": [1], "data": [-4]},
      {"name": "ends", "type": "int64", "shape": [1], "data": [100]},
      {"name": "steps", "type": "int64", "shape": [1], "data": [2]},
      {"name": "a", "type": "int64", "shape": [2], "data": [1, 6]},
      {"name": "b", "type": "int64", "shape": [2], "data": [1, 7]},
      {"name": "half", "type": "float32", "shape": [2], "data": [2.7, -2.7]},
      {"name": "dims", "type": "int64", "shape": [2], "data": [2, 3]}],
    "nodes": [
      {"name": "add", "op_type": "Add", "inputs": ["five", "three"], "outputs": ["s8"]},
      {"name": "mul", "op_type": "Mul", "inputs": ["s8", "two"], "outputs": ["s16"]},
      {"name": "div", "op_type": "Div", "inputs": ["s16", "four"], "outputs": ["s4"]},
      {"name": "sub", "op_type": "Sub", "inputs": ["s4", "one"], "outputs": ["s3"]},
      {"name": "eq", "op_type": "Equal", "inputs": ["a", "b"], "outputs": ["same"]},
      {"name": "pick", "op_type": "Where", "inputs": ["same", "a", "b"], "outputs": ["picked"]},
      {"name": "cast", "op_type": "Cast", "inputs": ["half"], "outputs": ["truncated"], "attributes": {"to": {"type": "int", "value": 7}}},
      {"name": "slice", "op_type": "Slice", "inputs": ["v", "starts", "ends", "", "steps"], "outputs": ["sliced"]},
      {"name": "range", "op_type": "Range", "inputs": ["one", "s3", "one"], "outputs": ["r"]},
      {"name": "fill", "op_type": "ConstantOfShape", "inputs": ["dims"], "outputs": ["zeros"]},
      {"name": "size", "op_type": "Size", "inputs": ["x"], "outputs": ["count"]},
      {"name": "relu", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}
    ]})");
  CHECK(ints_of(graph, "s8") == std::vector<std::int64_t>{8});
  CHECK(ints_of(graph, "s16") == std::vector<std::int64_t>{16});
  CHECK(ints_of(graph, "s4") == std::vector<std::int64_t>{4});
  CHECK(ints_of(graph, "s3") == std::vector<std::int64_t>{3});
  CHECK(ints_of(graph, "same") == std::vector<std::int64_t>{1, 0});
  CHECK(graph.find_value("same")->type == converter::ElementType::boolean);
  CHECK(ints_of(graph, "picked") == std::vector<std::int64_t>{1, 7});
  CHECK(ints_of(graph, "truncated") == std::vector<std::int64_t>{2, -2});  // Cast truncates toward zero
  CHECK(ints_of(graph, "sliced") == std::vector<std::int64_t>{11, 13});    // from index 5 - 4 = 1, every second
  CHECK(ints_of(graph, "r") == std::vector<std::int64_t>{1, 2});            // [1, 3) step 1
  CHECK(graph.find_value("zeros")->constant->to_floats() == std::vector<float>(6, 0.0F));
  CHECK(graph.find_value("zeros")->constant->dims == std::vector<std::int64_t>{2, 3});
  CHECK(ints_of(graph, "count") == std::vector<std::int64_t>{6});
  CHECK(op_types(graph) == std::vector<std::string>{"Relu"});
}

// ONNX leaves a cast of an unrepresentable real undefined, and in C++ it is undefined
// behaviour; folding saturates instead (NaN gives 0), so a hostile model cannot make the
// converter itself undefined.
TEST_CASE("passes fold: reals outside an integer type's range saturate, NaN and 1/0 included") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "big", "type": "float32", "shape": [4], "data": [1e30, -1e30, 3e9, -7.9]},
      {"name": "bytes", "type": "float32", "shape": [3], "data": [-5.5, 300.2, 7.9]},
      {"name": "minus_one", "type": "float32", "shape": [1], "data": [-1]},
      {"name": "zero", "type": "int64", "shape": [2], "data": [0, 4]}],
    "nodes": [
      {"name": "to_int32", "op_type": "Cast", "inputs": ["big"], "outputs": ["i32"], "attributes": {"to": {"type": "int", "value": 6}}},
      {"name": "to_int64", "op_type": "Cast", "inputs": ["big"], "outputs": ["i64"], "attributes": {"to": {"type": "int", "value": 7}}},
      {"name": "to_uint8", "op_type": "Cast", "inputs": ["bytes"], "outputs": ["u8"], "attributes": {"to": {"type": "int", "value": 2}}},
      {"name": "root", "op_type": "Sqrt", "inputs": ["minus_one"], "outputs": ["nan"]},
      {"name": "nan_to_int", "op_type": "Cast", "inputs": ["nan"], "outputs": ["from_nan"], "attributes": {"to": {"type": "int", "value": 7}}},
      {"name": "inverse", "op_type": "Reciprocal", "inputs": ["zero"], "outputs": ["inverse_ints"]},
      {"name": "relu", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}
    ]})");
  constexpr auto i32_max = std::numeric_limits<std::int32_t>::max();
  constexpr auto i32_min = std::numeric_limits<std::int32_t>::min();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
  CHECK(ints_of(graph, "i32") == std::vector<std::int64_t>{i32_max, i32_min, i32_max, -7});
  CHECK(ints_of(graph, "i64") == std::vector<std::int64_t>{i64_max, i64_min, 3000000000, -7});
  CHECK(ints_of(graph, "u8") == std::vector<std::int64_t>{0, 255, 7});
  CHECK(ints_of(graph, "from_nan") == std::vector<std::int64_t>{0});
  CHECK(ints_of(graph, "inverse_ints") == std::vector<std::int64_t>{i64_max, 0});  // 1/0 = inf, 1/4 truncates
  // A float tensor read as integers (a shape given as floats) saturates the same way.
  CHECK(graph.find_value("big")->constant->to_ints() == std::vector<std::int64_t>{i64_max, i64_min, 3000000000, -7});
}

TEST_CASE("passes fold: Transpose and Gather of constant data move elements as the definitions say") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 2]}],
    "outputs": [{"name": "y"}],
    "initializers": [
      {"name": "m", "type": "float32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
      {"name": "idx", "type": "int64", "shape": [2], "data": [2, -3]}],
    "nodes": [
      {"name": "t", "op_type": "Transpose", "inputs": ["m"], "outputs": ["mt"], "attributes": {"perm": {"type": "ints", "value": [1, 0]}}},
      {"name": "g", "op_type": "Gather", "inputs": ["m", "idx"], "outputs": ["cols"], "attributes": {"axis": {"type": "int", "value": 1}}},
      {"name": "relu", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}
    ]})");
  const auto& mt = *graph.find_value("mt")->constant;
  CHECK(mt.dims == std::vector<std::int64_t>{3, 2});
  CHECK(mt.to_floats() == std::vector<float>{1, 4, 2, 5, 3, 6});
  const auto& cols = *graph.find_value("cols")->constant;
  CHECK(cols.dims == std::vector<std::int64_t>{2, 2});
  CHECK(cols.to_floats() == std::vector<float>{3, 1, 6, 4});  // columns 2 and -3 (= 0)
}

TEST_CASE("passes fold: a node writing a graph output stays, and a Shape of a symbolic input does not fold") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": ["N", 3]}],
    "outputs": [{"name": "s"}, {"name": "k"}],
    "initializers": [{"name": "c", "type": "int64", "shape": [1], "data": [4]}],
    "nodes": [
      {"name": "shape", "op_type": "Shape", "inputs": ["x"], "outputs": ["s"]},
      {"name": "id", "op_type": "Identity", "inputs": ["c"], "outputs": ["k"]}
    ]})");
  CHECK(op_types(graph) == std::vector<std::string>{"Shape", "Identity"});
}

TEST_CASE("passes fold: an out-of-range Gather index names the file, node and op") {
  const std::string message = error_of([] {
    (void)passed(R"({"opset_imports": [{"version": 13}],
      "inputs": [{"name": "x", "type": "float32", "shape": [1, 2]}],
      "outputs": [{"name": "y"}],
      "initializers": [{"name": "i", "type": "int64", "shape": [], "data": [5]}],
      "nodes": [
        {"name": "shape", "op_type": "Shape", "inputs": ["x"], "outputs": ["s"]},
        {"name": "pick", "op_type": "Gather", "inputs": ["s", "i"], "outputs": ["n"]},
        {"name": "r", "op_type": "Reshape", "inputs": ["x", "n"], "outputs": ["y"]}
      ]})");
  });
  CHECK(message == "model.json:7: node 'pick' (Gather): index 5 is outside [-2, 2) for axis 0 of [2]");
}

TEST_CASE("passes cleanup: Identity and inference Dropout are removed; dead chains go") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 4]}],
    "outputs": [{"name": "y"}, {"name": "z"}],
    "nodes": [
      {"name": "id", "op_type": "Identity", "inputs": ["x"], "outputs": ["a"]},
      {"name": "drop", "op_type": "Dropout", "inputs": ["a"], "outputs": ["b"]},
      {"name": "relu", "op_type": "Relu", "inputs": ["b"], "outputs": ["y"]},
      {"name": "unused", "op_type": "Sigmoid", "inputs": ["b"], "outputs": ["dead"]},
      {"name": "last", "op_type": "Identity", "inputs": ["y"], "outputs": ["z"]}
    ]})");
  // The Identity writing graph output 'z' stays so the output keeps its name.
  CHECK(op_types(graph) == std::vector<std::string>{"Relu", "Identity"});
  CHECK(graph.topological_order()[0]->inputs[0]->name == "x");
}

TEST_CASE("passes cleanup: a Dropout whose mask is read, or in training mode, stays") {
  const Graph graph = passed(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 4]}],
    "outputs": [{"name": "y"}, {"name": "m2"}],
    "initializers": [{"name": "train", "type": "bool", "shape": [], "data": [true]}],
    "nodes": [
      {"name": "d1", "op_type": "Dropout", "inputs": ["x"], "outputs": ["a", "mask"]},
      {"name": "d2", "op_type": "Dropout", "inputs": ["a", "", "train"], "outputs": ["b"]},
      {"name": "relu", "op_type": "Relu", "inputs": ["b"], "outputs": ["y"]},
      {"name": "mask_copy", "op_type": "Not", "inputs": ["mask"], "outputs": ["m2"]}
    ]})");
  CHECK(op_types(graph) == std::vector<std::string>{"Dropout", "Dropout", "Relu", "Not"});
}

TEST_CASE("passes check: a cycle and a node reading an undefined value are reported with file and node") {
  CHECK(error_of([] {
          (void)passed(R"({"opset_imports": [{"version": 13}],
            "inputs": [{"name": "x", "type": "float32", "shape": [1, 4]}],
            "outputs": [{"name": "y"}],
            "nodes": [
              {"name": "a", "op_type": "Add", "inputs": ["x", "b_out"], "outputs": ["a_out"]},
              {"name": "b", "op_type": "Relu", "inputs": ["a_out"], "outputs": ["b_out"]},
              {"name": "c", "op_type": "Relu", "inputs": ["a_out"], "outputs": ["y"]}
            ]})");
        }) == "model.json:5: the graph has a cycle; these nodes wait on each other: 'a' (Add), 'b' (Relu), 'c' (Relu)");
  const std::string undefined = error_of([] {
    (void)passed(R"({"opset_imports": [{"version": 13}],
      "inputs": [{"name": "x", "type": "float32", "shape": [1, 4]}],
      "outputs": [{"name": "y"}],
      "nodes": [{"name": "r", "op_type": "Relu", "inputs": ["nowhere"], "outputs": ["y"]}]})");
  });
  CHECK(undefined.find("node 'r' (Relu)") != std::string::npos);
  CHECK(undefined.find("'nowhere'") != std::string::npos);
  CHECK(undefined.rfind("model.json", 0) == 0);
}

}  // namespace
}  // namespace mlconv::test
