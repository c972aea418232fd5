// The LSTM / GRU / RNN and Resize mappings (layers_nd_recurrent.cc, layers_resize.cc):
// the layers they write and what they refuse. Their numbers are checked by the
// conformance cases (scripts/gen-recurrent-cases.py, scripts/freeze-node-test-operands.py).
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

std::string halves(std::size_t n) {
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) out += i ? ", 0.5" : "0.5";
  return out + "]";
}

std::string tensor(const std::string& name, const std::string& shape, std::size_t count) {
  return R"({"name": ")" + name + R"(", "type": "float32", "shape": )" + shape + R"(, "data": )" + halves(count) + "}";
}

// X [4, 2, 3] through a recurrent op with hidden 5; outputs as given.
std::string recurrent_graph(const std::string& op, int gates, const std::string& attributes, const std::string& outputs,
                            const std::string& graph_outputs) {
  const auto g = static_cast<std::size_t>(gates);
  return R"({"opset_imports": [{"version": 14}],
    "inputs": [{"name": "x", "type": "float32", "shape": [4, 2, 3]}],
    "outputs": )" + graph_outputs + R"(,
    "initializers": [)" + tensor("W", "[1, " + std::to_string(gates * 5) + ", 3]", g * 15) + ", " +
         tensor("R", "[1, " + std::to_string(gates * 5) + ", 5]", g * 25) + ", " + tensor("B", "[1, " + std::to_string(gates * 10) + "]", g * 10) + R"(],
    "nodes": [{"name": "rnn", "op_type": ")" + op + R"(", "inputs": ["x", "W", "R", "B"], "outputs": )" + outputs +
         R"(, "attributes": )" + attributes + "}]}";
}

TEST_CASE("convert recurrent: LSTM becomes a uniDirectionalLSTM on a rank-5 sequence, Y_h reshaped to [1, batch, hidden]") {
  const auto model = convert_json(recurrent_graph("LSTM", 4, R"({"hidden_size": {"type": "int", "value": 5}})", R"(["y", "h"])", R"([{"name": "h"}])"));
  CHECK(model.specificationversion() == 4);
  const auto& layers = layers_of(model);
  const auto lstm = std::find_if(layers.begin(), layers.end(), [](const auto& l) { return l.has_unidirectionallstm(); });
  REQUIRE(lstm != layers.end());
  const auto& p = lstm->unidirectionallstm();
  CHECK(p.inputvectorsize() == 3);
  CHECK(p.outputvectorsize() == 5);
  CHECK_FALSE(p.reverseinput());
  CHECK(p.params().hasbiasvectors());
  CHECK_FALSE(p.params().forgetbias());
  CHECK(p.weightparams().inputgatebiasvector().floatvalue(0) == doctest::Approx(1.0));  // 0.5 + 0.5
  REQUIRE(p.activations_size() == 3);
  CHECK(p.activations(0).has_sigmoid());
  CHECK(p.activations(2).has_tanh());
  CHECK(lstm->input(0) != "x");  // the reshaped [4, 2, 3, 1, 1] sequence
  const auto& out = model.description().output(0).type().multiarraytype();
  CHECK(std::vector<std::int64_t>(out.shape().begin(), out.shape().end()) == std::vector<std::int64_t>{1, 2, 5});
}

TEST_CASE("convert recurrent: a reverse GRU flips Y back to input time; Y is [seq, 1, batch, hidden]") {
  const auto gru = convert_json(recurrent_graph("GRU", 3, R"({"hidden_size": {"type": "int", "value": 5}, "direction": {"type": "string", "value": "reverse"}})", R"(["y"])", R"([{"name": "y"}])"));
  const auto& layers = layers_of(gru);
  CHECK(std::count_if(layers.begin(), layers.end(), [](const auto& l) { return l.has_gru() && l.gru().reverseinput(); }) == 1);
  CHECK(std::count_if(layers.begin(), layers.end(), [](const auto& l) { return l.has_reverse(); }) == 1);
  const auto& out = gru.description().output(0).type().multiarraytype();
  CHECK(std::vector<std::int64_t>(out.shape().begin(), out.shape().end()) == std::vector<std::int64_t>{4, 1, 2, 5});
}

TEST_CASE("convert recurrent: what Core ML cannot express is refused naming the node and attribute") {
  CHECK(error_of([] { convert_json(recurrent_graph("GRU", 3, R"({"hidden_size": {"type": "int", "value": 5}, "linear_before_reset": {"type": "int", "value": 1}})", R"(["y"])", R"([{"name": "y"}])")); })
            .find("node 'rnn' (GRU): attribute 'linear_before_reset' is 1") != std::string::npos);
  CHECK(error_of([] { convert_json(recurrent_graph("RNN", 1, R"({"hidden_size": {"type": "int", "value": 5}, "activations": {"type": "strings", "value": ["Softsign"]}})", R"(["y"])", R"([{"name": "y"}])")); })
            .find("activation 'Softsign' has no Core ML counterpart") != std::string::npos);
  CHECK(error_of([] { convert_json(recurrent_graph("LSTM", 4, R"({"hidden_size": {"type": "int", "value": 5}, "clip": {"type": "float", "value": 3.0}})", R"(["y"])", R"([{"name": "y"}])")); })
            .find("attribute 'clip' is 3") != std::string::npos);
}

std::string resize_graph(const std::string& attributes, const std::string& scales) {
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 3, 4, 4]}],
    "outputs": [{"name": "y"}],
    "initializers": [{"name": "scales", "type": "float32", "shape": [4], "data": )" + scales + R"(}],
    "nodes": [{"name": "up", "op_type": "Resize", "inputs": ["x", "", "scales"], "outputs": ["y"], "attributes": )" + attributes + "}]}";
}

TEST_CASE("convert resize: integer nearest upscaling is a classic NN upsample; align_corners linear is ALIGN_CORNERS_TRUE") {
  const auto nearest = convert_json(resize_graph(R"({"mode": {"type": "string", "value": "nearest"}})", "[1, 1, 2, 3]"));
  REQUIRE(layers_of(nearest).size() == 1);
  const auto& up = layers_of(nearest)[0].upsample();
  CHECK(up.mode() == CoreML::Specification::UpsampleLayerParams::NN);
  CHECK(std::vector<std::uint64_t>(up.scalingfactor().begin(), up.scalingfactor().end()) == std::vector<std::uint64_t>{2, 3});
  CHECK(nearest.specificationversion() == 1);

  const auto linear = convert_json(resize_graph(R"({"mode": {"type": "string", "value": "linear"}, "coordinate_transformation_mode": {"type": "string", "value": "align_corners"}})", "[1, 1, 1.5, 2]"));
  const auto& bilinear = layers_of(linear)[0].upsample();
  CHECK(bilinear.mode() == CoreML::Specification::UpsampleLayerParams::BILINEAR);
  CHECK(bilinear.linearupsamplemode() == CoreML::Specification::UpsampleLayerParams::ALIGN_CORNERS_TRUE);
  REQUIRE(bilinear.fractionalscalingfactor_size() == 2);
  CHECK(bilinear.fractionalscalingfactor(0) == doctest::Approx(1.5));
}

TEST_CASE("convert resize: cubic, mismatched rounding and inexact scales are refused naming the node") {
  CHECK(error_of([] { convert_json(resize_graph(R"({"mode": {"type": "string", "value": "cubic"}})", "[1, 1, 2, 2]")); }).find("node 'up' (Resize): attribute 'mode' is 'cubic'") !=
        std::string::npos);
  CHECK(error_of([] { convert_json(resize_graph(R"({"mode": {"type": "string", "value": "nearest"}, "nearest_mode": {"type": "string", "value": "ceil"}})", "[1, 1, 2, 2]")); })
            .find("nearest_mode 'ceil'") != std::string::npos);
  CHECK(error_of([] { convert_json(resize_graph(R"({"mode": {"type": "string", "value": "linear"}})", "[1, 1, 0.6, 0.6]")); }).find("scale 0.6") != std::string::npos);
  CHECK(error_of([] { convert_json(resize_graph(R"({"mode": {"type": "string", "value": "nearest"}})", "[1, 2, 2, 2]")); }).find("resizes axis 1") != std::string::npos);
}

TEST_CASE("convert resize: scales computed at run time are refused with the reason, not a generic constant error") {
  const std::string graph = R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 3, 4, 4]}, {"name": "factors", "type": "float32", "shape": [4]}],
    "outputs": [{"name": "y"}],
    "nodes": [{"name": "up", "op_type": "Resize", "inputs": ["x", "", "factors"], "outputs": ["y"]}]})";
  CHECK(error_of([&] { convert_json(graph); }) ==
        "model.json:4: node 'up' (Resize): scales (input 2 'factors') is computed at run time, and Core ML's upsample and "
        "resizeBilinear layers take fixed factors; Resize converts only when they are constants (export the model with fixed "
        "input sizes so that they fold)");
}

}  // namespace
}  // namespace mlconv::test
