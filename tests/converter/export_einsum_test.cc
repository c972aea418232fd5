// converter/export/layers_nd_einsum.cc: which layers an equation becomes, and the
// equations it refuses. The numbers are checked against numpy.einsum by the conformance
// run (scripts/gen-einsum-cases.py and the ONNX node tests).
#include <doctest/doctest.h>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

std::string einsum_graph(const std::string& equation, const std::vector<std::string>& shapes) {
  std::string inputs;
  std::string names;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (i > 0) {
      inputs += ", ";
      names += ", ";
    }
    inputs += R"({"name": "x)" + std::to_string(i) + R"(", "type": "float32", "shape": )" + shapes[i] + "}";
    names += "\"x" + std::to_string(i) + "\"";
  }
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [)" + inputs + R"(],
    "outputs": [{"name": "y"}],
    "nodes": [{"name": "e", "op_type": "Einsum", "inputs": [)" + names + R"(], "outputs": ["y"],
               "attributes": {"equation": {"type": "string", "value": ")" + equation + R"("}}}]})";
}

std::vector<std::int64_t> output_shape(const cml::Model& model) {
  const auto& shape = model.description().output(0).type().multiarraytype().shape();
  return {shape.begin(), shape.end()};
}

TEST_CASE("convert einsum: a batched product already in matmul order is one batchedMatMul writing the output") {
  const auto model = convert_json(einsum_graph("bij,bjk->bik", {"[5, 2, 3]", "[5, 3, 4]"}));
  CHECK(layer_kinds(model) == std::vector<std::string>{"batchedMatmul"});
  CHECK(layers_of(model)[0].output(0) == "y");
  CHECK(output_shape(model) == std::vector<std::int64_t>{5, 2, 4});
  CHECK(model.specificationversion() == 4);
}

TEST_CASE("convert einsum: attention scores transpose the second operand; a reordered output is transposed at the end") {
  const auto scores = convert_json(einsum_graph("bhqd,bhkd->bhqk", {"[2, 3, 4, 5]", "[2, 3, 6, 5]"}));
  CHECK(layer_kinds(scores) == std::vector<std::string>{"transpose", "batchedMatmul"});
  const auto& axes = layers_of(scores)[0].transpose().axes();
  CHECK(std::vector<std::uint64_t>(axes.begin(), axes.end()) == std::vector<std::uint64_t>{0, 1, 3, 2});

  const auto reordered = convert_json(einsum_graph("ij,jk->ki", {"[3, 4]", "[4, 5]"}));
  CHECK(layer_kinds(reordered) == std::vector<std::string>{"batchedMatmul", "transpose"});
  CHECK(layers_of(reordered)[1].output(0) == "y");
  CHECK(output_shape(reordered) == std::vector<std::int64_t>{5, 3});
}

TEST_CASE("convert einsum: one operand sums and transposes; an unchanged one is copied") {
  const auto summed = convert_json(einsum_graph("abc->ca", {"[2, 3, 4]"}));
  CHECK(layer_kinds(summed) == std::vector<std::string>{"reduceSum", "transpose"});
  const auto& sum = layers_of(summed)[0].reducesum();
  CHECK(std::vector<std::int64_t>(sum.axes().begin(), sum.axes().end()) == std::vector<std::int64_t>{1});
  CHECK_FALSE(sum.keepdims());
  CHECK(output_shape(summed) == std::vector<std::int64_t>{4, 2});

  const auto same = convert_json(einsum_graph("ij->ij", {"[3, 4]"}));
  CHECK(layer_kinds(same) == std::vector<std::string>{"activation"});
}

TEST_CASE("convert einsum: a trace is an identity mask, a product and a sum of everything") {
  const auto model = convert_json(einsum_graph("ii", {"[4, 4]"}));
  CHECK(layer_kinds(model) == std::vector<std::string>{"loadConstantND", "multiplyBroadcastable", "reduceSum", "reduceSum"});
  const auto& mask = layers_of(model)[0].loadconstantnd();
  CHECK(std::vector<std::uint64_t>(mask.shape().begin(), mask.shape().end()) == std::vector<std::uint64_t>{4, 4});
  const auto& values = mask.data().floatvalue();
  for (int i = 0; i < 16; ++i) CHECK(values[i] == (i % 5 == 0 ? 1.0F : 0.0F));
  CHECK(layers_of(model)[3].reducesum().reduceall());
}

TEST_CASE("convert einsum: equations it cannot express are refused naming the node and the reason") {
  const auto error_for = [](const std::string& equation, const std::vector<std::string>& shapes) {
    return error_of([&] { (void)convert_json(einsum_graph(equation, shapes)); });
  };
  CHECK(error_for("ij,jk->ik", {"[3, 4]", "[5, 6]"}).find("node 'e' (Einsum): label 'j' has size 4 in input 0 and 5 in input 1") !=
        std::string::npos);
  CHECK(error_for("ijk,jk->ik", {"[3, 4]", "[4, 5]"}).find("the term 'ijk' names 3 axes; input 0 has rank 2") != std::string::npos);
  CHECK(error_for("ij,jk->iik", {"[3, 4]", "[4, 5]"}).find("the output term of 'ij,jk->iik' repeats 'i'") != std::string::npos);
  CHECK(error_for("ij,jk->iz", {"[3, 4]", "[4, 5]"}).find("has 'z', which no input term has") != std::string::npos);
  CHECK(error_for("i1,jk->ik", {"[3]", "[4, 5]"}).find("has '1' where a letter or one '...' belongs") != std::string::npos);
  CHECK(error_for("i,i,i->i", {"[3]", "[3]", "[3]"}).find("Einsum with 3 operands: mlconv converts one or two") != std::string::npos);
  CHECK(error_for("ij->i", {"[3, 4]", "[3, 4]"}).find("has 1 operand terms for 2 inputs") != std::string::npos);
}

}  // namespace
}  // namespace mlconv::test
