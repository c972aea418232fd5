// Malformed input to load_model/parse_model: every case must end in an
// mlconv::Error whose message names the input and says what is wrong.
#include <doctest/doctest.h>
#include <google/protobuf/unknown_field_set.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "spec/error.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
namespace fs = std::filesystem;
using namespace std::string_literals;
using mlconv::spec::load_model;
using mlconv::spec::LoadOptions;
using mlconv::spec::parse_model;

fs::path swish_path() {
  return mlconv::test::realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
}

// The message of the Error that `load` throws; fails the check when it throws nothing or something else.
template <typename Load>
std::string error_of(Load&& load) {
  try {
    load();
  } catch (const mlconv::Error& error) {
    return error.what();
  } catch (const std::exception& other) {
    FAIL_CHECK("threw something other than mlconv::Error: " << other.what());
    return {};
  }
  FAIL_CHECK("accepted");
  return {};
}

std::string parse_error(std::string_view bytes, const std::string& origin, const LoadOptions& options = {}) {
  return error_of([&] { parse_model(bytes, origin, options); });
}

// What every input that protobuf itself cannot parse gets: protobuf reports no position or reason.
std::string unparsable(const std::string& origin, int depth = 256) {
  return origin + ": not a valid protobuf message (truncated, corrupt, or with messages nested more than " +
         std::to_string(depth) + " deep); expected a Core ML model (.mlmodel)";
}

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// A length-delimited field header: tag (number << 3 | 2) and length.
std::string header(int number, std::uint64_t length) {
  std::string out;
  append_varint(out, (static_cast<std::uint64_t>(number) << 3) | 2);
  append_varint(out, length);
  return out;
}

// One level of nesting: `prefix` bytes, then the inner message as field `number`.
struct Wrap {
  std::string prefix;
  int number;
};

// Wraps `innermost` in `wraps` (innermost wrap first), `levels` times over.
// Sizes are computed from the inside out and headers written from the outside
// in, so 100000 levels cost linear time.
std::string nest(const std::string& innermost, const std::vector<Wrap>& wraps, int levels) {
  std::vector<std::string> headers;
  std::uint64_t size = innermost.size();
  for (int level = 0; level < levels; ++level) {
    for (const Wrap& wrap : wraps) {
      std::string head = wrap.prefix + header(wrap.number, size);
      size += head.size();
      headers.push_back(std::move(head));
    }
  }
  std::string out;
  out.reserve(size);
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) out += *it;
  return out + innermost;
}

// Model{specificationVersion 1, pipeline{models[0]: Model{...}}}, `levels` deep.
// Model.specificationVersion = 1 (varint: 08 01), Model.pipeline = 202, Pipeline.models = 1.
// The innermost model is {specificationVersion 1, neuralNetwork {}} (field 500: tag bytes a2 1f, length 0).
std::string nested_pipelines(int levels) {
  return nest("\x08\x01\xa2\x1f\x00"s, {{"", 1}, {"\x08\x01"s, 202}}, levels);
}

// Model{specificationVersion 1, neuralNetwork{layers[0]: {name "l", loop{bodyNetwork{layers[0]: ...}}}}}.
// Model.neuralNetwork = 500, NeuralNetwork.layers = 1, NeuralNetworkLayer.name = 1 (0a 01 'l'),
// NeuralNetworkLayer.loop = 615, LoopLayerParams.bodyNetwork = 4.
std::string nested_loops(int levels) {
  const std::string network = nest("", {{"", 4}, {"\x0a\x01l"s, 615}, {"", 1}}, levels);
  return "\x08\x01"s + header(500, network.size()) + network;
}

cml::Model network_model(int version = 4) {
  cml::Model model;
  model.set_specificationversion(version);
  auto* input = model.mutable_description()->add_input();
  input->set_name("x");
  input->mutable_type()->mutable_multiarraytype()->add_shape(1);
  model.mutable_neuralnetwork();
  return model;
}

cml::NeuralNetworkLayer* add_layer(cml::NeuralNetwork* network, const std::string& name) {
  auto* layer = network->add_layers();
  layer->set_name(name);
  layer->add_input("x");
  layer->add_output(name + "_out");
  return layer;
}

// A layer carrying field 9999 (length-delimited, holding varint field 1 = 1),
// a number no layer case has: tag 9999 << 3 | 2 = 79994 = varint fa f0 04.
cml::NeuralNetworkLayer layer_of_unknown_type(const std::string& name) {
  cml::NeuralNetworkLayer named;
  named.set_name(name);
  const std::string bytes = named.SerializeAsString() + "\xfa\xf0\x04\x02\x08\x01"s;
  cml::NeuralNetworkLayer layer;
  REQUIRE(layer.ParseFromString(bytes));
  REQUIRE(layer.name() == name);
  const auto& unknown = layer.GetReflection()->GetUnknownFields(layer);
  REQUIRE(unknown.field_count() == 1);
  REQUIRE(unknown.field(0).number() == 9999);
  REQUIRE(unknown.field(0).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED);
  return layer;
}

}  // namespace

TEST_CASE("malformed: files that cannot be read as a model") {
  const fs::path dir = mlconv::test::scratch_dir("malformed_files");
  SUBCASE("path does not exist") {
    const fs::path missing = dir / "missing.mlmodel";
    CHECK(error_of([&] { load_model(missing); }) == missing.string() + ": cannot open: No such file or directory");
    try {
      load_model(missing);
    } catch (const mlconv::Error& error) {
      CHECK(error.kind() == mlconv::Error::Kind::io);
      CHECK(error.file() == missing.string());
    }
  }
  SUBCASE("a directory") {
    CHECK(error_of([&] { load_model(dir); }) == dir.string() + ": is a directory; expected a .mlmodel file");
  }
  SUBCASE("not a regular file") {
    CHECK(error_of([&] { load_model("/dev/null"); }) == "/dev/null: not a regular file; expected a .mlmodel file");
  }
  SUBCASE("empty file") {
    const fs::path empty = dir / "empty.mlmodel";
    mlconv::spec::write_file_atomically(empty, "");
    CHECK(error_of([&] { load_model(empty); }) == empty.string() + ": empty file; expected a Core ML model (.mlmodel)");
  }
  SUBCASE("larger than the limit") {
    LoadOptions options;
    options.max_bytes = 1000;
    CHECK(error_of([&] { load_model(swish_path(), options); }) ==
          swish_path().string() + ": 1558 bytes is more than the 1000-byte limit for a model");
    options.max_bytes = 1558;  // the limit itself is allowed
    CHECK(load_model(swish_path(), options).size_bytes == 1558);
  }
}

TEST_CASE("malformed: parse_model on empty input and input over the size limit") {
  CHECK(parse_error("", "label") == "label: empty input; expected a Core ML model (.mlmodel)");
  CHECK(parse_error(std::string_view{}, "label") == "label: empty input; expected a Core ML model (.mlmodel)");
  const std::string swish = mlconv::test::read_file(swish_path());
  LoadOptions options;
  options.max_bytes = 16;
  CHECK(parse_error(swish, "swish", options) == "swish: 1558 bytes is more than the 16-byte limit for a model");
  options.max_bytes = swish.size();
  CHECK(parse_model(swish, "swish", options).size_bytes == 1558);
}

TEST_CASE("malformed: a truncated real model") {
  const std::string swish = mlconv::test::read_file(swish_path());
  REQUIRE(swish.size() == 1558);
  // Cuts inside a field: in the first tag's value (1), in the description's
  // length (3), inside the description (10), in the custom layer (779, 1557).
  // (A cut at a top-level field boundary, e.g. 2 or 151, leaves a shorter but
  // well-formed message.)
  for (const std::size_t cut : {std::size_t{1}, std::size_t{3}, std::size_t{10}, swish.size() / 2, swish.size() - 1}) {
    CAPTURE(cut);
    CHECK(parse_error(std::string_view(swish).substr(0, cut), "cut") == unparsable("cut"));
  }
  // And through a file, named by its path.
  const fs::path dir = mlconv::test::scratch_dir("malformed_truncated");
  const fs::path half = dir / "half.mlmodel";
  mlconv::spec::write_file_atomically(half, std::string_view(swish).substr(0, 779));
  CHECK(error_of([&] { load_model(half); }) == unparsable(half.string()));
}

TEST_CASE("malformed: a message that ends early says where") {
  // specificationVersion 1 (08 01), then a zero byte, which no tag may be, then more.
  CHECK(parse_error("\x08\x01\x00\x08\x02"s, "zero tag") ==
        "zero tag: not a valid protobuf message: parsing stopped at byte 3 of 5; expected a Core ML model (.mlmodel)");
  // An end-group tag (field 1, wire type 4) with no group open.
  CHECK(parse_error("\x08\x01\x0c\x08\x02"s, "end group") ==
        "end group: not a valid protobuf message: parsing stopped at byte 3 of 5; expected a Core ML model "
        "(.mlmodel)");
}

TEST_CASE("malformed: random bytes are rejected with an Error naming the input") {
  for (const unsigned seed : {1U, 2U, 3U, 42U, 2024U}) {
    for (const std::size_t size : {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{10000}}) {
      CAPTURE(seed);
      CAPTURE(size);
      std::mt19937 engine(seed);
      std::string bytes(size, '\0');
      for (char& byte : bytes) byte = static_cast<char>(engine() & 0xff);
      const std::string origin = "random-" + std::to_string(seed);
      const std::string message = parse_error(bytes, origin);
      CAPTURE(message);
      CHECK(message.starts_with(origin + ": "));
    }
  }
  const fs::path dir = mlconv::test::scratch_dir("malformed_random");
  std::mt19937 engine(7);
  std::string bytes(4096, '\0');
  for (char& byte : bytes) byte = static_cast<char>(engine() & 0xff);
  mlconv::spec::write_file_atomically(dir / "noise.mlmodel", bytes);
  CHECK(error_of([&] { load_model(dir / "noise.mlmodel"); }).starts_with((dir / "noise.mlmodel").string() + ": "));
}

TEST_CASE("malformed: protobuf messages that are not Core ML models") {
  SUBCASE("an ONNX model") {
    const fs::path onnx = mlconv::test::realmodels_dir() / "onnx" / "onnx_onnx__light_shufflenet.onnx";
    // Its field 2 (producer_name, a string) cannot parse as Model.description (a message).
    CHECK(error_of([&] { load_model(onnx); }) ==
          unparsable(onnx.string()) + " (this is an ONNX file; inspect and dump read Core ML .mlmodel files)");
    // Without the file name's hint the same bytes get the plain message.
    CHECK(parse_error(mlconv::test::read_file(onnx), "bytes") == unparsable("bytes"));
  }
  SUBCASE("only fields the Model message does not have") {
    google::protobuf::UnknownFieldSet fields;
    fields.AddLengthDelimited(7, "graph");
    fields.AddVarint(8, 1);
    fields.AddVarint(3000000, 5);
    std::string bytes;
    REQUIRE(fields.SerializeToString(&bytes));
    CHECK(parse_error(bytes, "foreign") ==
          "foreign: not a Core ML model: top-level fields 7, 8, 3000000 are not in the Core ML Model message and no "
          "model type is set");
  }
  SUBCASE("well-formed but empty of everything a model has") {
    CHECK(parse_error("\x08\x00"s, "zero") ==
          "zero: not a Core ML model: no specificationVersion, description or model type");
  }
}

TEST_CASE("malformed: specificationVersion out of range") {
  cml::Model model = network_model();
  model.set_specificationversion(0);
  CHECK(parse_error(model.SerializeAsString(), "v0") == "v0: specificationVersion is 0; expected 1 to 10");
  model.set_specificationversion(-3);
  CHECK(parse_error(model.SerializeAsString(), "v-3") == "v-3: specificationVersion is -3; expected 1 to 10");
  model.set_specificationversion(11);
  CHECK(parse_error(model.SerializeAsString(), "v11") ==
        "v11: specificationVersion 11 is newer than this mlconv knows (10, iOS 26)");
  model.set_specificationversion(10);
  CHECK(parse_model(model.SerializeAsString(), "v10").model.specificationversion() == 10);
}

TEST_CASE("malformed: layers of unknown type and layers without a type") {
  SUBCASE("a layer case this schema does not know") {
    cml::Model model = network_model();
    add_layer(model.mutable_neuralnetwork(), "first")->mutable_activation()->mutable_relu();
    *model.mutable_neuralnetwork()->add_layers() = layer_of_unknown_type("mystery");
    CHECK(parse_error(model.SerializeAsString(), "m") ==
          "m: layer 'mystery' in neuralNetwork: unknown layer type (field 9999); this mlconv knows the 158 layer "
          "types of NeuralNetwork.proto");
  }
  SUBCASE("a layer with no type") {
    cml::Model model = network_model();
    add_layer(model.mutable_neuralnetwork(), "untyped");
    CHECK(parse_error(model.SerializeAsString(), "m") == "m: layer 'untyped' in neuralNetwork: has no layer type set");
  }
  SUBCASE("inside a loop body of a classifier") {
    cml::Model model = network_model();
    auto* classifier = model.mutable_neuralnetworkclassifier();
    classifier->mutable_stringclasslabels()->add_vector("a");
    auto* loop = classifier->add_layers();
    loop->set_name("loop1");
    auto* body = loop->mutable_loop()->mutable_bodynetwork();
    add_layer(body, "fine")->mutable_activation()->mutable_relu();
    *body->add_layers() = layer_of_unknown_type("inner");
    CHECK(parse_error(model.SerializeAsString(), "m") ==
          "m: layer 'inner' in neuralNetworkClassifier: unknown layer type (field 9999); this mlconv knows the 158 "
          "layer types of NeuralNetwork.proto");
  }
}

TEST_CASE("malformed: a bad model inside a pipeline names the pipeline stage") {
  cml::Model pipeline;
  pipeline.set_specificationversion(4);
  auto* stages = pipeline.mutable_pipeline();
  cml::Model good = network_model();
  add_layer(good.mutable_neuralnetwork(), "relu")->mutable_activation()->mutable_relu();
  *stages->add_models() = good;
  cml::Model bad = network_model();
  add_layer(bad.mutable_neuralnetwork(), "broken");
  *stages->add_models() = bad;
  CHECK(parse_error(pipeline.SerializeAsString(), "p") ==
        "p: pipeline model 1: layer 'broken' in neuralNetwork: has no layer type set");

  SUBCASE("one level deeper, in a pipeline classifier") {
    cml::Model outer;
    outer.set_specificationversion(4);
    *outer.mutable_pipelineclassifier()->mutable_pipeline()->add_models() = good;
    *outer.mutable_pipelineclassifier()->mutable_pipeline()->add_models() = pipeline;
    CHECK(parse_error(outer.SerializeAsString(), "p") ==
          "p: pipeline model 1: pipeline model 1: layer 'broken' in neuralNetwork: has no layer type set");
  }
  SUBCASE("a stage without specificationVersion") {
    stages->mutable_models(1)->set_specificationversion(0);
    stages->mutable_models(1)->mutable_neuralnetwork()->mutable_layers(0)->mutable_activation()->mutable_relu();
    CHECK(parse_error(pipeline.SerializeAsString(), "p") ==
          "p: pipeline model 1: specificationVersion is 0; expected 1 to 10");
  }
}

TEST_CASE("malformed: deep nesting is refused by the recursion limit, not by a stack overflow") {
  SUBCASE("100000 nested pipelines") {
    const std::string bytes = nested_pipelines(100000);
    CHECK(parse_error(bytes, "deep") == unparsable("deep"));
  }
  SUBCASE("100000 nested loop layers") {
    const std::string bytes = nested_loops(100000);
    CHECK(parse_error(bytes, "deep") == unparsable("deep"));
    const fs::path file = mlconv::test::scratch_dir("malformed_deep") / "deep.mlmodel";
    mlconv::spec::write_file_atomically(file, bytes);
    CHECK(error_of([&] { load_model(file); }) == unparsable(file.string()));
  }
  SUBCASE("moderate nesting loads, and the limit is the caller's to set") {
    const std::string pipelines = nested_pipelines(30);
    CHECK(parse_model(pipelines, "pipelines").model.pipeline().models(0).has_pipeline());
    const std::string loops = nested_loops(20);
    CHECK(parse_model(loops, "loops").model.neuralnetwork().layers(0).has_loop());
    LoadOptions shallow;
    shallow.max_recursion_depth = 10;
    CHECK(parse_error(pipelines, "pipelines", shallow) == unparsable("pipelines", 10));
    CHECK(parse_error(loops, "loops", shallow) == unparsable("loops", 10));
  }
}

TEST_CASE("malformed: networks and pipelines nested past 64 levels are refused with the limit") {
  // Well within protobuf's recursion limit (3 levels per loop, 2 per pipeline), so the nesting cap speaks.
  CHECK(parse_model(nested_loops(63), "loops").model.neuralnetwork().layers(0).has_loop());
  CHECK(parse_error(nested_loops(70), "loops") ==
        "loops: layer 'l' in neuralNetwork: its bodyNetwork is one level too many: networks and pipelines nest 65 "
        "levels deep; the limit is 64 levels");
  CHECK(parse_model(nested_pipelines(63), "pipelines").model.has_pipeline());
  const std::string deep = parse_error(nested_pipelines(70), "pipelines");
  CHECK(deep.find("networks and pipelines nest 65 levels deep; the limit is 64 levels") != std::string::npos);
  CHECK(deep.rfind("pipelines: pipeline model 0: pipeline model 0: ", 0) == 0);
}

TEST_CASE("malformed: a file cut at a field boundary has no model type and is refused") {
  const std::string swish =
      mlconv::test::read_file(mlconv::test::realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel");
  for (const std::size_t cut : {std::size_t{2}, std::size_t{151}}) {
    CAPTURE(cut);
    CHECK(parse_error(swish.substr(0, cut), "cut") ==
          "cut: no model type is set (the file may be truncated); expected one of the 37 Model.Type cases");
  }
}
