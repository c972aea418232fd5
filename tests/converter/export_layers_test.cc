// Dense, normalization, activation and tensor mappings: each test pins the fields
// and weight values the mapping must write, including folded ONNX defaults.
#include <doctest/doctest.h>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

std::string graph(const std::string& input_shape, const std::string& initializers, const std::string& nodes, int opset = 13) {
  return R"({"opset_imports": [{"version": )" + std::to_string(opset) + R"(}],
    "inputs": [{"name": "x", "type": "float32", "shape": )" + input_shape + R"(}],
    "outputs": [{"name": "y"}],
    "initializers": [)" + initializers + R"(],
    "nodes": [)" + nodes + "]}";
}

std::string tensor(const std::string& name, const std::string& shape, const std::string& data, const std::string& type = "float32") {
  return R"({"name": ")" + name + R"(", "type": ")" + type + R"(", "shape": )" + shape + R"(, "data": )" + data + "}";
}

std::string node(const std::string& op, const std::string& inputs, const std::string& attributes = "{}") {
  return R"({"name": "n", "op_type": ")" + op + R"(", "inputs": )" + inputs + R"(, "outputs": ["y"], "attributes": )" + attributes + "}";
}

// A deployment target below iOS 13 keeps the export to rank-5 layers, so what they
// cannot express fails with their message instead of becoming an N-d network.
converter::ConvertOptions rank5_only() {
  converter::ConvertOptions options;
  options.deployment_target = converter::spec_version_for_target("iOS12");
  return options;
}

std::vector<float> floats(const cml::WeightParams& w) { return {w.floatvalue().begin(), w.floatvalue().end()}; }

TEST_CASE("convert Gemm: B [K, N] is transposed to [N, K] and alpha, beta are folded") {
  const auto model = convert_json(graph("[1, 2]", tensor("B", "[2, 3]", "[1, 2, 3, 4, 5, 6]") + ", " + tensor("C", "[3]", "[1, 1, 1]"),
                                        node("Gemm", R"(["x", "B", "C"])", R"({"alpha": {"type": "float", "value": 2.0},
                                                                              "beta": {"type": "float", "value": 0.5}})")));
  const auto& dense = layers_of(model)[0].innerproduct();
  CHECK(dense.inputchannels() == 2);
  CHECK(dense.outputchannels() == 3);
  CHECK(floats(dense.weights()) == std::vector<float>{2, 8, 4, 10, 6, 12});
  CHECK(dense.hasbias());
  CHECK(floats(dense.bias()) == std::vector<float>{0.5F, 0.5F, 0.5F});
}

TEST_CASE("convert Gemm: transB=1 keeps B as [N, K]; MatMul with constant B transposes") {
  const auto gemm = convert_json(graph("[1, 2]", tensor("B", "[3, 2]", "[1, 2, 3, 4, 5, 6]"),
                                       node("Gemm", R"(["x", "B"])", R"({"transB": {"type": "int", "value": 1}})")));
  CHECK(floats(layers_of(gemm)[0].innerproduct().weights()) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK_FALSE(layers_of(gemm)[0].innerproduct().hasbias());
  const auto matmul = convert_json(graph("[1, 2]", tensor("B", "[2, 3]", "[1, 2, 3, 4, 5, 6]"), node("MatMul", R"(["x", "B"])")));
  CHECK(floats(layers_of(matmul)[0].innerproduct().weights()) == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(error_of([] { (void)convert_json(graph("[1, 2]", "", node("MatMul", R"(["x", "x"])"))); })
            .find("node 'n' (MatMul): inner dimensions differ") != std::string::npos);
}

TEST_CASE("convert BatchNormalization: four per-channel vectors and epsilon") {
  const auto model = convert_json(graph("[1, 2, 3, 3]",
                                        tensor("s", "[2]", "[1, 2]") + ", " + tensor("b", "[2]", "[3, 4]") + ", " +
                                            tensor("m", "[2]", "[5, 6]") + ", " + tensor("v", "[2]", "[7, 8]"),
                                        node("BatchNormalization", R"(["x", "s", "b", "m", "v"])", R"({"epsilon": {"type": "float", "value": 0.001}})")));
  const auto& bn = layers_of(model)[0].batchnorm();
  CHECK(bn.channels() == 2);
  CHECK(bn.epsilon() == doctest::Approx(0.001));
  CHECK(floats(bn.gamma()) == std::vector<float>{1, 2});
  CHECK(floats(bn.beta()) == std::vector<float>{3, 4});
  CHECK(floats(bn.mean()) == std::vector<float>{5, 6});
  CHECK(floats(bn.variance()) == std::vector<float>{7, 8});
}

TEST_CASE("convert activations: ONNX defaults are written explicitly") {
  const auto activation = [](const std::string& op, const std::string& attributes = "{}") {
    const auto model = convert_json(graph("[1, 3, 2, 2]", "", node(op, R"(["x"])", attributes)));
    REQUIRE(layers_of(model).size() >= 1);
    return layers_of(model)[0];
  };
  CHECK(activation("Relu").activation().has_relu());
  CHECK(activation("LeakyRelu").activation().leakyrelu().alpha() == doctest::Approx(0.01));
  CHECK(activation("LeakyRelu", R"({"alpha": {"type": "float", "value": 0.3}})").activation().leakyrelu().alpha() == doctest::Approx(0.3));
  CHECK(activation("Elu").activation().elu().alpha() == 1.0F);
  CHECK(activation("HardSigmoid").activation().sigmoidhard().alpha() == doctest::Approx(0.2));
  CHECK(activation("HardSigmoid").activation().sigmoidhard().beta() == doctest::Approx(0.5));
  // The smallest float above alpha: Core ML's x >= alpha' is ONNX's x > alpha.
  CHECK(activation("ThresholdedRelu").activation().thresholdedrelu().alpha() == 1.00000012F);
  CHECK(activation("ThresholdedRelu").activation().thresholdedrelu().alpha() > 1.0F);
  CHECK(activation("Sigmoid").activation().has_sigmoid());
  CHECK(activation("Tanh").activation().has_tanh());
  CHECK(activation("Softplus").activation().has_softplus());
  CHECK(activation("Softsign").activation().has_softsign());

  const auto selu = convert_json(graph("[1, 3, 2, 2]", "", node("Selu", R"(["x"])")));
  REQUIRE(layers_of(selu).size() == 2);
  CHECK(layers_of(selu)[0].activation().elu().alpha() == doctest::Approx(1.6732632));
  CHECK(layers_of(selu)[1].multiply().alpha() == doctest::Approx(1.0507010));
  CHECK(layers_of(selu)[1].output(0) == "y");

  const auto prelu = convert_json(graph("[1, 3, 2, 2]", tensor("slope", "[3, 1, 1]", "[0.1, 0.2, 0.3]"), node("PRelu", R"(["x", "slope"])")));
  CHECK(floats(layers_of(prelu)[0].activation().prelu().alpha()) == std::vector<float>{0.1F, 0.2F, 0.3F});
}

TEST_CASE("convert Clip: max(x, lo) as THRESHOLD and min(x, hi) as negate-threshold-negate") {
  const auto model = convert_json(graph("[1, 3, 2, 2]", tensor("lo", "[]", "[0]") + ", " + tensor("hi", "[]", "[6]"),
                                        node("Clip", R"(["x", "lo", "hi"])")));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 4);
  CHECK(layers[0].unary().type() == cml::UnaryFunctionLayerParams::THRESHOLD);
  CHECK(layers[0].unary().alpha() == 0.0F);
  CHECK(layers[0].unary().scale() == 1.0F);
  CHECK(layers[1].multiply().alpha() == -1.0F);
  CHECK(layers[2].unary().alpha() == -6.0F);
  CHECK(layers[3].multiply().alpha() == -1.0F);
  CHECK(layers[3].output(0) == "y");
  // Opset 6 keeps the bounds in attributes; only a lower bound is one layer.
  const auto relu_like = convert_json(graph("[1, 3, 2, 2]", "", node("Clip", R"(["x"])", R"({"min": {"type": "float", "value": -1.0}})"), 6));
  REQUIRE(layers_of(relu_like).size() == 1);
  CHECK(layers_of(relu_like)[0].unary().alpha() == -1.0F);
}

TEST_CASE("convert Softmax: channel axis only") {
  CHECK(layers_of(convert_json(graph("[1, 10]", "", node("Softmax", R"(["x"])"))))[0].has_softmax());
  CHECK(error_of([] { (void)convert_json(graph("[1, 3, 4, 4]", "", node("Softmax", R"(["x"])")), rank5_only()); }) ==
        "model.json:5: node 'n' (Softmax): softmax over axis 3 of a rank-4 input; rank-5 Core ML softmax runs over the "
        "channel axis (1) only");
}

TEST_CASE("convert Add/Sub/Mul/Div: constants become alpha, bias or scale") {
  const auto one = [](const std::string& op, const std::string& constant, const std::string& inputs = R"(["x", "c"])") {
    return layers_of(convert_json(graph("[1, 3, 2, 2]", constant, node(op, inputs))));
  };
  CHECK(one("Add", tensor("c", "[]", "[2]"))[0].add().alpha() == 2.0F);
  CHECK(one("Sub", tensor("c", "[1]", "[2]"))[0].add().alpha() == -2.0F);
  CHECK(one("Mul", tensor("c", "[]", "[3]"))[0].multiply().alpha() == 3.0F);
  CHECK(one("Div", tensor("c", "[]", "[4]"))[0].multiply().alpha() == 0.25F);
  const auto bias = one("Add", tensor("c", "[1, 3, 1, 1]", "[1, 2, 3]"));
  CHECK(std::vector<std::uint64_t>(bias[0].bias().shape().begin(), bias[0].bias().shape().end()) == std::vector<std::uint64_t>{3});
  CHECK(floats(bias[0].bias().bias()) == std::vector<float>{1, 2, 3});
  const auto scale = one("Div", tensor("c", "[3, 1, 1]", "[1, 2, 4]"));
  CHECK(floats(scale[0].scale().scale()) == std::vector<float>{1, 0.5F, 0.25F});
  const auto reversed = one("Sub", tensor("c", "[3, 1, 1]", "[1, 2, 3]"), R"(["c", "x"])");
  CHECK(floats(reversed[0].scale().scale()) == std::vector<float>{-1});
  CHECK(reversed[0].scale().hasbias());
  CHECK(floats(reversed[0].scale().bias()) == std::vector<float>{1, 2, 3});
  const auto full = one("Mul", tensor("c", "[3, 2, 2]", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"));
  CHECK(full[0].scale().shapescale_size() == 3);
  CHECK(error_of([&] { (void)convert_json(graph("[1, 3, 2, 2]", tensor("c", "[2, 1]", "[1, 2]"), node("Add", R"(["x", "c"])")), rank5_only()); })
            .find("constant [2, 1] does not broadcast over [1, 3, 2, 2]") != std::string::npos);
  // Without a deployment target the same graph becomes an N-d network.
  const auto nd_add = one("Add", tensor("c", "[2, 1]", "[1, 2]"));
  CHECK(nd_add[nd_add.size() - 1].has_addbroadcastable());
  const auto sub = one("Sub", "", R"(["x", "x"])");
  REQUIRE(sub.size() == 2);
  CHECK(sub[0].multiply().alpha() == -1.0F);
  CHECK(sub[1].input_size() == 2);
}

TEST_CASE("convert Concat, Flatten, Reshape, Transpose and pass-through ops") {
  const auto concat = convert_json(R"({"inputs": [{"name": "a", "type": "float32", "shape": [1, 2, 4, 4]},
                                                  {"name": "b", "type": "float32", "shape": [1, 3, 4, 4]}],
    "outputs": [{"name": "y", "shape": [1, 5, 4, 4]}],
    "nodes": [{"name": "cat", "op_type": "Concat", "inputs": ["a", "b"], "outputs": ["y"], "attributes": {"axis": {"type": "int", "value": 1}}}]})");
  CHECK(layers_of(concat)[0].has_concat());
  CHECK(concat.description().output(0).type().multiarraytype().shape(0) == 5);

  const auto flatten = convert_json(graph("[1, 3, 2, 2]", "", node("Flatten", R"(["x"])")));
  CHECK(layers_of(flatten)[0].flatten().mode() == cml::FlattenLayerParams::CHANNEL_FIRST);
  CHECK(flatten.description().output(0).type().multiarraytype().shape(0) == 12);

  const auto reshape = convert_json(graph("[1, 3, 2, 2]", tensor("s", "[4]", "[0, 6, -1, 1]", "int64"), node("Reshape", R"(["x", "s"])")));
  const auto& target = layers_of(reshape)[0].reshape().targetshape();
  CHECK(std::vector<std::int64_t>(target.begin(), target.end()) == std::vector<std::int64_t>{6, 2, 1});

  const auto transpose = convert_json(graph("[1, 3, 4, 5]", "", node("Transpose", R"(["x"])", R"({"perm": {"type": "ints", "value": [0, 2, 3, 1]}})")));
  const auto& axis = layers_of(transpose)[0].permute().axis();
  CHECK(std::vector<std::uint64_t>(axis.begin(), axis.end()) == std::vector<std::uint64_t>{0, 2, 3, 1});
  const auto& out = transpose.description().output(0).type().multiarraytype().shape();
  CHECK(std::vector<std::int64_t>(out.begin(), out.end()) == std::vector<std::int64_t>{4, 5, 3});
  CHECK(error_of([] { (void)convert_json(graph("[1, 3, 4, 5]", "", node("Transpose", R"(["x"])")), rank5_only()); })
            .find("moves the batch axis") != std::string::npos);

  // Identity between two layers disappears; as the graph output it becomes a copy layer.
  const auto inner = convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "y"}],
    "nodes": [{"name": "id", "op_type": "Identity", "inputs": ["x"], "outputs": ["t"]},
              {"name": "drop", "op_type": "Dropout", "inputs": ["t"], "outputs": ["u"]},
              {"name": "r", "op_type": "Relu", "inputs": ["u"], "outputs": ["y"]}]})");
  REQUIRE(layers_of(inner).size() == 1);
  CHECK(layers_of(inner)[0].input(0) == "x");
  const auto last = convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}], "outputs": [{"name": "y"}],
    "nodes": [{"name": "r", "op_type": "Relu", "inputs": ["x"], "outputs": ["t"]},
              {"name": "id", "op_type": "Identity", "inputs": ["t"], "outputs": ["y"]}]})");
  REQUIRE(layers_of(last).size() == 2);
  CHECK(layers_of(last)[1].activation().linear().alpha() == 1.0F);
  CHECK(layers_of(last)[1].output(0) == "y");
}

TEST_CASE("convert: a declared output shape that differs from the computed one is an error") {
  CHECK(error_of([] {
          (void)convert_json(R"({"inputs": [{"name": "x", "type": "float32", "shape": [1, 3]}],
            "outputs": [{"name": "y", "shape": [1, 4]}],
            "nodes": [{"name": "r", "op_type": "Relu", "inputs": ["x"], "outputs": ["y"]}]})");
        }) == "model.json:3: node 'r' (Relu): output 'y' is declared with shape [1, 4], but the op computes [1, 3]");
}

}  // namespace
}  // namespace mlconv::test

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

std::string single(const std::string& op, const std::string& initializers, const std::string& attributes, const std::string& inputs,
                   int opset = 13) {
  return R"({"opset_imports": [{"version": )" + std::to_string(opset) + R"(}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 2, 3, 3]}, {"name": "x2", "type": "float32", "shape": [1, 2, 3, 3]}],
    "outputs": [{"name": "y"}],
    "initializers": [)" + initializers + R"(],
    "nodes": [{"name": "n", "op_type": ")" + op + R"(", "inputs": )" + inputs + R"(, "outputs": ["y"], "attributes": )" + attributes + "}]}";
}

TEST_CASE("convert unary and variadic ops: Exp, Log, Sqrt, Abs, Sum, Max, Min, Mean") {
  for (const auto& entry : {std::pair{"Exp", cml::UnaryFunctionLayerParams::EXP}, std::pair{"Log", cml::UnaryFunctionLayerParams::LOG},
                                 std::pair{"Sqrt", cml::UnaryFunctionLayerParams::SQRT}, std::pair{"Abs", cml::UnaryFunctionLayerParams::ABS}}) {
    const auto& op = entry.first;
    const auto& type = entry.second;
    CAPTURE(op);
    const auto model = convert_json(single(op, "", "{}", R"(["x"])"));
    CHECK(layers_of(model)[0].unary().type() == type);
    CHECK(layers_of(model)[0].unary().scale() == 1.0F);
  }
  CHECK(layers_of(convert_json(single("Sum", "", "{}", R"(["x", "x2"])")))[0].has_add());
  CHECK(layers_of(convert_json(single("Max", "", "{}", R"(["x", "x2"])")))[0].has_max());
  CHECK(layers_of(convert_json(single("Min", "", "{}", R"(["x", "x2"])")))[0].has_min());
  const auto mean = convert_json(single("Mean", "", "{}", R"(["x", "x2"])"));
  CHECK(layers_of(mean)[0].has_average());
  CHECK(layers_of(mean)[0].input_size() == 2);
}

TEST_CASE("convert LRN, InstanceNormalization and Pad") {
  const auto lrn = layers_of(convert_json(single("LRN", "", R"({"size": {"type": "int", "value": 3}, "alpha": {"type": "float", "value": 0.001}})", R"(["x"])")))[0].lrn();
  CHECK(lrn.localsize() == 3);
  CHECK(lrn.alpha() == doctest::Approx(0.001));
  CHECK(lrn.beta() == doctest::Approx(0.75));
  CHECK(lrn.k() == 1.0F);

  const auto norm = layers_of(convert_json(single("InstanceNormalization",
                                                  R"({"name": "s", "type": "float32", "shape": [2], "data": [1, 2]},
                                                     {"name": "b", "type": "float32", "shape": [2], "data": [3, 4]})",
                                                  "{}", R"(["x", "s", "b"])")))[0].batchnorm();
  CHECK(norm.computemeanvar());
  CHECK(norm.instancenormalization());
  CHECK(norm.gamma().floatvalue(1) == 2.0F);
  CHECK(norm.beta().floatvalue(0) == 3.0F);

  const auto pad = convert_json(single("Pad", R"({"name": "p", "type": "int64", "shape": [8], "data": [0, 0, 1, 2, 0, 0, 3, 4]},
                                                 {"name": "v", "type": "float32", "shape": [], "data": [0.5]})",
                                       R"({"mode": {"type": "string", "value": "constant"}})", R"(["x", "p", "v"])"));
  const auto& padding = layers_of(pad)[0].padding();
  CHECK(padding.constant().value() == 0.5F);
  CHECK(padding.paddingamounts().borderamounts(0).startedgesize() == 1);
  CHECK(padding.paddingamounts().borderamounts(0).endedgesize() == 3);
  CHECK(padding.paddingamounts().borderamounts(1).startedgesize() == 2);
  CHECK(padding.paddingamounts().borderamounts(1).endedgesize() == 4);
  const auto& out = pad.description().output(0).type().multiarraytype().shape();
  CHECK(std::vector<std::int64_t>(out.begin(), out.end()) == std::vector<std::int64_t>{2, 7, 9});
  const auto reflect = convert_json(single("Pad", "", R"({"mode": {"type": "string", "value": "reflect"},
                                                        "pads": {"type": "ints", "value": [0, 0, 1, 1, 0, 0, 1, 1]}})", R"(["x"])", 2));
  CHECK(layers_of(reflect)[0].padding().has_reflection());
  CHECK(error_of([] {
          (void)convert_json(single("Pad", R"({"name": "p", "type": "int64", "shape": [8], "data": [0, 1, 0, 0, 0, 0, 0, 0]})", "{}", R"(["x", "p"])"),
                             rank5_only());
        }) == "model.json:5: node 'n' (Pad): pads [0, 1, 0, 0, 0, 0, 0, 0] pad the batch or channel axis; Core ML's padding layer pads H and W only");
}

}  // namespace
}  // namespace mlconv::test
