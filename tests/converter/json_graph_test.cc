// The JSON graph frontend: what it reads into the IR, and pinned messages naming
// file, line and JSON pointer for malformed graphs and weight files.
#include <doctest/doctest.h>

#include <fstream>

#include "converter/frontends/json_graph.h"
#include "converter/frontends/load_graph.h"
#include "tests/converter/converter_test_support.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

using namespace converter;

TEST_CASE("convert JSON graph: values, symbolic dims, attributes, opsets and metadata") {
  const Graph graph = graph_from_json(R"({"name": "g", "opset_imports": [{"domain": "ai.onnx", "version": 13}, {"domain": "com.x", "version": 1}],
    "metadata": {"author": "me", "user_defined": {"k": "v"}},
    "inputs": [{"name": "x", "type": "float32", "shape": ["N", 3]}],
    "outputs": [{"name": "y", "type": "float32"}],
    "initializers": [{"name": "b", "type": "float16", "shape": [2], "data": [1.0, -2.0]},
                     {"name": "k", "type": "int64", "shape": [], "data": [5]}],
    "nodes": [{"name": "n", "op_type": "Op", "domain": "com.x", "inputs": ["x", "", "b"], "outputs": ["y"],
               "attributes": {"i": {"type": "int", "value": 3}, "f": {"type": "float", "value": 0.5},
                              "s": {"type": "strings", "value": ["a"]},
                              "t": {"type": "tensor", "value": {"type": "int32", "shape": [2], "data": [7, 8]}},
                              "body": {"type": "graph", "value": {"inputs": [], "outputs": [], "nodes": []}}}}]})");
  CHECK(graph.name == "g");
  CHECK(graph.opset_version("") == 13);
  CHECK(graph.opset_version("ai.onnx") == 13);
  CHECK(graph.opset_version("com.x") == 1);
  CHECK(graph.metadata.author == "me");
  CHECK(graph.metadata.user_defined.at("k") == "v");
  const Value& x = *graph.inputs()[0];
  CHECK(describe_shape(*x.shape) == "['N', 3]");
  const Node& node = *graph.nodes()[0];
  CHECK(node.inputs[1] == nullptr);
  CHECK(node.input(2)->constant->to_floats() == std::vector<float>{1.0F, -2.0F});
  CHECK(graph.find_value("k")->constant->to_ints() == std::vector<std::int64_t>{5});
  CHECK(node.find_attribute("i")->as_int() == 3);
  CHECK(node.find_attribute("t")->as_tensor().to_ints() == std::vector<std::int64_t>{7, 8});
  CHECK(node.find_attribute("body")->kind() == Attribute::Kind::graph);
  CHECK(node.location.line == 7);
  CHECK(node.location.json_pointer == "/nodes/0");
}

TEST_CASE("convert JSON graph: errors name the file, line and JSON pointer") {
  const auto message = [](const std::string& text) { return error_of([&] { (void)graph_from_json(text, "g.json"); }); };
  CHECK(message("{\"inputs\": [],\n \"outputs\": [],\n \"nodes\": [\n  {\"name\": \"conv1\", \"op_type\": \"Conv\", \"inputs\": [\"nope\"], \"outputs\": [\"y\"]}]}") ==
        "g.json:4: node 'conv1' (Conv): input 'nope' is not a graph input, an initializer or any node's output (at /nodes/0/inputs/0)");
  CHECK(message("{\"inputs\": [],\n \"outputs\": []}") == "g.json:1: missing required field 'nodes' (at /)");
  CHECK(message("{\"inputs\": [{\"name\": \"x\",\n \"type\": \"float33\", \"shape\": [1]}], \"outputs\": [], \"nodes\": []}") ==
        "g.json:2: unknown element type 'float33'; expected float32, float16, float64, int8, uint8, int16, int32, int64, bool or string (at /inputs/0/type)");
  CHECK(message("{\"inputs\": [],\n\n \"outputs\": [,]}").rfind("g.json:3: invalid JSON: ", 0) == 0);
  CHECK(message(R"({"inputs": [], "outputs": [], "initializers": [{"name": "w", "type": "float32", "shape": [3], "data": [1, 2]}], "nodes": []})") ==
        "g.json:1: holds 2 values; the shape needs 3 (at /initializers/0/data)");
  CHECK(message(R"({"inputs": [], "outputs": [], "initializers": [{"name": "w", "type": "float32", "shape": [1048576, 1048576, 2], "data": []}], "nodes": []})") ==
        "g.json:1: the initializers declare 2147483647 or more values, more than 2 GiB as Core ML float32 weights, which is "
        "protobuf's limit for one .mlmodel message; split the model or quantize its weights first (at /initializers)");
  CHECK(message(R"({"inputs": [], "outputs": [], "nodes": [{"name": "c", "op_type": "Constant", "inputs": [], "outputs": ["c"], "attributes":
        {"value": {"type": "tensor", "value": {"type": "float32", "shape": [1048576, 1048576, 2], "data": []}}}}]})") ==
        "g.json:2: tensor has more than 2^40 elements (at /nodes/0/attributes/value/value/shape)");
  CHECK(message(R"({"inputs": [], "outputs": [], "initializers": [{"name": "w", "type": "int8", "shape": [1], "data": [300]}], "nodes": []})") ==
        "g.json:1: 300 does not fit in int8 (at /initializers/0/data/0)");
  CHECK(message("{\"inputs\": [{\"name\": \"x\", \"type\": \"float32\", \"shape\": [1]}], \"outputs\": [],\n \"nodes\": [\n"
                " {\"name\": \"a\", \"op_type\": \"Relu\", \"inputs\": [\"b_out\"], \"outputs\": [\"a_out\"]},\n"
                " {\"name\": \"b\", \"op_type\": \"Relu\", \"inputs\": [\"a_out\"], \"outputs\": [\"b_out\"]}]}") ==
        "g.json:3: the graph has a cycle; these nodes wait on each other: 'a' (Relu), 'b' (Relu)");
  CHECK(message(R"({"inputs": [], "outputs": [{"name": "nothing"}], "nodes": []})") ==
        "g.json:1: output 'nothing' is not produced by any node or declared as an input (at /outputs/0)");
}

TEST_CASE("convert JSON graph: external raw data at an offset and .npy files; short files name the file") {
  const auto dir = scratch_dir("convert_json_external");
  const float values[] = {1.0F, 2.0F, 3.0F, 4.0F};
  std::ofstream(dir / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(values), sizeof values);
  // A version-1 .npy header padded to 128 bytes, then two float32 values.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  header.resize(128 - 10 - 1, ' ');
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  npy.append(reinterpret_cast<const char*>(values + 2), 8);
  std::ofstream(dir / "w.npy", std::ios::binary) << npy;

  const auto load = [&](const std::string& initializer) {
    std::ofstream(dir / "g.json") << R"({"inputs": [], "outputs": [], "nodes": [], "initializers": [)" + initializer + "]}";
    return load_graph(dir / "g.json");
  };
  const Graph raw = load(R"({"name": "w", "type": "float32", "shape": [2], "external": {"path": "w.bin", "offset": 8}})");
  CHECK(raw.find_value("w")->constant->to_floats() == std::vector<float>{3.0F, 4.0F});
  const Graph npy_graph = load(R"({"name": "w", "type": "float32", "shape": [2], "external": {"path": "w.npy"}})");
  CHECK(npy_graph.find_value("w")->constant->to_floats() == std::vector<float>{3.0F, 4.0F});

  // A mebibyte or more is mapped from the file rather than read (converter/frontends/mapped_file.h).
  std::vector<float> large(300000);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<float>(i) * 0.25F;
  std::ofstream(dir / "large.bin", std::ios::binary)
      << std::string("12345678") << std::string(reinterpret_cast<const char*>(large.data()), large.size() * sizeof(float));
  const Graph mapped = load(R"({"name": "w", "type": "float32", "shape": [300000], "external": {"path": "large.bin", "offset": 8}})");
  CHECK(mapped.find_value("w")->constant->bytes.is_view());
  CHECK(mapped.find_value("w")->constant->to_floats() == large);

  CHECK(error_of([&] { (void)load(R"({"name": "w", "type": "float32", "shape": [3], "external": {"path": "w.bin", "offset": 8}})"); }) ==
        (dir / "w.bin").string() + ": file holds 16 bytes; expected at least 20 (offset 8 + length 12)");
  CHECK(error_of([&] { (void)load(R"({"name": "w", "type": "float32", "shape": [3], "external": {"path": "w.npy"}})"); }) ==
        (dir / "w.npy").string() + ": .npy shape [2] does not match the declared shape [3]");
  CHECK(error_of([&] { (void)load(R"({"name": "w", "type": "int64", "shape": [2], "external": {"path": "w.npy"}})"); }) ==
        (dir / "w.npy").string() + ": .npy dtype '<f4' does not match the declared int64 (expected '<i8')");
  CHECK(error_of([&] { (void)load(R"({"name": "w", "type": "float32", "shape": [2], "external": {"path": "missing.bin"}})"); })
            .rfind((dir / "missing.bin").string() + ": cannot read weights file", 0) == 0);
  // Two initializers that together declare 2^29 + 1 floats, 2 GiB + 4 bytes: refused from
  // the shapes alone, so the (absent) weights file is never opened.
  CHECK(error_of([&] {
          (void)load(R"({"name": "a", "type": "float32", "shape": [1], "data": [1]},
                        {"name": "b", "type": "float16", "shape": [16384, 32768], "external": {"path": "missing.bin"}})");
        }) == (dir / "g.json").string() +
                  ":1: the initializers declare 536870913 values, more than 2 GiB as Core ML float32 weights, which is "
                  "protobuf's limit for one .mlmodel message; split the model or quantize its weights first (at /initializers)");
}

TEST_CASE("convert JSON graph: unknown input formats and ONNX are dispatched by extension") {
  const auto dir = scratch_dir("convert_dispatch");
  std::ofstream(dir / "m.txt") << "x";
  CHECK(error_of([&] { (void)load_graph(dir / "m.txt"); }) ==
        (dir / "m.txt").string() + ": unknown input format '.txt'; expected a .json graph or an .onnx model");
  // An .onnx file goes to the ONNX frontend, whose message says what it expected.
  std::ofstream(dir / "m.onnx") << "x";
  CHECK(error_of([&] { (void)load_graph(dir / "m.onnx"); }) ==
        (dir / "m.onnx").string() + ": not an ONNX model (protobuf parse failed)");
}

}  // namespace
}  // namespace mlconv::test
