// normalize_opset_forms: each old attribute form becomes its newest input form, on the
// opset-7 fixture (old_forms.onnx, resize10.onnx) and on small graphs built here.
#include "converter/frontends/onnx_opset_forms.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "converter/frontends/onnx_graph.h"
#include "spec/error.h"
#include "tests/support/test_support.h"

namespace {

using mlconv::converter::Attribute;
using mlconv::converter::ElementType;
using mlconv::converter::Graph;
using mlconv::converter::Node;
using mlconv::converter::normalize_opset_forms;
using mlconv::converter::TensorData;
using mlconv::converter::Value;
using Ints = std::vector<std::int64_t>;
using Floats = std::vector<float>;

Graph old_forms() {
  Graph graph = mlconv::converter::load_onnx_graph(mlconv::test::source_dir() /
                                                   "tests/converter/fixtures/onnx/old_forms.onnx");
  normalize_opset_forms(graph);
  return graph;
}

const Node& node_named(const Graph& graph, const std::string& name) {
  for (const Node* node : graph.nodes()) {
    if (node->name == name) return *node;
  }
  FAIL("no node " << name);
  throw;
}

// Input `index` of `node`: a constant whose only reader is `node`.
const TensorData& constant_input(const Node& node, std::size_t index) {
  const Value* value = node.input(index);
  REQUIRE_MESSAGE(value != nullptr, node.name << " has no input " << index);
  REQUIRE(value->constant.has_value());
  CHECK(value->consumers == std::vector<Node*>{const_cast<Node*>(&node)});
  return *value->constant;
}

// A one-node graph at `opset`: `op_type` reading a float32 input "x" with `attributes`.
Graph one_node(const std::string& op_type, std::int64_t opset, std::map<std::string, Attribute> attributes,
               ElementType type = ElementType::float32) {
  Graph graph;
  graph.opset_imports[""] = opset;
  Value& x = graph.add_value("x");
  x.type = type;
  graph.add_input(x);
  Value& y = graph.add_value("y");
  Node& node = graph.add_node("n", op_type, "", {&x}, {&y});
  node.attributes = std::move(attributes);
  graph.add_output(y);
  return graph;
}

TEST_CASE("onnx opset forms: Slice-1 starts/ends/axes become inputs 1-3") {
  const Graph graph = old_forms();
  const Node& slice = node_named(graph, "slice");
  CHECK(slice.attributes.empty());
  CHECK(constant_input(slice, 1).to_ints() == Ints{0, 1});
  CHECK(constant_input(slice, 2).to_ints() == Ints{1, 3});
  CHECK(constant_input(slice, 3).to_ints() == Ints{2, 3});
  CHECK(slice.input(1)->name == "slice/starts");
  CHECK(slice.input(1)->type == ElementType::int64);
}

TEST_CASE("onnx opset forms: Pad-2 pads/value and Pad-1 paddings become inputs") {
  const Graph graph = old_forms();
  const Node& pad = node_named(graph, "pad");
  CHECK(constant_input(pad, 1).to_ints() == Ints{0, 0, 1, 1, 0, 0, 1, 1});
  const TensorData& value = constant_input(pad, 2);
  CHECK(value.dims.empty());
  CHECK(value.to_floats() == Floats{1.5F});
  CHECK(pad.input(2)->name == "pad/constant_value");
  CHECK(pad.find_attribute("pads") == nullptr);

  Graph pad1 = one_node("Pad", 1, {{"paddings", Attribute(Ints{1, 1})}, {"value", Attribute(2.0)}},
                        ElementType::float16);
  normalize_opset_forms(pad1);
  const Node& n = *pad1.nodes()[0];
  CHECK(constant_input(n, 1).to_ints() == Ints{1, 1});
  // The pad value takes the data's element type.
  CHECK(constant_input(n, 2).type == ElementType::float16);
  CHECK(constant_input(n, 2).to_floats() == Floats{2.0F});
}

TEST_CASE("onnx opset forms: Clip-6 min/max become scalar inputs of the data's type") {
  const Graph graph = old_forms();
  const Node& clip = node_named(graph, "clip");
  CHECK(constant_input(clip, 1).to_floats() == Floats{-1.0F});
  CHECK(constant_input(clip, 2).to_floats() == Floats{6.0F});

  Graph only_max = one_node("Clip", 6, {{"max", Attribute(6.0)}}, ElementType::float64);
  normalize_opset_forms(only_max);
  const Node& n = *only_max.nodes()[0];
  CHECK(n.input(1) == nullptr);
  CHECK(constant_input(n, 2).type == ElementType::float64);
  CHECK(constant_input(n, 2).to_floats() == Floats{6.0F});
}

TEST_CASE("onnx opset forms: TopK-1 k becomes an int64 [1] input") {
  const Graph graph = old_forms();
  const Node& topk = node_named(graph, "topk");
  const TensorData& k = constant_input(topk, 1);
  CHECK(k.dims == Ints{1});
  CHECK(k.to_ints() == Ints{2});
}

TEST_CASE("onnx opset forms: Squeeze/Unsqueeze axes, Reduce axes and Split split become inputs") {
  const Graph graph = old_forms();
  CHECK(constant_input(node_named(graph, "squeeze"), 1).to_ints() == Ints{1});
  CHECK(constant_input(node_named(graph, "unsqueeze"), 1).to_ints() == Ints{0});
  CHECK(constant_input(node_named(graph, "mean"), 1).to_ints() == Ints{2, 3});
  // Without axes a reduction covers every axis; the input stays omitted.
  CHECK(node_named(graph, "sum").inputs.size() == 1);
  const Node& split = node_named(graph, "split");
  CHECK(constant_input(split, 1).to_ints() == Ints{1, 1});
  CHECK(split.find_attribute("axis")->as_int() == 1);
}

TEST_CASE("onnx opset forms: the opset decides which attributes are old forms") {
  Graph mean17 = one_node("ReduceMean", 17, {{"axes", Attribute(Ints{1})}});
  normalize_opset_forms(mean17);
  CHECK(constant_input(*mean17.nodes()[0], 1).to_ints() == Ints{1});

  // ReduceSum-13 reads axes as an input already; an attribute there is left alone.
  Graph sum13 = one_node("ReduceSum", 13, {{"keepdims", Attribute(std::int64_t{0})}});
  normalize_opset_forms(sum13);
  CHECK(sum13.nodes()[0]->inputs.size() == 1);
  CHECK(sum13.nodes()[0]->find_attribute("keepdims") != nullptr);

  Graph split13 = one_node("Split", 13, {{"axis", Attribute(std::int64_t{0})}});
  normalize_opset_forms(split13);
  CHECK(split13.nodes()[0]->inputs.size() == 1);
}

TEST_CASE("onnx opset forms: Upsample-7 becomes Resize with roi omitted and float scales") {
  const Graph graph = old_forms();
  const Node& up = node_named(graph, "up");
  CHECK(up.op_type == "Resize");
  REQUIRE(up.inputs.size() == 3);
  CHECK(up.input(1) == nullptr);
  CHECK(constant_input(up, 2).type == ElementType::float32);
  CHECK(constant_input(up, 2).to_floats() == Floats{1, 1, 2, 2});
  CHECK(up.find_attribute("mode")->as_string() == "nearest");
  CHECK(up.find_attribute("coordinate_transformation_mode")->as_string() == "asymmetric");
  CHECK(up.find_attribute("nearest_mode")->as_string() == "floor");
  CHECK(up.find_attribute("scales") == nullptr);

  Graph upsample1 = one_node("Upsample", 1,
                             {{"height_scale", Attribute(2.0)}, {"width_scale", Attribute(3.0)},
                              {"mode", Attribute(std::string("bilinear"))}});
  normalize_opset_forms(upsample1);
  const Node& n = *upsample1.nodes()[0];
  CHECK(constant_input(n, 2).to_floats() == Floats{1, 1, 2, 3});
  CHECK(n.find_attribute("mode")->as_string() == "linear");
  CHECK(n.find_attribute("nearest_mode") == nullptr);
}

TEST_CASE("onnx opset forms: Upsample-9 and Resize-10 scales inputs move behind an omitted roi") {
  Graph graph = mlconv::converter::load_onnx_graph(mlconv::test::source_dir() /
                                                   "tests/converter/fixtures/onnx/resize10.onnx");
  normalize_opset_forms(graph);
  const Node& resize = *graph.nodes()[0];
  REQUIRE(resize.inputs.size() == 3);
  CHECK(resize.input(1) == nullptr);
  CHECK(resize.input(2)->name == "scales");
  CHECK(resize.find_attribute("mode")->as_string() == "linear");
  CHECK(resize.find_attribute("coordinate_transformation_mode")->as_string() == "asymmetric");
  // Running it again changes nothing.
  normalize_opset_forms(graph);
  CHECK(graph.nodes()[0]->inputs.size() == 3);

  Graph upsample9 = one_node("Upsample", 9, {});
  Value& scales = upsample9.add_value("scales");
  scales.constant = TensorData::from_floats({4}, {1, 1, 2, 2});
  Node& n = *upsample9.nodes()[0];
  n.inputs.push_back(&scales);
  scales.consumers.push_back(&n);
  normalize_opset_forms(upsample9);
  CHECK(n.op_type == "Resize");
  CHECK(n.inputs == std::vector<Value*>{upsample9.find_value("x"), nullptr, &scales});
}

TEST_CASE("onnx opset forms: subgraphs are rewritten, custom domains are not, conflicts are errors") {
  Graph body;
  body.opset_imports[""] = 11;
  Value& x = body.add_value("x");
  body.add_input(x);
  Value& y = body.add_value("y");
  body.add_node("sq", "Squeeze", "", {&x}, {&y}).attributes["axes"] = Attribute(Ints{0});
  body.add_output(y);
  Graph outer = one_node("Identity", 11, {});
  Value& z = outer.add_value("z");
  Node& branch = outer.add_node("if", "If", "", {outer.find_value("x")}, {&z});
  branch.attributes["then_branch"] = Attribute(std::shared_ptr<const Graph>(std::make_shared<Graph>(std::move(body))));
  Graph custom = one_node("Squeeze", 11, {{"axes", Attribute(Ints{0})}});
  custom.nodes()[0]->domain = "com.example";
  normalize_opset_forms(outer);
  normalize_opset_forms(custom);
  const Graph& then_graph = outer.nodes()[1]->find_attribute("then_branch")->as_graph();
  CHECK(constant_input(*then_graph.nodes()[0], 1).to_ints() == Ints{0});
  CHECK(custom.nodes()[0]->inputs.size() == 1);

  Graph both = one_node("Squeeze", 11, {{"axes", Attribute(Ints{0})}});
  Value& axes = both.add_value("axes");
  both.nodes()[0]->inputs.push_back(&axes);
  CHECK_THROWS_WITH(normalize_opset_forms(both), "node 'n' (Squeeze): has 'axes' both as an attribute and as input 1");

  Graph wrong = one_node("TopK", 1, {{"k", Attribute(std::string("two"))}});
  CHECK_THROWS_WITH(normalize_opset_forms(wrong), "node 'n' (TopK): attribute 'k': attribute is string, expected int");
}

}  // namespace
