// NonZero and Compress (layers_nd_indexing.cc): constants are resolved at export, run-time
// conditions go through whereNonZero with the output shape the graph declares. Expected
// values are numpy.argwhere / numpy.compress worked out by hand.
#include <doctest/doctest.h>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

// Compress of x [2, 3] by the bool condition "keep" [3]: a graph input when
// `condition_data` is empty, else a constant holding it. `attributes` is appended to the
// node (`, "attributes": {...}` or empty), `declared` to the output's declaration.
std::string compress_graph(const std::string& condition_data, const std::string& attributes, const std::string& declared) {
  const bool constant = !condition_data.empty();
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [2, 3]})" +
         std::string(constant ? "" : R"(, {"name": "keep", "type": "bool", "shape": [3]})") + R"(],
    "outputs": [{"name": "y", "type": "float32")" + declared + R"(}],
    "initializers": [)" +
         (constant ? R"({"name": "keep", "type": "bool", "shape": [3], "data": )" + condition_data + "}" : "") + R"(],
    "nodes": [{"name": "select", "op_type": "Compress", "inputs": ["x", "keep"], "outputs": ["y"])" + attributes + "}]}";
}

const std::string axis_1 = R"(, "attributes": {"axis": {"type": "int", "value": 1}})";

}  // namespace

TEST_CASE("convert nonzero: a constant condition becomes constant indices and a static gather") {
  const std::string text = compress_graph("[true, false, true]", axis_1, "");
  const auto model = convert_json(text);
  CHECK(layer_kinds(model) == std::vector<std::string>{"loadConstantND", "gather"});
  const auto& indices = layers_of(model)[0].loadconstantnd().data().floatvalue();
  CHECK(std::vector<float>(indices.begin(), indices.end()) == std::vector<float>{0, 2});
  const auto out = run_json_graph("compress_constant", text, {{"x", "[[1, 2, 3], [4, 5, 6]]"}});
  CHECK(out["y"]["shape"] == nlohmann::json::array({2, 2}));
  CHECK(output_values(out["y"]) == std::vector<double>{1, 3, 4, 6});
}

TEST_CASE("convert nonzero: a run-time condition selects through whereNonZero; without an axis the input is flattened") {
  const std::string text = compress_graph("", axis_1, R"(, "shape": [2, 2])");
  CHECK(layer_kinds(convert_json(text)) == std::vector<std::string>{"whereNonZero", "squeeze", "gather"});
  const auto out = run_json_graph("compress_runtime", text, {{"x", "[[1, 2, 3], [4, 5, 6]]"}, {"keep", "[0, 1, 1]"}});
  CHECK(output_values(out["y"]) == std::vector<double>{2, 3, 5, 6});

  const std::string flat = compress_graph("", "", R"(, "shape": [2])");
  CHECK(layer_kinds(convert_json(flat)) == std::vector<std::string>{"reshapeStatic", "whereNonZero", "squeeze", "gather"});
  const auto flat_out = run_json_graph("compress_flat", flat, {{"x", "[[1, 2, 3], [4, 5, 6]]"}, {"keep", "[1, 0, 1]"}});
  CHECK(output_values(flat_out["y"]) == std::vector<double>{1, 3});
}

TEST_CASE("convert nonzero: NonZero lists the indices one row per axis") {
  const std::string text = R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [2, 3]}],
    "outputs": [{"name": "where", "type": "int64", "shape": [2, 3]}],
    "nodes": [{"name": "nz", "op_type": "NonZero", "inputs": ["x"], "outputs": ["where"]}]})";
  CHECK(layer_kinds(convert_json(text)) == std::vector<std::string>{"whereNonZero", "transpose"});
  const auto out = run_json_graph("nonzero", text, {{"x", "[[0, 7, 0], [1, 0, 2]]"}});
  CHECK(out["where"]["shape"] == nlohmann::json::array({2, 3}));
  CHECK(output_values(out["where"]) == std::vector<double>{0, 1, 1, 1, 0, 2});
}

TEST_CASE("convert nonzero: an undeclared data-dependent shape or an empty constant result is refused naming the node") {
  CHECK(error_of([] { (void)convert_json(compress_graph("", axis_1, "")); })
            .find("node 'select' (Compress): the shape of output 'y' depends on the run-time values of") != std::string::npos);
  CHECK(error_of([] { (void)convert_json(compress_graph("[false, false, false]", axis_1, "")); })
            .find("node 'select' (Compress): the constant condition selects nothing") != std::string::npos);
}

}  // namespace mlconv::test
