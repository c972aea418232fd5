// converter/export/layers_nd_quantize.cc and Shrink (layers_nd_activation.cc): the layers
// each op becomes, and their numbers through `mlconv run`. Expected values are worked out
// by hand from ONNX's formulas (ties round to even), or with numpy where noted; the ONNX
// node tests check the run-time-scale forms in the conformance run.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

// A one-node graph: `node` (JSON) reading input "x" of `x_type` and `shape`, with
// `initializers` (JSON, may be empty), writing the outputs `outputs` (JSON list).
std::string graph(const std::string& x_type, const std::string& shape, const std::string& initializers,
                  const std::string& outputs, const std::string& node) {
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": ")" + x_type + R"(", "shape": )" + shape + R"(}],
    "outputs": )" + outputs + R"(,
    "initializers": [)" + initializers + R"(],
    "nodes": [)" + node + "]}";
}

// Runs `graph_text` on input "x".
nlohmann::json run_graph(const std::string& name, const std::string& graph_text, const std::string& x) {
  return run_json_graph("quantize_" + name, graph_text, {{"x", x}});
}

const std::string quantize_per_channel = graph(
    "float32", "[1, 3, 3]",
    R"({"name": "scale", "type": "float32", "shape": [3], "data": [0.5, 0.25, 2.0]},
       {"name": "zero", "type": "int8", "shape": [3], "data": [1, -2, 0]})",
    R"([{"name": "q", "type": "int8"}])",
    R"({"name": "quant", "op_type": "QuantizeLinear", "inputs": ["x", "scale", "zero"], "outputs": ["q"]})");

}  // namespace

TEST_CASE("convert quantize: QuantizeLinear per channel divides, rounds, shifts and saturates to the zero point's type") {
  const auto model = convert_json(quantize_per_channel);
  CHECK(layer_kinds(model) == std::vector<std::string>{"loadConstantND", "loadConstantND", "divideBroadcastable", "round",
                                                 "addBroadcastable", "clip"});
  // The per-channel constants are placed on axis 1, so they broadcast over [1, 3, 3].
  const auto& scale_shape = layers_of(model)[0].loadconstantnd().shape();
  CHECK(std::vector<std::uint64_t>(scale_shape.begin(), scale_shape.end()) == std::vector<std::uint64_t>{1, 3, 1});
  CHECK(layers_of(model)[5].clip().minval() == -128.0F);
  CHECK(layers_of(model)[5].clip().maxval() == 127.0F);

  // Channel 0 (scale 0.5, zero 1) has the ties 0.5 -> 0 and 1.5 -> 2; channel 2 saturates.
  const auto out = run_graph("per_channel", quantize_per_channel, "[[[-1.5, 0.25, 0.75], [0.25, 10, -0.375], [-300, 300, 5]]]");
  CHECK(output_values(out["q"]) == std::vector<double>{-2, 1, 3, -1, 38, -4, -128, 127, 2});
}

TEST_CASE("convert quantize: QuantizeLinear without a zero point writes uint8") {
  const std::string text = graph("float32", "[4]", R"({"name": "scale", "type": "float32", "shape": [], "data": [4.0]})",
                                 R"([{"name": "q", "type": "uint8"}])",
                                 R"({"name": "quant", "op_type": "QuantizeLinear", "inputs": ["x", "scale"], "outputs": ["q"]})");
  CHECK(layer_kinds(convert_json(text)) == std::vector<std::string>{"loadConstantND", "divideBroadcastable", "round", "clip"});
  const auto out = run_graph("uint8", text, "[-8, 10, 1200, 18]");
  CHECK(output_values(out["q"]) == std::vector<double>{0, 2, 255, 4});
}

TEST_CASE("convert quantize: DequantizeLinear per channel subtracts the zero point and scales") {
  const std::string text = graph(
      "uint8", "[1, 2, 2]",
      R"({"name": "scale", "type": "float32", "shape": [2], "data": [0.5, 2.0]},
         {"name": "zero", "type": "uint8", "shape": [2], "data": [128, 3]})",
      R"([{"name": "y", "type": "float32"}])",
      R"({"name": "dequant", "op_type": "DequantizeLinear", "inputs": ["x", "scale", "zero"], "outputs": ["y"]})");
  const auto out = run_graph("dequantize", text, "[[[0, 255], [3, 10]]]");
  CHECK(output_values(out["y"]) == std::vector<double>{-64, 63.5, 0, 14});
}

TEST_CASE("convert quantize: DynamicQuantizeLinear derives scale and zero point from the input's range") {
  const std::string text = graph("float32", "[5]", "",
                                 R"([{"name": "y", "type": "uint8"}, {"name": "scale", "type": "float32"},
                                     {"name": "zero", "type": "uint8"}])",
                                 R"({"name": "dyn", "op_type": "DynamicQuantizeLinear", "inputs": ["x"],
                                     "outputs": ["y", "scale", "zero"]})");
  // numpy, following ONNX's definition: scale = float32(5.1 / 255) = 0.02, zero point 50.
  const auto out = run_graph("dynamic", text, "[-1.0, 0.0, 1.5, 2.5, 4.1]");
  CHECK(output_values(out["y"]) == std::vector<double>{0, 50, 125, 175, 255});
  CHECK(output_values(out["scale"])[0] == doctest::Approx(0.02).epsilon(1e-6));
  CHECK(output_values(out["zero"]) == std::vector<double>{50});
}

TEST_CASE("convert quantize: Shrink moves values outside [-lambd, lambd] toward 0 by bias and zeroes the rest") {
  const std::string text = graph("float32", "[7]", "", R"([{"name": "y", "type": "float32"}])",
                                 R"({"name": "shrink", "op_type": "Shrink", "inputs": ["x"], "outputs": ["y"],
                                     "attributes": {"lambd": {"type": "float", "value": 1.5},
                                                    "bias": {"type": "float", "value": 0.5}}})");
  const auto out = run_graph("shrink", text, "[-9, -2, -1.5, 0, 1.5, 2, 9]");
  CHECK(output_values(out["y"]) == std::vector<double>{-8.5, -1.5, 0, 0, 0, 1.5, 8.5});
}

TEST_CASE("convert quantize: scales and zero points that do not fit the input are refused naming the node") {
  const auto error_for = [](const std::string& scale_shape, const std::string& scale_data, const std::string& zero) {
    const std::string text = graph(
        "float32", "[1, 3, 2]",
        R"({"name": "scale", "type": "float32", "shape": )" + scale_shape + R"(, "data": )" + scale_data + "}" + zero,
        R"([{"name": "q"}])",
        std::string(R"({"name": "quant", "op_type": "QuantizeLinear", "inputs": ["x", "scale")") +
            (zero.empty() ? "" : R"(, "zero")") + R"(], "outputs": ["q"]})");
    return error_of([&] { (void)convert_json(text); });
  };
  CHECK(error_for("[2]", "[1, 2]", "") ==
        "model.json:5: node 'quant' (QuantizeLinear): y_scale holds 2 values; axis 1 of input [1, 3, 2] has 3");
  CHECK(error_for("[1, 3]", "[1, 2, 3]", "") ==
        "model.json:5: node 'quant' (QuantizeLinear): y_scale must be a scalar or 1-D; it is [1, 3]");
  CHECK(error_for("[]", "[1]", R"(, {"name": "zero", "type": "int32", "shape": [], "data": [0]})") ==
        "model.json:5: node 'quant' (QuantizeLinear): the zero point is int32; QuantizeLinear writes uint8 or int8");
}

}  // namespace mlconv::test
