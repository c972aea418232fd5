// The rules engine: loading (pinned errors with file, line and rule pointer),
// matching (op, domain, opset range, name glob/regex, attribute equality, first
// match wins, overriding a built-in), custom layer parameters and weights, output
// shape expressions, and composites.
#include <doctest/doctest.h>

#include <fstream>

#include "converter/rules/rule.h"
#include "converter/rules/shape_expression.h"
#include "tests/converter/converter_test_support.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using converter::ConvertOptions;

std::filesystem::path write_rules(const std::string& name, const std::string& text) {
  const auto dir = scratch_dir("convert_rules_" + name);
  const auto path = dir / "rules.json";
  std::ofstream(path) << text;
  return path;
}

const std::string swish_graph = R"({"opset_imports": [{"version": 13}],
  "inputs": [{"name": "x", "type": "float32", "shape": [1, 4, 2, 2]}],
  "outputs": [{"name": "y"}],
  "initializers": [{"name": "w", "type": "float32", "shape": [4], "data": [1, 2, 3, 4]}],
  "nodes": [
    {"name": "swish1", "op_type": "Swish", "inputs": ["x", "w"], "outputs": ["y"],
     "attributes": {"beta": {"type": "float", "value": 0.5}, "big": {"type": "int", "value": 5000000000},
                    "mode": {"type": "string", "value": "fast"}}}
  ]})";

TEST_CASE("convert rules: a malformed rule names the file, line and rule") {
  const std::string text = "{\"rules\": [\n  {\"match\": {\"op_type\": \"A\"}, \"custom\": {\"class_name\": \"A\"}},\n"
                           "  {\"match\": {\"op_type\": \"B\"},\n   \"custom\": {\"class_name\": \"B\", \"weights\": [{\"from\": \"w\", \"as\": \"int8\"}]}}\n]}";
  CHECK(error_of([&] { (void)converter::parse_rules(text, "r.json"); }) ==
        "r.json:4: rule /rules/1 at /custom/weights/0/as: expected float32 or float16");
  CHECK(error_of([] { (void)converter::parse_rules(R"({"rules": [{"match": {"op_type": "A"}}]})", "r.json"); }) ==
        "r.json:1: rule /rules/0: expected exactly one action: 'custom' or 'composite'");
  CHECK(error_of([] { (void)converter::parse_rules(R"({"rules": [{"match": {"op": "A"}, "custom": {"class_name": "A"}}]})", "r.json"); }) ==
        "r.json:1: rule /rules/0 at /match/op: unknown field 'op'; expected one of op_type, domain, opset, name, name_regex, attributes");
  CHECK(error_of([] { (void)converter::parse_rules("{\"rules\": [\n{,}]}", "r.json"); }).rfind("r.json:2: invalid JSON: ", 0) == 0);
  // Found by fuzz_rules: an overflowing number is nlohmann's out_of_range, not a parse_error.
  CHECK(error_of([] { (void)converter::parse_rules(R"({"rules": 1e99999})", "r.json"); }) ==
        "r.json: invalid JSON: number overflow parsing '1e99999'");
  CHECK(error_of([] {
          (void)converter::parse_rules(R"({"rules": [{"match": {"op_type": "A"}, "custom": {"class_name": "A", "output_shape": {"dims": ["x[0] +"]}}}]})", "r.json");
        }) == "r.json:1: rule /rules/0 at /custom/output_shape/dims/0: shape expression \"x[0] +\": unexpected end at column 7");
}

TEST_CASE("convert rules: op, domain, opset range, name glob and regex, attribute equality") {
  const auto graph = graph_from_json(R"({"opset_imports": [{"version": 11}, {"domain": "com.x", "version": 2}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 2]}], "outputs": [{"name": "y"}],
    "nodes": [{"name": "block3/act", "op_type": "Act", "domain": "com.x", "inputs": ["x"], "outputs": ["y"],
               "attributes": {"k": {"type": "int", "value": 4}}}]})");
  const converter::Node& node = *graph.nodes()[0];
  const auto matches = [&](const std::string& match) {
    const auto rules = converter::parse_rules(R"({"rules": [{"match": )" + match + R"(, "custom": {"class_name": "C"}}]})", "r.json");
    return converter::rule_matches(rules[0], node, graph);
  };
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x"})"));
  CHECK_FALSE(matches(R"({"op_type": "Act"})"));  // default domain differs
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x", "opset": {"min": 2, "max": 2}})"));
  CHECK_FALSE(matches(R"({"op_type": "Act", "domain": "com.x", "opset": {"min": 3}})"));
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x", "name": "block*/a?t"})"));
  CHECK_FALSE(matches(R"({"op_type": "Act", "domain": "com.x", "name": "block*/x*"})"));
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x", "name_regex": "block[0-9]+/act"})"));
  CHECK_FALSE(matches(R"({"op_type": "Act", "domain": "com.x", "name_regex": "block"})"));  // whole name
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x", "attributes": {"k": 4}})"));
  CHECK(matches(R"({"op_type": "Act", "domain": "com.x", "attributes": {"k": 4.0}})"));
  CHECK_FALSE(matches(R"({"op_type": "Act", "domain": "com.x", "attributes": {"k": 5}})"));
  CHECK_FALSE(matches(R"({"op_type": "Act", "domain": "com.x", "attributes": {"missing": 1}})"));
}

TEST_CASE("convert rules: custom layer parameters are typed, big ints go to longValue, weights in order") {
  const auto rules = write_rules("custom", R"({"rules": [{"match": {"op_type": "Swish"}, "custom": {
      "class_name": "Swish", "description": "d", "input_names": ["x", "w"], "input_order": ["x"],
      "parameters": {"beta": {"type": "double", "from_attribute": "beta"},
                     "big": {"type": "int", "from_attribute": "big"},
                     "small": {"type": "int", "value": 7},
                     "long": {"type": "long", "value": 7},
                     "flag": {"type": "bool", "from_attribute": "absent", "default": 1},
                     "mode": {"type": "string", "from_attribute": "mode"}},
      "weights": [{"from": "w", "as": "float16"}, {"from": "w"}]}}]})");
  ConvertOptions options;
  options.rule_files = {rules};
  const auto model = convert_json(swish_graph, options);
  REQUIRE(layers_of(model).size() == 1);
  const auto& layer = layers_of(model)[0];
  CHECK(layer.input_size() == 1);
  const auto& custom = layer.custom();
  CHECK(custom.classname() == "Swish");
  CHECK(custom.description() == "d");
  CHECK(custom.parameters().at("beta").doublevalue() == 0.5);
  CHECK(custom.parameters().at("big").value_case() == cml::CustomLayerParams::CustomLayerParamValue::kLongValue);
  CHECK(custom.parameters().at("big").longvalue() == 5000000000);
  CHECK(custom.parameters().at("small").value_case() == cml::CustomLayerParams::CustomLayerParamValue::kIntValue);
  CHECK(custom.parameters().at("long").value_case() == cml::CustomLayerParams::CustomLayerParamValue::kLongValue);
  CHECK(custom.parameters().at("flag").boolvalue());
  CHECK(custom.parameters().at("mode").stringvalue() == "fast");
  REQUIRE(custom.weights_size() == 2);
  CHECK(custom.weights(0).float16value() == std::string("\x00\x3c\x00\x40\x00\x42\x00\x44", 8));  // 1, 2, 3, 4
  CHECK(custom.weights(1).floatvalue_size() == 4);
  CHECK(model.specificationversion() == 2);
}

TEST_CASE("convert rules: a parameter of the wrong type names node, rule and parameter") {
  const auto rules = write_rules("wrong_type", "{\"rules\": [\n{\"match\": {\"op_type\": \"Swish\"}, \"custom\": {\"class_name\": \"S\",\n"
                                               " \"parameters\": {\"mode\": {\"type\": \"double\", \"from_attribute\": \"mode\"}}}}]}");
  ConvertOptions options;
  options.rule_files = {rules};
  CHECK(error_of([&] { (void)convert_json(swish_graph, options); }) ==
        "model.json:6: node 'swish1' (Swish): rule " + rules.string() +
            ":2 (rule /rules/0): parameter 'mode' (double): value 'fast' is string, expected a number");
}

TEST_CASE("convert rules: first match wins and a user rule overrides a built-in mapping") {
  const auto rules = write_rules("override", R"({"rules": [
      {"match": {"op_type": "Relu", "name": "special*"}, "custom": {"class_name": "MyRelu"}},
      {"match": {"op_type": "Relu", "name": "special*"}, "custom": {"class_name": "Never"}}]})");
  ConvertOptions options;
  options.rule_files = {rules};
  const auto model = convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "z"}],
    "nodes": [{"name": "special1", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]},
              {"name": "plain", "op_type": "Relu", "inputs": ["y"], "outputs": ["z"]}]})", options);
  REQUIRE(layers_of(model).size() == 2);
  CHECK(layers_of(model)[0].custom().classname() == "MyRelu");
  CHECK(layers_of(model)[1].activation().has_relu());
  const auto& dims = model.description().output(0).type().multiarraytype().shape();
  CHECK(std::vector<std::int64_t>(dims.begin(), dims.end()) == std::vector<std::int64_t>{3});  // same as input by default
}

TEST_CASE("convert rules: output shape expressions over input dims and parameters") {
  const converter::ShapeScope scope{[](const std::string& input, std::int64_t axis) -> std::int64_t {
                                      return input == "x" ? (axis == -1 ? 10 : 3) : 0;
                                    },
                                    [](const std::string&) -> std::int64_t { return 4; }};
  CHECK(converter::evaluate_shape_expression("x[0] * 2 + k", scope) == 10);
  CHECK(converter::evaluate_shape_expression("(x[-1] + 1) / 2", scope) == 5);
  CHECK(converter::evaluate_shape_expression("-7 / 2", scope) == -4);  // rounds down
  CHECK(error_of([&] { (void)converter::evaluate_shape_expression("k / (x[0] - 3)", scope); }) ==
        "shape expression \"k / (x[0] - 3)\": division by zero at column 15");
  CHECK(error_of([&] { (void)converter::evaluate_shape_expression("999999999999999 * 999999999999999", scope); })
            .find("integer overflow") != std::string::npos);
}

TEST_CASE("convert rules: composites substitute attributes and expand into native layers") {
  const auto rules = write_rules("composite", R"({"rules": [{"match": {"op_type": "Swish"}, "composite": {
      "inputs": ["x"], "outputs": ["y"],
      "constants": {"beta": {"type": "float", "from_attribute": "beta", "default": 1.0}},
      "nodes": [{"op_type": "Mul", "inputs": ["x", "beta"], "outputs": ["scaled"]},
                {"op_type": "Sigmoid", "inputs": ["scaled"], "outputs": ["gate"]},
                {"op_type": "Mul", "inputs": ["x", "gate"], "outputs": ["y"]}]}}]})");
  ConvertOptions options;
  options.rule_files = {rules};
  const auto model = convert_json(swish_graph, options);
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].multiply().alpha() == 0.5F);
  CHECK(layers[0].name() == "swish1/0_Mul");
  CHECK(layers[1].activation().has_sigmoid());
  CHECK(layers[2].input_size() == 2);
  CHECK(layers[2].output(0) == "y");
  CHECK(model.specificationversion() == 1);  // no custom layer left
}

TEST_CASE("convert rules: a composite that reproduces its own op is stopped") {
  const auto rules = write_rules("loop", R"({"rules": [{"match": {"op_type": "Swish"}, "composite": {
      "inputs": ["x"], "outputs": ["y"], "nodes": [{"op_type": "Swish", "inputs": ["x"], "outputs": ["y"]}]}}]})");
  ConvertOptions options;
  options.rule_files = {rules};
  CHECK(error_of([&] { (void)convert_json(swish_graph, options); }).find("composite rules nest more than 8 levels deep; does rule") !=
        std::string::npos);
}

}  // namespace
}  // namespace mlconv::test
