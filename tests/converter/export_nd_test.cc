// The N-d (iOS 13) export: when a graph's inputs or ops do not fit rank-5 layers, the
// model gets exact array shapes, N-d layers with rank hints and specificationVersion 4.
// Each test pins the structure of the layers a mapping writes; the numbers are checked
// by the ONNX conformance run (tests/conformance).
#include <doctest/doctest.h>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

// One input x of `shape`, one output y, the nodes and initializers given.
std::string nd_graph(const std::string& shape, const std::string& nodes, const std::string& initializers = "", int opset = 13) {
  return R"({"opset_imports": [{"version": )" + std::to_string(opset) + R"(}],
    "inputs": [{"name": "x", "type": "float32", "shape": )" + shape + R"(}],
    "outputs": [{"name": "y"}],
    "initializers": [)" + initializers + R"(],
    "nodes": [)" + nodes + "]}";
}

std::string nd_node(const std::string& op, const std::string& inputs, const std::string& attributes = "{}", const std::string& name = "n",
                    const std::string& outputs = R"(["y"])") {
  return R"({"name": ")" + name + R"(", "op_type": ")" + op + R"(", "inputs": )" + inputs + R"(, "outputs": )" + outputs +
         R"(, "attributes": )" + attributes + "}";
}

std::string ints_tensor(const std::string& name, const std::string& shape, const std::string& data) {
  return R"({"name": ")" + name + R"(", "type": "int64", "shape": )" + shape + R"(, "data": )" + data + "}";
}

std::vector<std::int64_t> dims(const google::protobuf::RepeatedField<std::int64_t>& field) { return {field.begin(), field.end()}; }
std::vector<std::uint64_t> udims(const google::protobuf::RepeatedField<std::uint64_t>& field) { return {field.begin(), field.end()}; }

TEST_CASE("convert N-d: a rank-3 input gives an exact-shape network with loadConstantND operands and rank hints") {
  const auto model = convert_json(nd_graph("[2, 3, 4]", nd_node("Add", R"(["x", "c"])"),
                                           R"({"name": "c", "type": "float32", "shape": [4], "data": [1, 2, 3, 4]})"));
  CHECK(model.specificationversion() == 4);
  CHECK(model.neuralnetwork().arrayinputshapemapping() == cml::EXACT_ARRAY_MAPPING);
  const auto& input = model.description().input(0).type().multiarraytype();
  CHECK(dims(input.shape()) == std::vector<std::int64_t>{2, 3, 4});
  CHECK(dims(model.description().output(0).type().multiarraytype().shape()) == std::vector<std::int64_t>{2, 3, 4});
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 2);
  REQUIRE(layers[0].has_loadconstantnd());
  CHECK(udims(layers[0].loadconstantnd().shape()) == std::vector<std::uint64_t>{4});
  CHECK(layers[0].loadconstantnd().data().floatvalue_size() == 4);
  REQUIRE(layers[1].has_addbroadcastable());
  CHECK(layers[1].input(0) == "x");
  CHECK(layers[1].input(1) == layers[0].output(0));
  REQUIRE(layers[1].inputtensor_size() == 2);
  CHECK(layers[1].inputtensor(0).rank() == 3);
  CHECK(layers[1].inputtensor(1).rank() == 1);
  CHECK(layers[1].outputtensor(0).rank() == 3);
  CHECK(dims(layers[1].outputtensor(0).dimvalue()) == std::vector<std::int64_t>{2, 3, 4});
}

TEST_CASE("convert N-d: a graph rank-5 layers express keeps the classic layers") {
  const auto model = convert_json(nd_graph("[1, 3, 4, 4]", nd_node("Relu", R"(["x"])")));
  CHECK(model.specificationversion() < 4);
  CHECK(model.neuralnetwork().arrayinputshapemapping() == cml::RANK5_ARRAY_MAPPING);
  CHECK(layers_of(model)[0].has_activation());
  CHECK(layers_of(model)[0].inputtensor(0).rank() == 5);
}

TEST_CASE("convert N-d: a rank-4 graph that rank-5 layers cannot express falls back to N-d layers") {
  // Flatten at axis 0 has no rank-5 form ([1, 120] is not [N, C] with the batch axis kept).
  const auto model = convert_json(nd_graph("[2, 3, 4, 5]", nd_node("Flatten", R"(["x"])", R"({"axis": {"type": "int", "value": 0}})")));
  CHECK(model.specificationversion() == 4);
  REQUIRE(layers_of(model)[0].has_reshapestatic());
  CHECK(dims(layers_of(model)[0].reshapestatic().targetshape()) == std::vector<std::int64_t>{1, 120});
}

TEST_CASE("convert N-d: a deployment target below iOS 13 fails naming what needs iOS 13") {
  converter::ConvertOptions options;
  options.deployment_target = converter::spec_version_for_target("iOS12");
  const std::string message = error_of([&] { (void)convert_json(nd_graph("[2, 3, 4]", nd_node("Relu", R"(["x"])")), options); });
  CHECK(message.find("specificationVersion 4") != std::string::npos);
  CHECK(message.find("above the deployment target iOS 12") != std::string::npos);
  CHECK(message.find("arrayInputShapeMapping") != std::string::npos);
}

TEST_CASE("convert N-d: Reshape resolves 0 and -1 against the static input shape") {
  const auto model = convert_json(nd_graph("[2, 3, 4]", nd_node("Reshape", R"(["x", "s"])"), ints_tensor("s", "[3]", "[0, -1, 2]")));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 1);  // the shape is read at export, not loaded
  CHECK(dims(layers[0].reshapestatic().targetshape()) == std::vector<std::int64_t>{2, 6, 2});
}

TEST_CASE("convert N-d: Shape is folded at export so Reshape can read it as a constant") {
  const auto model = convert_json(nd_graph(
      "[2, 3, 4]", nd_node("Shape", R"(["x"])", "{}", "shape", R"(["s"])") + ", " + nd_node("Relu", R"(["x"])", "{}", "relu", R"(["r"])") + ", " +
                       nd_node("Reshape", R"(["r", "s"])")));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].has_activation());
  CHECK(dims(layers[1].reshapestatic().targetshape()) == std::vector<std::int64_t>{2, 3, 4});
}

TEST_CASE("convert N-d: Softmax before opset 13 flattens at axis with a reshape pair around softmaxND") {
  const auto model = convert_json(nd_graph("[2, 3, 4]", nd_node("Softmax", R"(["x"])", R"({"axis": {"type": "int", "value": 1}})"), "", 11));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 3);
  CHECK(dims(layers[0].reshapestatic().targetshape()) == std::vector<std::int64_t>{2, 12});
  CHECK(layers[1].softmaxnd().axis() == 1);
  CHECK(dims(layers[2].reshapestatic().targetshape()) == std::vector<std::int64_t>{2, 3, 4});
  CHECK(layers[2].output(0) == "y");
  // From opset 13 the axis is the softmax's own.
  const auto v13 = convert_json(nd_graph("[2, 3, 4]", nd_node("Softmax", R"(["x"])", R"({"axis": {"type": "int", "value": 1}})")));
  REQUIRE(layers_of(v13).size() == 1);
  CHECK(layers_of(v13)[0].softmaxnd().axis() == 1);
}

TEST_CASE("convert N-d: reductions take axes from the attribute or the constant input") {
  const auto model = convert_json(nd_graph("[2, 3, 4]", nd_node("ReduceMean", R"(["x"])", R"({"axes": {"type": "ints", "value": [-1, 0]},
                                                                                           "keepdims": {"type": "int", "value": 0}})"),
                                           "", 11));
  const auto& reduce = layers_of(model)[0].reducemean();
  CHECK(dims(reduce.axes()) == std::vector<std::int64_t>{0, 2});
  CHECK_FALSE(reduce.keepdims());
  CHECK_FALSE(reduce.reduceall());
  CHECK(dims(model.description().output(0).type().multiarraytype().shape()) == std::vector<std::int64_t>{3});
  const auto sum = convert_json(nd_graph("[2, 3, 4]", nd_node("ReduceSum", R"(["x", "a"])"), ints_tensor("a", "[1]", "[1]")));
  CHECK(dims(layers_of(sum)[0].reducesum().axes()) == std::vector<std::int64_t>{1});
  CHECK(layers_of(sum)[0].reducesum().keepdims());
}

TEST_CASE("convert N-d: Slice writes every axis, masking the ones it does not cut and a backward end before 0") {
  const auto model = convert_json(nd_graph("[4, 5]", nd_node("Slice", R"(["x", "st", "en", "ax", "sp"])"),
                                           ints_tensor("st", "[1]", "[-1]") + ", " + ints_tensor("en", "[1]", "[-1000]") + ", " +
                                               ints_tensor("ax", "[1]", "[1]") + ", " + ints_tensor("sp", "[1]", "[-2]")));
  const auto& slice = layers_of(model)[0].slicestatic();
  CHECK(dims(slice.beginids()) == std::vector<std::int64_t>{0, 4});
  CHECK(std::vector<bool>(slice.beginmasks().begin(), slice.beginmasks().end()) == std::vector<bool>{true, false});
  CHECK(std::vector<bool>(slice.endmasks().begin(), slice.endmasks().end()) == std::vector<bool>{true, true});
  CHECK(dims(slice.strides()) == std::vector<std::int64_t>{1, -2});
  CHECK(dims(model.description().output(0).type().multiarraytype().shape()) == std::vector<std::int64_t>{4, 3});
}

TEST_CASE("convert N-d: Gather with a scalar index squeezes the gathered axis") {
  const auto model = convert_json(nd_graph("[3, 4]", nd_node("Gather", R"(["x", "i"])", R"({"axis": {"type": "int", "value": 1}})"),
                                           ints_tensor("i", "[]", "[2]")));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 3);
  CHECK(udims(layers[0].loadconstantnd().shape()) == std::vector<std::uint64_t>{1});
  CHECK(layers[1].gather().axis() == 1);
  CHECK(dims(layers[2].squeeze().axes()) == std::vector<std::int64_t>{1});
  CHECK(dims(model.description().output(0).type().multiarraytype().shape()) == std::vector<std::int64_t>{3});
}

TEST_CASE("convert N-d: Gemm with transA multiplies two blobs and adds the scaled bias") {
  const auto model = convert_json(nd_graph("[3, 2]", nd_node("Gemm", R"(["x", "b", "c"])", R"({"transA": {"type": "int", "value": 1},
                                                                                         "beta": {"type": "float", "value": 2.0}})"),
                                           R"({"name": "b", "type": "float32", "shape": [3, 4], "data": [1,2,3,4,5,6,7,8,9,10,11,12]},
                                              {"name": "c", "type": "float32", "shape": [4], "data": [1, 1, 1, 1]})"));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() == 5);
  CHECK(layers[1].batchedmatmul().transposea());
  CHECK_FALSE(layers[1].batchedmatmul().transposeb());
  CHECK(layers[3].activation().linear().alpha() == doctest::Approx(2.0));
  CHECK(layers[4].has_addbroadcastable());
  CHECK(dims(model.description().output(0).type().multiarraytype().shape()) == std::vector<std::int64_t>{2, 4});
}

TEST_CASE("convert N-d: LayerNormalization normalizes over the trailing axes with broadcasting layers") {
  const auto model = convert_json(nd_graph("[2, 3, 4]", nd_node("LayerNormalization", R"(["x", "g"])", R"({"axis": {"type": "int", "value": -2}})"),
                                           R"({"name": "g", "type": "float32", "shape": [3, 4], "data": [1,1,1,1,1,1,1,1,1,1,1,1]})", 17));
  const auto& layers = layers_of(model);
  REQUIRE(layers.size() >= 6);
  CHECK(dims(layers[0].reducemean().axes()) == std::vector<std::int64_t>{1, 2});
  CHECK(layers[0].reducemean().keepdims());
  CHECK(layers[1].has_subtractbroadcastable());
  const auto& power = layers[4].unary();
  CHECK(power.type() == cml::UnaryFunctionLayerParams::POWER);
  CHECK(power.alpha() == doctest::Approx(-0.5));
  CHECK(power.shift() == doctest::Approx(1e-5));
  CHECK(layers[layers.size() - 1].has_multiplybroadcastable());
  CHECK(layers[layers.size() - 1].output(0) == "y");
}

TEST_CASE("convert N-d: an op with only an N-d mapping makes a rank-4 graph N-d") {
  const auto model = convert_json(nd_graph("[1, 2, 3, 3]", nd_node("Neg", R"(["x"])")));
  CHECK(model.specificationversion() == 4);
  CHECK(layers_of(model)[0].activation().linear().alpha() == doctest::Approx(-1.0));
}

TEST_CASE("convert N-d: Mod with fmod = 1 is x - trunc(x / y) * y; IsNaN compares x with itself") {
  const auto fmod = convert_json(R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [6]}, {"name": "d", "type": "float32", "shape": [6]}],
    "outputs": [{"name": "y"}],
    "nodes": [{"name": "n", "op_type": "Mod", "inputs": ["x", "d"], "outputs": ["y"], "attributes": {"fmod": {"type": "int", "value": 1}}}]})");
  const auto& layers = layers_of(fmod);
  REQUIRE(layers.size() == 7);
  CHECK(layers[0].has_dividebroadcastable());
  CHECK(layers[1].unary().type() == cml::UnaryFunctionLayerParams::ABS);
  CHECK(layers[2].has_floor());
  CHECK(layers[3].has_sign());
  CHECK(layers[4].has_multiplybroadcastable());
  CHECK(layers[5].input(1) == "d");
  CHECK(layers[6].has_subtractbroadcastable());
  CHECK(layers[6].input(0) == "x");
  const auto isnan = convert_json(nd_graph("[4]", nd_node("IsNaN", R"(["x"])")));
  REQUIRE(layers_of(isnan).size() == 1);
  CHECK(layers_of(isnan)[0].has_notequal());
  CHECK(layers_of(isnan)[0].input(0) == "x");
  CHECK(layers_of(isnan)[0].input(1) == "x");
}

}  // namespace
}  // namespace mlconv::test
