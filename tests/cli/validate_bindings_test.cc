// `validate --bindings`: reading the bindings file (errors name file and JSON
// pointer), shape rules, and every binding code (E200-E208, W200) with its message.
#include <doctest/doctest.h>

#include <fstream>

#include "spec/error.h"
#include "spec/validation/bindings.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

namespace v = spec::validation;
namespace cml = CoreML::Specification;

// A model whose 'act' layer (class Swish) stores beta as a double and one float32 blob of 3 values.
cml::Model swish_model() {
  cml::Model model = custom_layer_model("Swish");
  (*custom_params(model).mutable_parameters())["beta"].set_doublevalue(1.5);
  cml::WeightParams* blob = custom_params(model).add_weights();
  for (float f : {1.0F, 2.0F, 3.0F}) blob->add_floatvalue(f);
  return model;
}

const char* const swish_binding = R"({
  "classes": {
    "Swish": {
      "inputs": ["x"],
      "outputs": [{"name": "y", "sameShapeAs": 0}],
      "parameters": {"beta": {"type": "double"}},
      "weights": [{"name": "beta_per_channel", "type": "float32", "count": 3}]
    }
  }
})";

std::string parse_error(const std::string& text) {
  try {
    (void)v::parse_bindings(text, "b.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> codes(const std::vector<v::Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.code);
  return out;
}

}  // namespace

TEST_CASE("validate bindings: a model that matches its binding has no findings") {
  CHECK(v::check_bindings(swish_model(), v::parse_bindings(swish_binding, "b.json")).empty());
}

TEST_CASE("validate bindings: file errors name the file and the JSON pointer") {
  CHECK(parse_error("{") .starts_with("b.json: not valid JSON: parse error at line 1, column 2"));
  // Found by fuzz_rules: an overflowing number is nlohmann's out_of_range, not a parse_error.
  CHECK(parse_error(R"({"classes": 1e99999})") == "b.json: not valid JSON: number overflow parsing '1e99999'");
  CHECK(parse_error(R"({"classes": {}, "extra": 1})") == "b.json: /extra: unknown key 'extra'");
  CHECK(parse_error(R"({})") == "b.json: /: missing key 'classes'");
  CHECK(parse_error(R"({"classes": {"A/b": {"inputs": [], "outputs": []}}})") ==
        "b.json: /classes/A~1b/inputs: expected an array of one or more input names");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "sameShapeAs": 1}]}}})") ==
        "b.json: /classes/A/outputs/0/sameShapeAs: expected an input index from 0 to 1 - 1");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y"}]}}})") ==
        "b.json: /classes/A/outputs/0: expected exactly one of 'sameShapeAs' and 'shape'");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "sameShapeAs": 0}],
                        "parameters": {"k": {"type": "float"}}}}})") ==
        "b.json: /classes/A/parameters/k/type: 'float' is not one of double, string, int, long, bool");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "shape": ["in0[0] *"]}]}}})") ==
        "b.json: /classes/A/outputs/0/shape/0: shape rule 'in0[0] *': unexpected end at column 9");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "shape": ["k"]}]}}})") ==
        "b.json: /classes/A/outputs/0/shape/0: the rule reads 'k', which is not a parameter of class 'A'");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "shape": ["in1[0]"]}]}}})") ==
        "b.json: /classes/A/outputs/0/shape/0: reads input 1 of a class with 1 inputs");
  CHECK(parse_error(R"({"classes": {"A": {"inputs": ["x"], "outputs": [{"name": "y", "sameShapeAs": 0}],
                        "parameters": {"b": {"type": "double"}}, "weights": [{"name": "w", "type": "float32", "count": "b"}]}}})") ==
        "b.json: /classes/A/weights/0/count: the rule reads parameter 'b' of type double; rules read int or long "
        "parameters only");
  const auto missing = scratch_dir("bindings-missing") / "none.json";
  CHECK_THROWS_WITH_AS(v::load_bindings(missing), (missing.string() + ": cannot open bindings file: No such file or directory").c_str(), Error);
}

TEST_CASE("validate bindings: shape rules evaluate, refuse nonsense and render as code") {
  const auto rule = v::ShapeRule::parse("(in0[-3] + k) * 2 / in1[0] % 7 - -1");
  CHECK(rule.uses_inputs());
  CHECK(rule.max_input_index() == 1);
  CHECK(rule.names() == std::set<std::string>{"k"});
  CHECK(rule.evaluate({{6, 4, 4}, {3}}, {{"k", 3}}) == (6 + 3) * 2 / 3 % 7 + 1);
  CHECK(rule.evaluate({{6, 4, 4}, {0}}, {{"k", 3}}) == std::nullopt);  // division by zero
  CHECK(rule.evaluate({{4, 4}, {3}}, {{"k", 3}}) == std::nullopt);     // no axis -3
  CHECK(rule.evaluate({{6, 4, 4}, {3}}, {}) == std::nullopt);          // no k
  CHECK(v::ShapeRule::parse("9223372036854775807 + 1").evaluate({}, {}) == std::nullopt);
  CHECK(rule.render([](int k, int d) { return "I" + std::to_string(k) + "_" + std::to_string(d); },
                    [](const std::string& n) { return n + "_"; }) ==
        "(((((I0_-3 + k_) * 2) / I1_0) % 7) - -(1))");
  CHECK_THROWS_WITH_AS(v::ShapeRule::parse("in0[0]]"), "shape rule 'in0[0]]': unexpected ']' at column 7", Error);
  CHECK_THROWS_WITH_AS(v::ShapeRule::parse(std::string(2000, '(')), "shape rule of 2000 characters; at most 1000",
                       Error);
  CHECK_THROWS_AS(v::ShapeRule::parse(std::string(500, '(') + "1" + std::string(500, ')')), Error);  // too deep
}

TEST_CASE("validate bindings: each mismatch has its code and message") {
  const v::Bindings bindings = v::parse_bindings(swish_binding, "b.json");
  const std::string prefix = "binding 'Swish' (b.json /classes/Swish";

  SUBCASE("E200 and W200: a class without a binding, a binding without a class") {
    const auto findings = v::check_bindings(custom_layer_model("Other"), bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E200", "W200"});
    CHECK(findings[0].where == "layer 'act' (custom)");
    CHECK(findings[0].layer_name == "act");
    CHECK(findings[0].layer_type == "custom");
    CHECK(findings[0].message == "custom class 'Other' has no binding in b.json");
    CHECK(findings[1].severity == v::Severity::warning);
    CHECK(findings[1].where == "binding 'Swish'");
    CHECK(findings[1].message == "no custom layer of the model has className 'Swish' (b.json /classes/Swish)");
  }
  SUBCASE("E201 and E202: input and output counts") {
    cml::Model model = swish_model();
    model.mutable_neuralnetwork()->mutable_layers(0)->add_input("x");
    model.mutable_neuralnetwork()->mutable_layers(0)->add_output("z");
    const auto findings = v::check_bindings(model, bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E201", "E202"});
    CHECK(findings[0].message == "the layer has 2 inputs; " + prefix + "/inputs) takes 1 input");
    CHECK(findings[1].message == "the layer has 2 outputs; " + prefix + "/outputs) writes 1 output");
  }
  SUBCASE("E203: a required parameter is missing") {
    cml::Model model = swish_model();
    custom_params(model).mutable_parameters()->clear();
    const auto findings = v::check_bindings(model, bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E203"});
    CHECK(findings[0].message == "required parameter 'beta' (double) of " + prefix + "/parameters) is not set");
    CHECK(findings[0].hint == "set parameters[\"beta\"].doubleValue in the converter");
  }
  SUBCASE("E204 and E205: a parameter of another type, an undeclared one") {
    cml::Model model = swish_model();
    (*custom_params(model).mutable_parameters())["beta"].set_intvalue(1);
    (*custom_params(model).mutable_parameters())["bta"].set_doublevalue(1);
    const auto findings = v::check_bindings(model, bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E204", "E205"});
    CHECK(findings[0].message ==
          "parameter 'beta' is stored as intValue; " + prefix + "/parameters/beta) expects doubleValue");
    CHECK(findings[1].message == "parameter 'bta' is not declared by " + prefix + "/parameters)");
  }
  SUBCASE("E206: the number of weight blobs") {
    cml::Model model = swish_model();
    custom_params(model).add_weights()->add_floatvalue(1);
    const auto findings = v::check_bindings(model, bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E206"});
    CHECK(findings[0].message == "the layer has 2 weight blobs; " + prefix + "/weights) expects 1");
  }
  SUBCASE("E207: the element type of a blob") {
    cml::Model model = swish_model();
    custom_params(model).mutable_weights(0)->Clear();
    custom_params(model).mutable_weights(0)->set_float16value(std::string(6, '\0'));
    const auto findings = v::check_bindings(model, bindings);
    REQUIRE(codes(findings) == std::vector<std::string>{"E207"});
    CHECK(findings[0].message ==
          "weight blob 0 ('beta_per_channel') is stored as float16; " + prefix + "/weights/0) expects float32");
  }
  SUBCASE("E208: the size of a blob, from a rule over parameters") {
    const v::Bindings sized = v::parse_bindings(R"({"classes": {"Swish": {"inputs": ["x"],
        "outputs": [{"name": "y", "sameShapeAs": 0}],
        "parameters": {"beta": {"type": "double"}, "n": {"type": "int"}},
        "weights": [{"name": "w", "type": "bytes", "count": "n * 4"}]}}})",
                                                "b.json");
    cml::Model model = swish_model();
    (*custom_params(model).mutable_parameters())["n"].set_intvalue(4);
    custom_params(model).mutable_weights(0)->Clear();
    custom_params(model).mutable_weights(0)->set_rawvalue(std::string(12, '\0'));
    const auto findings = v::check_bindings(model, sized);
    REQUIRE(codes(findings) == std::vector<std::string>{"E208"});
    CHECK(findings[0].message == "weight blob 0 ('w') holds 12 bytes; " + prefix + "/weights/0/count) expects n * 4 = 16");
  }
}

TEST_CASE("validate bindings: through the command line, a broken bindings file is a failure with no report") {
  const auto model = save_in_scratch(swish_model(), "bindings-cli");
  const auto bindings = model.parent_path() / "b.json";
  std::ofstream(bindings) << R"({"classes": {"Swish": {"inputs": "x"}}})";
  const CommandResult result = run_mlconv({"validate", "--bindings", bindings.string(), model.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "");
  CHECK(result.err == "mlconv: error: " + bindings.string() + ": /classes/Swish: missing key 'outputs'\n");
  std::ofstream(bindings) << swish_binding;
  const CommandResult clean = run_mlconv({"validate", "--bindings", bindings.string(), model.string()});
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == model.string() + ": 0 errors, 0 warnings\n");
}

}  // namespace mlconv::test

namespace mlconv::test {

// The "invalid dst shape" trap (W060) is a gap in what the model states; a
// binding's output-shape rule fills it, so the same model validates clean.
TEST_CASE("validate bindings: a binding's output shape resolves the unknown custom shape before a reshape") {
  const auto model = realmodels_dir() / "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape.mlmodel";
  const CommandResult bare = run_mlconv({"validate", model.string()});
  CHECK(bare.out.find("warning W060") != std::string::npos);

  const auto bindings = scratch_dir("bindings-w060") / "swish.bindings.json";
  std::filesystem::remove(bindings);
  REQUIRE(run_mlconv({"scaffold", "--bindings", bindings.string(), model.string()}).exit_code == 0);
  const CommandResult bound = run_mlconv({"validate", "--bindings", bindings.string(), model.string()});
  CHECK(bound.exit_code == 0);
  CHECK(bound.out == model.string() + ": 0 errors, 0 warnings\n");
}

}  // namespace mlconv::test
