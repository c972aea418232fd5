// Conv, ConvTranspose and pooling mappings: exact fields and weight layouts in the
// produced protobuf, output shapes, and pinned errors for what Core ML cannot express.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

// A graph with one node `op` reading `input` [1, 4, 8, 8] plus initializers, writing y.
std::string one_node_graph(const std::string& node, const std::string& initializers, const std::string& input_shape = "[1, 4, 8, 8]") {
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": )" + input_shape + R"(}],
    "outputs": [{"name": "y"}],
    "initializers": [)" + initializers + R"(],
    "nodes": [)" + node + "]}";
}

std::string iota_tensor(const std::string& name, const std::vector<int>& dims) {
  int count = 1;
  std::string shape;
  for (const int d : dims) {
    count *= d;
    shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  }
  std::string data;
  for (int i = 0; i < count; ++i) data += (i ? ", " : "") + std::to_string(i);
  return R"({"name": ")" + name + R"(", "type": "float32", "shape": [)" + shape + R"(], "data": [)" + data + "]}";
}

TEST_CASE("convert Conv: OIHW weights copied as is, groups, strides, dilations and explicit pads") {
  const auto model = convert_json(one_node_graph(
      R"({"name": "conv1", "op_type": "Conv", "inputs": ["x", "w", "b"], "outputs": ["y"],
          "attributes": {"group": {"type": "int", "value": 2}, "strides": {"type": "ints", "value": [2, 1]},
                         "dilations": {"type": "ints", "value": [1, 2]}, "pads": {"type": "ints", "value": [1, 0, 2, 3]}}})",
      iota_tensor("w", {6, 2, 3, 3}) + ", " + iota_tensor("b", {6})));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 1);
  const auto& conv = layers[0].convolution();
  CHECK(layers[0].name() == "conv1");
  CHECK(conv.outputchannels() == 6);
  CHECK(conv.kernelchannels() == 2);
  CHECK(conv.ngroups() == 2);
  CHECK(std::vector<std::uint64_t>(conv.kernelsize().begin(), conv.kernelsize().end()) == std::vector<std::uint64_t>{3, 3});
  CHECK(std::vector<std::uint64_t>(conv.stride().begin(), conv.stride().end()) == std::vector<std::uint64_t>{2, 1});
  CHECK(std::vector<std::uint64_t>(conv.dilationfactor().begin(), conv.dilationfactor().end()) == std::vector<std::uint64_t>{1, 2});
  REQUIRE(conv.has_valid());
  const auto& border = conv.valid().paddingamounts().borderamounts();
  REQUIRE(border.size() == 2);
  CHECK(border[0].startedgesize() == 1);  // top
  CHECK(border[0].endedgesize() == 2);    // bottom
  CHECK(border[1].startedgesize() == 0);  // left
  CHECK(border[1].endedgesize() == 3);    // right
  REQUIRE(conv.weights().floatvalue_size() == 6 * 2 * 3 * 3);
  CHECK(conv.weights().floatvalue(0) == 0.0F);
  CHECK(conv.weights().floatvalue(17) == 17.0F);  // row-major OIHW, unchanged
  CHECK(conv.hasbias());
  CHECK(conv.bias().floatvalue(5) == 5.0F);
  // H: (8 + 1 + 2 - 3) / 2 + 1 = 5; W: (8 + 0 + 3 - 5) / 1 + 1 = 7.
  REQUIRE(layers[0].outputtensor_size() == 1);
  const auto& dims = layers[0].outputtensor(0).dimvalue();
  CHECK(std::vector<std::int64_t>(dims.begin(), dims.end()) == std::vector<std::int64_t>{1, 1, 6, 5, 7});
  CHECK(model.description().output(0).type().multiarraytype().shape_size() == 3);
  CHECK(model.specificationversion() == 1);
}

TEST_CASE("convert Conv: auto_pad SAME_UPPER and SAME_LOWER pick the matching asymmetry") {
  for (const auto& entry : {std::pair{"SAME_UPPER", CoreML::Specification::SamePadding::BOTTOM_RIGHT_HEAVY},
                                       std::pair{"SAME_LOWER", CoreML::Specification::SamePadding::TOP_LEFT_HEAVY}}) {
    const auto& mode = entry.first;
    const auto& expected = entry.second;
    CAPTURE(mode);
    const auto model = convert_json(one_node_graph(
        std::string(R"({"name": "c", "op_type": "Conv", "inputs": ["x", "w"], "outputs": ["y"],
            "attributes": {"auto_pad": {"type": "string", "value": ")") + mode + R"("}, "strides": {"type": "ints", "value": [2, 2]}}})",
        iota_tensor("w", {3, 4, 2, 2})));
    const auto& conv = layers_of(model)[0].convolution();
    REQUIRE(conv.has_same());
    CHECK(conv.same().asymmetrymode() == expected);
    CHECK_FALSE(conv.hasbias());
    CHECK(layers_of(model)[0].outputtensor(0).dimvalue(3) == 4);  // ceil(8 / 2)
  }
}

TEST_CASE("convert Conv: a group that does not divide the input channels is named in the error") {
  const std::string message = error_of([] {
    (void)convert_json(one_node_graph(
        R"({"name": "conv1", "op_type": "Conv", "inputs": ["x", "w"], "outputs": ["y"],
            "attributes": {"group": {"type": "int", "value": 3}}})",
        iota_tensor("w", {6, 1, 1, 1})));
  });
  CHECK(message == "model.json:5: node 'conv1' (Conv): the input has 4 channels; W [6, 1, 1, 1] with group 3 expects 3");
}

TEST_CASE("convert Conv: a weight that does not fit the input channels is an error") {
  CHECK(error_of([] {
          (void)convert_json(one_node_graph(R"({"name": "conv1", "op_type": "Conv", "inputs": ["x", "w"], "outputs": ["y"]})",
                                            iota_tensor("w", {2, 3, 1, 1})));
        }) == "model.json:5: node 'conv1' (Conv): the input has 4 channels; W [2, 3, 1, 1] with group 1 expects 3");
}

TEST_CASE("convert ConvTranspose: [C_in, C_out/group, kH, kW] weights, pads and output_padding") {
  const auto padded = convert_json(one_node_graph(
      R"({"name": "up", "op_type": "ConvTranspose", "inputs": ["x", "w"], "outputs": ["y"],
          "attributes": {"strides": {"type": "ints", "value": [2, 2]}, "pads": {"type": "ints", "value": [1, 1, 1, 1]}}})",
      iota_tensor("w", {4, 5, 3, 3})));
  const auto& deconv = layers_of(padded)[0].convolution();
  CHECK(deconv.isdeconvolution());
  CHECK(deconv.outputchannels() == 5);
  CHECK(deconv.kernelchannels() == 4);
  CHECK(deconv.weights().floatvalue(44) == 44.0F);
  CHECK(deconv.outputshape_size() == 0);
  CHECK(layers_of(padded)[0].outputtensor(0).dimvalue(3) == 15);  // 2 * 7 + 3 - 2

  const auto extended = convert_json(one_node_graph(
      R"({"name": "up", "op_type": "ConvTranspose", "inputs": ["x", "w"], "outputs": ["y"],
          "attributes": {"strides": {"type": "ints", "value": [2, 2]}, "output_padding": {"type": "ints", "value": [1, 1]}}})",
      iota_tensor("w", {4, 5, 3, 3})));
  const auto& shape = layers_of(extended)[0].convolution().outputshape();
  CHECK(std::vector<std::uint64_t>(shape.begin(), shape.end()) == std::vector<std::uint64_t>{18, 18});  // 2*7 + 3 + 1
}

TEST_CASE("convert pooling: MaxPool, AveragePool with count_include_pad, and the global pools") {
  const auto max_pool = convert_json(one_node_graph(
      R"({"name": "p", "op_type": "MaxPool", "inputs": ["x"], "outputs": ["y"],
          "attributes": {"kernel_shape": {"type": "ints", "value": [2, 2]}, "strides": {"type": "ints", "value": [2, 2]}}})", ""));
  const auto& pool = layers_of(max_pool)[0].pooling();
  CHECK(pool.type() == CoreML::Specification::PoolingLayerParams::MAX);
  CHECK(pool.kernelsize(0) == 2);
  CHECK(pool.stride(1) == 2);
  CHECK(layers_of(max_pool)[0].outputtensor(0).dimvalue(4) == 4);

  const auto average = convert_json(one_node_graph(
      R"({"name": "p", "op_type": "AveragePool", "inputs": ["x"], "outputs": ["y"],
          "attributes": {"kernel_shape": {"type": "ints", "value": [3, 3]}, "pads": {"type": "ints", "value": [1, 1, 1, 1]},
                         "count_include_pad": {"type": "int", "value": 1}}})", ""));
  CHECK(layers_of(average)[0].pooling().type() == CoreML::Specification::PoolingLayerParams::AVERAGE);
  CHECK_FALSE(layers_of(average)[0].pooling().avgpoolexcludepadding());
  const auto average_default = convert_json(one_node_graph(
      R"({"name": "p", "op_type": "AveragePool", "inputs": ["x"], "outputs": ["y"],
          "attributes": {"kernel_shape": {"type": "ints", "value": [3, 3]}}})", ""));
  CHECK(layers_of(average_default)[0].pooling().avgpoolexcludepadding());

  for (const auto& entry : {std::pair{"GlobalAveragePool", CoreML::Specification::PoolingLayerParams::AVERAGE},
                                 std::pair{"GlobalMaxPool", CoreML::Specification::PoolingLayerParams::MAX}}) {
    const auto& op = entry.first;
    const auto& type = entry.second;
    CAPTURE(op);
    const auto global = convert_json(one_node_graph(
        std::string(R"({"name": "g", "op_type": ")") + op + R"(", "inputs": ["x"], "outputs": ["y"]})", ""));
    CHECK(layers_of(global)[0].pooling().globalpooling());
    CHECK(layers_of(global)[0].pooling().type() == type);
    const auto& out = global.description().output(0).type().multiarraytype().shape();
    CHECK(std::vector<std::int64_t>(out.begin(), out.end()) == std::vector<std::int64_t>{4, 1, 1});
  }
}

TEST_CASE("convert pooling: ceil_mode that changes the size is refused") {
  CHECK(error_of([] {
          (void)convert_json(one_node_graph(
              R"({"name": "p", "op_type": "MaxPool", "inputs": ["x"], "outputs": ["y"],
                  "attributes": {"kernel_shape": {"type": "ints", "value": [3, 3]}, "strides": {"type": "ints", "value": [2, 2]},
                                 "ceil_mode": {"type": "int", "value": 1}}})", ""));
        }) == "model.json:5: node 'p' (MaxPool): attribute 'ceil_mode'=1 changes the output size here, which Core ML's "
              "padding modes cannot express");
}

}  // namespace
}  // namespace mlconv::test

namespace mlconv::test {

TEST_CASE("convert pooling: LpPool and GlobalLpPool as powers around a padding-counting average") {
  const std::string lp = R"({"name": "lp", "op_type": "LpPool", "inputs": ["x"], "outputs": ["y"],
      "attributes": {"kernel_shape": {"type": "ints", "value": [2, 2]}, "pads": {"type": "ints", "value": [0, 0, 1, 1]},
                     "p": {"type": "int", "value": 3}}})";
  const std::string text = one_node_graph(lp, "", "[1, 1, 2, 3]");
  const auto model = convert_json(text);
  CHECK(layer_kinds(model) == std::vector<std::string>{"unary", "unary", "pooling", "activation", "unary"});
  const auto& layers = layers_of(model);
  CHECK(layers[1].unary().alpha() == 3.0F);
  CHECK_FALSE(layers[2].pooling().avgpoolexcludepadding());
  CHECK(layers[3].activation().linear().alpha() == 4.0F);
  CHECK(layers[4].unary().alpha() == doctest::Approx(1.0 / 3.0));
  // [[1, -2, 0], [0, 1, 2]] padded below and right: the 2x2 windows at (0, 0) and (0, 1)
  // hold {1, -2, 0, 1} and {-2, 0, 1, 2}: (1 + 8 + 0 + 1)^(1/3) and (8 + 0 + 1 + 8)^(1/3);
  // (0, 2) holds {0, 2} and padding: 8^(1/3) = 2; the row below holds {0, 1}, {1, 2}, {2}.
  // A rank-5 network takes the image as [C, H, W].
  const auto out = run_json_graph("lppool", text, {{"x", "[[[1, -2, 0], [0, 1, 2]]]"}});
  const std::vector<double> want{std::cbrt(10.0), std::cbrt(17.0), 2.0, 1.0, std::cbrt(9.0), 2.0};
  const auto got = output_values(out["y"]);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));

  // GlobalLpPool with the default p = 2: the Euclidean norm of each channel.
  const std::string global = one_node_graph(R"({"name": "g", "op_type": "GlobalLpPool", "inputs": ["x"], "outputs": ["y"]})", "",
                                            "[1, 2, 1, 2]");
  const auto norms = run_json_graph("globallppool", global, {{"x", "[[[3, -4]], [[0, 2]]]"}});
  const auto norm = output_values(norms["y"]);
  REQUIRE(norm.size() == 2);
  CHECK(norm[0] == doctest::Approx(5.0).epsilon(1e-6));
  CHECK(norm[1] == doctest::Approx(2.0).epsilon(1e-6));
  CHECK(layer_kinds(convert_json(global)) == std::vector<std::string>{"unary", "unary", "pooling", "activation", "unary"});
}

}  // namespace mlconv::test
