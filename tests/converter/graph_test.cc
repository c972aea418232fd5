// The graph IR: edges in both directions, deterministic topological order, cycle and
// dangling-input errors, typed attribute access, tensor conversion and float16 rounding.
#include <doctest/doctest.h>

#include <cstring>

#include "converter/ir/graph.h"
#include "spec/error.h"
#include "spec/weights.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

using namespace converter;

TEST_CASE("convert IR: topological order follows data flow and keeps insertion order for ties") {
  Graph graph;
  Value& x = graph.add_value("x");
  graph.add_input(x);
  Value& a = graph.add_value("a");
  Value& b = graph.add_value("b");
  Value& c = graph.add_value("c");
  // Inserted consumer-first: the order must still put producers first.
  graph.add_node("join", "Add", "", {&a, &b}, {&c});
  graph.add_node("left", "Relu", "", {&x}, {&a});
  graph.add_node("right", "Sigmoid", "", {&x}, {&b});
  std::vector<std::string> names;
  for (const Node* node : graph.topological_order()) names.push_back(node->name);
  CHECK(names == std::vector<std::string>{"left", "right", "join"});
  CHECK(x.consumers.size() == 2);
  CHECK(c.producer->name == "join");
}

TEST_CASE("convert IR: a cycle is an error naming the nodes in it") {
  Graph graph;
  Value& x = graph.add_value("x");
  graph.add_input(x);
  Value& a = graph.add_value("a");
  Value& b = graph.add_value("b");
  Value& out = graph.add_value("out");
  graph.add_node("ok", "Relu", "", {&x}, {&out});
  graph.add_node("n1", "Add", "", {&x, &b}, {&a}, SourceLocation{"g.json", "/nodes/1", 7});
  graph.add_node("n2", "Relu", "", {&a}, {&b});
  CHECK(error_of([&] { (void)graph.topological_order(); }) ==
        "g.json:7: the graph has a cycle; these nodes wait on each other: 'n1' (Add), 'n2' (Relu)");
}

TEST_CASE("convert IR: a node reading a value nothing produces is an error") {
  Graph graph;
  Value& ghost = graph.add_value("ghost");
  Value& out = graph.add_value("out");
  graph.add_node("n", "Relu", "", {&ghost}, {&out}, SourceLocation{"g.json", "/nodes/0", 3});
  CHECK(error_of([&] { (void)graph.topological_order(); }) ==
        "g.json:3: node 'n' (Relu): input 'ghost' is not produced by any node, and is neither a graph input nor an initializer");
}

TEST_CASE("convert IR: a value produced twice is refused") {
  Graph graph;
  Value& x = graph.add_value("x");
  Value& y = graph.add_value("y");
  graph.add_node("first", "Relu", "", {&x}, {&y});
  CHECK(error_of([&] { graph.add_node("second", "Relu", "", {&x}, {&y}); }) ==
        "node 'second' (Relu): output 'y' is already produced by node 'first' (Relu)");
}

TEST_CASE("convert IR: remove_node and replace_all_uses keep both edge directions") {
  Graph graph;
  Value& x = graph.add_value("x");
  graph.add_input(x);
  Value& y = graph.add_value("y");
  Value& z = graph.add_value("z");
  Node& identity = graph.add_node("id", "Identity", "", {&x}, {&y});
  graph.add_node("relu", "Relu", "", {&y}, {&z});
  graph.add_output(y);
  graph.replace_all_uses(y, x);
  graph.remove_node(identity);
  CHECK(graph.node_count() == 1);
  CHECK(graph.nodes()[0]->inputs[0] == &x);
  CHECK(x.consumers.size() == 1);
  CHECK(graph.outputs()[0] == &x);
  CHECK(y.producer == nullptr);
}

TEST_CASE("convert IR: attributes say what they are when read as something else") {
  const Attribute ints(std::vector<std::int64_t>{1, 2});
  CHECK(error_of([&] { (void)ints.as_int(); }) == "attribute is ints, expected int");
  CHECK(ints.as_floats() == std::vector<double>{1.0, 2.0});
  CHECK(Attribute(std::int64_t{3}).as_float() == 3.0);
  CHECK(Attribute(std::string("same")).describe() == "'same'");
  CHECK(ints.describe() == "[1, 2]");
}

TEST_CASE("convert IR: tensors convert from every numeric type and check their byte count") {
  const TensorData ints = TensorData::from_ints({3}, {-1, 0, 7});
  CHECK(ints.to_floats() == std::vector<float>{-1.0F, 0.0F, 7.0F});
  TensorData half{ElementType::float16, {2}, std::string("\x00\x3c\x00\xc0", 4)};  // 1.0, -2.0
  CHECK(half.to_floats() == std::vector<float>{1.0F, -2.0F});
  TensorData short_tensor{ElementType::float32, {2}, std::string(4, '\0')};
  CHECK(error_of([&] { (void)short_tensor.to_floats(); }) == "tensor holds 4 bytes; its float32 shape needs 8");
}

TEST_CASE("convert IR: float_to_half rounds to nearest even and round-trips every half") {
  CHECK(float_to_half(1.0F) == 0x3c00);
  CHECK(float_to_half(-2.0F) == 0xc000);
  CHECK(float_to_half(65504.0F) == 0x7bff);
  CHECK(float_to_half(65520.0F) == 0x7c00);  // rounds up to infinity
  CHECK(float_to_half(5.9604645e-08F) == 0x0001);  // smallest subnormal
  CHECK(float_to_half(1.0F + 1.0F / 2048.0F) == 0x3c00);  // tie rounds to even
  CHECK(float_to_half(1.0F + 3.0F / 2048.0F) == 0x3c02);
  int mismatches = 0;
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const auto half = static_cast<std::uint16_t>(h);
    const bool nan = (half & 0x7c00U) == 0x7c00U && (half & 0x3ffU) != 0;
    if (nan) continue;
    if (float_to_half(spec::half_to_float(half)) != half) ++mismatches;
  }
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace mlconv::test
