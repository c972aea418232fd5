// The ONNX frontend: what load_onnx_graph puts into the IR for the fixtures written by
// fixtures/make_onnx_fixtures.py and for the real models in ../shared/realmodels/onnx,
// and the exact message for each kind of bad file.
#include "converter/frontends/onnx_graph.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "spec/error.h"
#include "tests/support/test_support.h"

namespace {

namespace fs = std::filesystem;
using mlconv::converter::Attribute;
using mlconv::converter::Dim;
using mlconv::converter::ElementType;
using mlconv::converter::Graph;
using mlconv::converter::load_onnx_graph;
using mlconv::converter::Node;
using mlconv::converter::Shape;
using mlconv::converter::Value;

fs::path fixture(const std::string& name) { return mlconv::test::source_dir() / "tests/converter/fixtures/onnx" / name; }

std::string shown(const fs::path& path) { return path.string(); }

// The message load_onnx_graph throws for `path`, or "" when it loads.
std::string load_error(const fs::path& path) {
  try {
    (void)load_onnx_graph(path);
  } catch (const mlconv::Error& error) {
    return error.what();
  }
  return "";
}

const Node& node_named(const Graph& graph, const std::string& name) {
  for (const Node* node : graph.nodes()) {
    if (node->name == name) return *node;
  }
  FAIL("no node " << name);
  throw;
}

const Value& value_named(const Graph& graph, const std::string& name) {
  const Value* value = graph.find_value(name);
  REQUIRE_MESSAGE(value != nullptr, "no value " << name);
  return *value;
}

std::vector<std::string> names_of(const std::vector<Value*>& values) {
  std::vector<std::string> out;
  for (const Value* v : values) out.push_back(v->name);
  return out;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_CASE("onnx: inputs and outputs with element types, symbolic and unknown dims") {
  const Graph graph = load_onnx_graph(fixture("basic.onnx"));
  CHECK(graph.name == "basic");
  CHECK(names_of(graph.inputs()) == std::vector<std::string>{"x", "y"});
  CHECK(names_of(graph.outputs()) == std::vector<std::string>{"s", "z"});
  const Value& x = value_named(graph, "x");
  CHECK(x.type == ElementType::float32);
  CHECK(*x.shape == Shape{Dim::symbolic("N"), Dim::known(3), Dim::known(8), Dim::known(8)});
  // A dim with neither size nor name gets its own "?n" symbol.
  const Value& y = value_named(graph, "y");
  CHECK(*y.shape == Shape{Dim::symbolic("?1"), Dim::known(4)});
  // Shape inference names the dims it cannot size itself.
  CHECK(*value_named(graph, "z").shape == Shape{Dim::symbolic("unk__0"), Dim::known(4)});
  // Intermediate values carry what shape inference found.
  const Value& c = value_named(graph, "c");
  CHECK(c.type == ElementType::float32);
  CHECK(*c.shape == Shape{Dim::symbolic("N"), Dim::known(4), Dim::known(8), Dim::known(8)});
  CHECK(*value_named(graph, "s").shape == Shape{Dim::symbolic("N"), Dim::known(8), Dim::known(8)});
  CHECK(graph.location.file == shown(fixture("basic.onnx")));
}

TEST_CASE("onnx: initializers in raw_data and in each typed field") {
  const Graph graph = load_onnx_graph(fixture("basic.onnx"));
  const Value& w = value_named(graph, "w");
  REQUIRE(w.constant);
  CHECK(w.constant->type == ElementType::float32);
  CHECK(w.constant->dims == std::vector<std::int64_t>{4, 3, 3, 3});
  CHECK(w.constant->to_floats().at(5) == doctest::Approx(0.05));
  CHECK(*w.shape == Shape{Dim::known(4), Dim::known(3), Dim::known(3), Dim::known(3)});
  CHECK(w.producer == nullptr);
  CHECK(value_named(graph, "b").constant->to_floats() == std::vector<float>{0.5F, -0.5F, 1.0F, -1.0F});
  CHECK(value_named(graph, "i64").constant->to_ints() == std::vector<std::int64_t>{7, -9000000000});
  const auto& dbl = *value_named(graph, "dbl").constant;
  CHECK(dbl.type == ElementType::float64);
  CHECK(dbl.to_floats() == std::vector<float>{1.5F, -2.25F});
  const auto& half = *value_named(graph, "h").constant;
  CHECK(half.type == ElementType::float16);
  CHECK(half.bytes.size() == 6);
  CHECK(half.to_floats() == std::vector<float>{1.0F, -2.0F, 0.5F});
  const auto& flag = *value_named(graph, "flag").constant;
  CHECK(flag.type == ElementType::boolean);
  CHECK(flag.to_ints() == std::vector<std::int64_t>{1, 0});
  CHECK(value_named(graph, "i8").constant->to_ints() == std::vector<std::int64_t>{-128, 0, 127});
}

TEST_CASE("onnx: Constant nodes become constant values, in every value form") {
  const Graph graph = load_onnx_graph(fixture("basic.onnx"));
  for (const Node* node : graph.nodes()) CHECK(node->op_type != "Constant");
  const Value& two = value_named(graph, "two");
  REQUIRE(two.constant);
  CHECK(two.constant->dims.empty());
  CHECK(two.constant->to_floats() == std::vector<float>{2.0F});
  CHECK(two.producer == nullptr);
  const Value& axes = value_named(graph, "axes");
  CHECK(axes.constant->type == ElementType::int64);
  CHECK(axes.constant->to_ints() == std::vector<std::int64_t>{1});
  CHECK(*axes.shape == Shape{Dim::known(1)});
  CHECK(value_named(graph, "pair").constant->to_ints() == std::vector<std::int64_t>{1, -1});
  CHECK(node_named(graph, "sum").inputs.at(1) == &axes);
}

TEST_CASE("onnx: nodes keep names, ops, edges and attributes; unnamed nodes get <op>_<index>") {
  const Graph graph = load_onnx_graph(fixture("basic.onnx"));
  std::vector<std::string> names;
  for (const Node* node : graph.nodes()) names.push_back(node->name);
  // Node 8 is unnamed, and "Mul_3" is taken by node 7, so unnamed node 3 becomes Mul_3_1.
  CHECK(names == std::vector<std::string>{"conv1", "LeakyRelu_1", "Mul_3_1", "sum", "Mul_3", "Mul_8"});
  const Node& conv = node_named(graph, "conv1");
  CHECK(conv.op_type == "Conv");
  CHECK(conv.domain.empty());
  CHECK(names_of(conv.inputs) == std::vector<std::string>{"x", "w", "b"});
  CHECK(names_of(conv.outputs) == std::vector<std::string>{"c"});
  CHECK(conv.find_attribute("kernel_shape")->as_ints() == std::vector<std::int64_t>{3, 3});
  CHECK(conv.find_attribute("group")->as_int() == 1);
  CHECK(conv.find_attribute("auto_pad")->as_string() == "NOTSET");
  CHECK(node_named(graph, "LeakyRelu_1").find_attribute("alpha")->as_float() == doctest::Approx(0.25));
  CHECK(value_named(graph, "c").producer == &conv);
  CHECK(conv.location.file == shown(fixture("basic.onnx")));
  CHECK(graph.topological_order().size() == 6);
}

TEST_CASE("onnx: metadata and opset imports") {
  const Graph graph = load_onnx_graph(fixture("basic.onnx"));
  CHECK(graph.metadata.producer == "mlconv-fixtures 1.0");
  CHECK(graph.metadata.doc == "basic fixture");
  CHECK(graph.metadata.version == "3");
  CHECK(graph.metadata.user_defined == std::map<std::string, std::string>{{"author", "tests"}, {"license", "MIT"}});
  CHECK(graph.opset_imports == std::map<std::string, std::int64_t>{{"", 13}});
  CHECK(graph.opset_version("ai.onnx") == 13);
}

TEST_CASE("onnx: IR 3 initializers listed as graph inputs are constants, not inputs") {
  const Graph graph = load_onnx_graph(fixture("ir3.onnx"));
  CHECK(names_of(graph.inputs()) == std::vector<std::string>{"x"});
  CHECK(value_named(graph, "w").constant.has_value());
  CHECK(graph.opset_version("") == 8);
}

TEST_CASE("onnx: a model of an IR version newer than the ONNX library loads") {
  const Graph graph = load_onnx_graph(fixture("ir9.onnx"));
  CHECK(graph.node_count() == 1);
  CHECK(*value_named(graph, "y").shape == Shape{Dim::known(2)});
}

TEST_CASE("onnx: If and Loop bodies become child graphs reading outer values") {
  const Graph graph = load_onnx_graph(fixture("control_flow.onnx"));
  const Node& branch = node_named(graph, "branch");
  const Graph& then_graph = branch.find_attribute("then_branch")->as_graph();
  CHECK(then_graph.name == "then");
  CHECK(then_graph.opset_version("") == 13);
  REQUIRE(then_graph.node_count() == 1);
  CHECK(then_graph.nodes()[0]->name == "Add_0");
  CHECK(names_of(then_graph.outer_references()) == std::vector<std::string>{"x", "one"});
  CHECK(*value_named(then_graph, "x").shape == Shape{Dim::known(2)});
  CHECK(then_graph.topological_order().size() == 1);
  const Graph& else_graph = branch.find_attribute("else_branch")->as_graph();
  CHECK(else_graph.nodes()[0]->name == "minus");
  CHECK(names_of(else_graph.outputs()) == std::vector<std::string>{"else_out"});

  const Node& loop = node_named(graph, "loop");
  CHECK(loop.inputs.size() == 3);
  CHECK(loop.inputs[1] == nullptr);  // the omitted condition
  const Graph& body = loop.find_attribute("body")->as_graph();
  CHECK(names_of(body.inputs()) == std::vector<std::string>{"i", "cond_in", "acc_in"});
  CHECK(names_of(body.outer_references()) == std::vector<std::string>{"y"});
  CHECK(value_named(body, "acc_out").type == ElementType::float32);
  CHECK(*value_named(graph, "total").shape == Shape{Dim::known(2)});
}

TEST_CASE("onnx: a custom-domain op keeps its attributes and stops shape inference only downstream") {
  const Graph graph = load_onnx_graph(fixture("custom_domain.onnx"));
  CHECK(graph.opset_version("com.example") == 1);
  const Node& swish = node_named(graph, "swish1");
  CHECK(swish.domain == "com.example");
  CHECK(swish.find_attribute("beta")->as_float() == doctest::Approx(1.5));
  CHECK(swish.find_attribute("tags")->as_strings() == std::vector<std::string>{"a", "b"});
  CHECK(swish.find_attribute("mode")->as_string() == "fast");
  CHECK(swish.find_attribute("sizes")->as_ints() == std::vector<std::int64_t>{2, 3});
  CHECK(swish.find_attribute("scales")->as_floats() == std::vector<double>{0.5, 0.25});
  CHECK_FALSE(value_named(graph, "sw").shape.has_value());
  CHECK_FALSE(value_named(graph, "after").shape.has_value());
  CHECK(*value_named(graph, "sig").shape == Shape{Dim::known(1), Dim::known(4)});

  // The omitted middle output keeps its slot as a value nothing reads; the trailing one is dropped.
  const Node& parts = node_named(graph, "parts");
  CHECK(names_of(parts.outputs) == std::vector<std::string>{"p0", "parts/omitted_1", "p2"});
  CHECK(parts.outputs[1]->consumers.empty());
}

TEST_CASE("onnx: external data is read from the model's directory at its offset") {
  const Graph graph = load_onnx_graph(fixture("external/model.onnx"));
  const Value& w = value_named(graph, "w");
  REQUIRE(w.constant);
  CHECK(w.constant->dims == std::vector<std::int64_t>{2, 3});
  CHECK(w.constant->to_floats() == std::vector<float>{0, 1, 2, 3, 4, 5});
}

// Copies fixture `name` (a model.onnx whose weights.bin is not checked in) into a scratch
// directory and writes its weights.bin: 12 bytes of padding, then `payload`.
fs::path with_weights(const std::string& name, const std::string& payload) {
  const fs::path dir = mlconv::test::scratch_dir("onnx_" + name);
  fs::copy_file(fixture(name + "/model.onnx"), dir / "model.onnx");
  std::ofstream(dir / "weights.bin", std::ios::binary) << "TWELVE BYTES" << payload;
  return dir / "model.onnx";
}

TEST_CASE("onnx: large float external data is mapped, not read, and holds the file's values") {
  std::vector<float> values(512 * 1024);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 9973) * 0.5F - 7.0F;
  const std::string payload(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  const Graph graph = load_onnx_graph(with_weights("external_mapped", payload));
  const Value& w = value_named(graph, "w");
  REQUIRE(w.constant);
  CHECK(w.constant->bytes.is_view());
  CHECK(w.constant->dims == std::vector<std::int64_t>{512, 1024});
  CHECK(w.constant->to_floats() == values);
}

TEST_CASE("onnx: large integer external data is read, since shape inference may parse it") {
  std::vector<std::int64_t> values(262144);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(i) * 3 - 100;
  const std::string payload(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(std::int64_t));
  const Graph graph = load_onnx_graph(with_weights("external_mapped_int64", payload));
  const Value& w = value_named(graph, "w");
  REQUIRE(w.constant);
  CHECK_FALSE(w.constant->bytes.is_view());
  CHECK(w.constant->to_ints() == values);
}

TEST_CASE("onnx: external data errors name the file, the initializer and what was expected") {
  const auto short_model = fixture("external_short/model.onnx");
  CHECK(load_error(short_model) ==
        shown(short_model) + ": weights.bin is 400 bytes; initializer 'w' needs 800 at offset 0");
  const auto missing = fixture("external_missing/model.onnx");
  CHECK(load_error(missing) ==
        shown(missing) + ": initializer 'w': external data file missing.bin cannot be opened: No such file or directory");
  const auto traversal = fixture("external_traversal/model.onnx");
  CHECK(load_error(traversal) == shown(traversal) +
                                     ": initializer 'w': external data location '../external/weights.bin' must be a "
                                     "relative path inside the model's directory");
}

TEST_CASE("onnx: weights past the 2 GiB protobuf limit are refused from their declared size, before any is read") {
  // 600,000,000 float32 values declared; the external file does not even exist, so the
  // message proves nothing was read.
  const auto huge = fixture("external_huge/model.onnx");
  CHECK(load_error(huge) == shown(huge) +
                                ": the initializers declare 600000000 values, 2400000000 bytes as Core ML float32 weights, more "
                                "than protobuf's 2147483647-byte (2 GiB) limit for one .mlmodel message; split the model or "
                                "quantize its weights first");
}

TEST_CASE("onnx: a symbolic link out of the model's directory is refused") {
  const fs::path dir = mlconv::test::scratch_dir("onnx_symlink");
  fs::copy_file(fixture("external/model.onnx"), dir / "model.onnx");
  fs::create_directory(dir / "outside");
  fs::copy_file(fixture("external/weights.bin"), dir / "outside/weights.bin");
  fs::create_directory(dir / "model");
  fs::rename(dir / "model.onnx", dir / "model/model.onnx");
  fs::create_symlink(dir / "outside/weights.bin", dir / "model/weights.bin");
  CHECK(load_error(dir / "model/model.onnx") ==
        shown(dir / "model/model.onnx") +
            ": initializer 'w': external data location 'weights.bin' leads outside the model's directory");
}

TEST_CASE("onnx: files that are not ONNX models get a clear error") {
  const fs::path dir = mlconv::test::scratch_dir("onnx_not_models");
  const std::string basic = mlconv::test::read_file(fixture("basic.onnx"));
  write_bytes(dir / "truncated.onnx", basic.substr(0, basic.size() / 2));
  CHECK(load_error(dir / "truncated.onnx") == shown(dir / "truncated.onnx") + ": not an ONNX model (protobuf parse failed)");

  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  write_bytes(dir / "random.onnx", noise);
  CHECK(load_error(dir / "random.onnx") == shown(dir / "random.onnx") + ": not an ONNX model (protobuf parse failed)");

  write_bytes(dir / "empty.onnx", "");
  CHECK(load_error(dir / "empty.onnx") == shown(dir / "empty.onnx") + ": empty file; expected an ONNX model (.onnx)");
  CHECK(load_error(dir / "absent.onnx") == shown(dir / "absent.onnx") + ": cannot open: No such file or directory");
  CHECK(load_error(dir) == shown(dir) + ": is a directory; expected an ONNX model (.onnx)");

  const auto coreml = mlconv::test::real_models();
  REQUIRE_FALSE(coreml.empty());
  CHECK(load_error(coreml.front()) ==
        shown(coreml.front()) + ": this is a Core ML model (.mlmodel), not an ONNX model; convert reads ONNX models");
}

TEST_CASE("onnx: checker failures name the file and the node") {
  const auto path = fixture("checker_failure.onnx");
  CHECK(load_error(path) ==
        shown(path) + ": node 'conv1' (Conv): ONNX checker: Node (conv1) has input size 1 not in range [min=2, max=3].");
}

TEST_CASE("onnx: shape inference contradicting the declared shapes names the node") {
  const auto path = fixture("shape_conflict.onnx");
  CHECK(load_error(path) == shown(path) +
                                ": node 'relu1' (Relu): ONNX shape inference: Inferred shape and existing shape "
                                "differ in dimension 1: (4) vs (5)");
}

// fuzz_onnx: ONNX's own shape inference divides by the stride, so a zero stride stopped
// the process with SIGFPE before any of our checks ran.
TEST_CASE("onnx: a stride or dilation below 1 is refused by node before ONNX shape inference") {
  const auto path = mlconv::test::source_dir() / "tests/fixtures/fuzz/onnx/conv-stride-zero.onnx";
  CHECK(load_error(path) == shown(path) + ": node 'n110' (Conv): attribute 'strides' has 0; every entry must be at least 1");
}

TEST_CASE("onnx: attribute types the IR cannot hold are refused by node and attribute") {
  const auto path = fixture("unsupported_attribute.onnx");
  CHECK(load_error(path) ==
        shown(path) + ": node 'lookup' (Lookup): attribute 'tables': has type TENSORS, which mlconv does not support");
}

// A model of If-like nodes nested 100 deep (each level is graph -> node -> attribute ->
// graph) is refused by the nesting limit instead of exhausting the stack.
TEST_CASE("onnx: deeply nested subgraphs stop at the protobuf nesting limit") {
  const auto field = [](int number, const std::string& payload) {
    std::string out(1, static_cast<char>(number << 3 | 2));  // length-delimited
    for (std::size_t n = payload.size(); ; n >>= 7) {
      out += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      if (n < 0x80) break;
    }
    return out + payload;
  };
  std::string graph;
  for (int level = 0; level < 100; ++level) graph = field(1, field(5, field(6, graph)));  // node.attribute.g
  const fs::path dir = mlconv::test::scratch_dir("onnx_nesting");
  write_bytes(dir / "deep.onnx", field(7, graph));
  CHECK(load_error(dir / "deep.onnx") == shown(dir / "deep.onnx") + ": not an ONNX model (protobuf parse failed)");
}

TEST_CASE("onnx: values that are not tensors are refused by name") {
  const auto path = fixture("sequence_input.onnx");
  CHECK(load_error(path) == shown(path) + ": value 'seq' is a sequence; mlconv supports tensors only");
}

}  // namespace
