// Wire compatibility with Apple's Core ML schema: a model using the parts of the schema
// mlconv writes serializes to Apple's field numbers and wire types, checked on the raw
// bytes against facts taken from Apple's .proto files.
#include <doctest/doctest.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "spec/model_io.h"
#include "tests/spec/raw_wire.h"
#include "tests/spec/wire_test_model.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
using namespace std::string_literals;
using namespace mlconv::test::raw_wire;
using mlconv::spec::serialize_model;
using mlconv::test::wire_test_model;

enum class Wire { varint, fixed64, bytes };
using Expected = std::variant<std::monostate, std::uint64_t, std::string>;

struct WireFact {
  std::string field;  // Apple's message.field
  std::string path;   // field numbers from Model down; #k is the k-th (from 0) occurrence of a repeated field
  Wire wire;
  Expected value;     // checked when given
};

// Field numbers and wire types from Apple's Model.proto, FeatureTypes.proto,
// NeuralNetwork.proto and DataStructures.proto (coremltools mlmodel/format).
// Every field the model above sets is listed, so a field we number wrongly
// shows up both as missing here and as unexpected in its message.
std::vector<WireFact> apple_wire_facts() {
  return {
      {"Model.specificationVersion", "1", Wire::varint, std::uint64_t{2}},
      {"Model.description", "2", Wire::bytes, {}},
      {"ModelDescription.input", "2/1", Wire::bytes, {}},
      {"FeatureDescription.name", "2/1/1", Wire::bytes, "image"s},
      {"FeatureDescription.type", "2/1/3", Wire::bytes, {}},
      {"FeatureType.imageType", "2/1/3/4", Wire::bytes, {}},
      {"ImageFeatureType.width", "2/1/3/4/1", Wire::varint, std::uint64_t{64}},
      {"ImageFeatureType.height", "2/1/3/4/2", Wire::varint, std::uint64_t{32}},
      {"ImageFeatureType.colorSpace (RGB = 20)", "2/1/3/4/3", Wire::varint, std::uint64_t{20}},
      {"ModelDescription.output", "2/10", Wire::bytes, {}},
      {"FeatureDescription.name", "2/10/1", Wire::bytes, "classProbability"s},
      {"FeatureDescription.type", "2/10/3", Wire::bytes, {}},
      {"FeatureType.dictionaryType", "2/10/3/6", Wire::bytes, {}},
      {"DictionaryFeatureType.stringKeyType (empty message)", "2/10/3/6/2", Wire::bytes, ""s},
      {"ModelDescription.predictedProbabilitiesName", "2/12", Wire::bytes, "classProbability"s},
      {"ModelDescription.metadata", "2/100", Wire::bytes, {}},
      {"Metadata.author", "2/100/3", Wire::bytes, "mlconv tests"s},
      {"Metadata.userDefined entry, sorted first", "2/100/100", Wire::bytes, {}},
      {"map entry key", "2/100/100/1", Wire::bytes, "alpha"s},
      {"map entry value", "2/100/100/2", Wire::bytes, "first"s},
      {"Metadata.userDefined entry, sorted second", "2/100/100#1", Wire::bytes, {}},
      {"map entry key", "2/100/100#1/1", Wire::bytes, "zeta"s},
      {"map entry value", "2/100/100#1/2", Wire::bytes, "last"s},
      {"Model.neuralNetworkClassifier", "403", Wire::bytes, {}},
      {"NeuralNetworkClassifier.layers", "403/1", Wire::bytes, {}},
      {"NeuralNetworkLayer.name", "403/1/1", Wire::bytes, "conv1"s},
      {"NeuralNetworkLayer.input", "403/1/2", Wire::bytes, "image"s},
      {"NeuralNetworkLayer.output", "403/1/3", Wire::bytes, "features"s},
      {"NeuralNetworkLayer.convolution", "403/1/100", Wire::bytes, {}},
      {"ConvolutionLayerParams.outputChannels", "403/1/100/1", Wire::varint, std::uint64_t{2}},
      {"ConvolutionLayerParams.kernelChannels", "403/1/100/2", Wire::varint, std::uint64_t{3}},
      {"ConvolutionLayerParams.nGroups", "403/1/100/10", Wire::varint, std::uint64_t{1}},
      {"ConvolutionLayerParams.kernelSize (packed varints)", "403/1/100/20", Wire::bytes, "\x01\x01"s},
      {"ConvolutionLayerParams.valid (empty message)", "403/1/100/50", Wire::bytes, ""s},
      {"ConvolutionLayerParams.hasBias", "403/1/100/70", Wire::varint, std::uint64_t{1}},
      {"ConvolutionLayerParams.weights", "403/1/100/90", Wire::bytes, {}},
      {"WeightParams.floatValue (packed)", "403/1/100/90/1", Wire::bytes, le_floats({1, -1, 0.5F, 2, 0.25F, -4})},
      {"ConvolutionLayerParams.bias", "403/1/100/91", Wire::bytes, {}},
      {"WeightParams.floatValue (packed)", "403/1/100/91/1", Wire::bytes, le_floats({0.5F, -0.5F})},
      {"NeuralNetworkClassifier.layers, second", "403/1#1", Wire::bytes, {}},
      {"NeuralNetworkLayer.name", "403/1#1/1", Wire::bytes, "swish1"s},
      {"NeuralNetworkLayer.input", "403/1#1/2", Wire::bytes, "features"s},
      {"NeuralNetworkLayer.output", "403/1#1/3", Wire::bytes, "classProbability"s},
      {"NeuralNetworkLayer.custom", "403/1#1/500", Wire::bytes, {}},
      {"CustomLayerParams.className", "403/1#1/500/10", Wire::bytes, "Swish"s},
      {"CustomLayerParams.weights", "403/1#1/500/20", Wire::bytes, {}},
      {"WeightParams.float16Value", "403/1#1/500/20/2", Wire::bytes, "\x00\x3c"s},
      {"CustomLayerParams.parameters entry", "403/1#1/500/30", Wire::bytes, {}},
      {"map entry key", "403/1#1/500/30/1", Wire::bytes, "beta"s},
      {"map entry value", "403/1#1/500/30/2", Wire::bytes, {}},
      {"CustomLayerParamValue.doubleValue", "403/1#1/500/30/2/10", Wire::fixed64, std::bit_cast<std::uint64_t>(1.5)},
      {"CustomLayerParams.description", "403/1#1/500/40", Wire::bytes, "x * sigmoid(beta * x)"s},
      {"NeuralNetworkClassifier.stringClassLabels", "403/100", Wire::bytes, {}},
      {"StringVector.vector", "403/100/1", Wire::bytes, "cat"s},
      {"StringVector.vector", "403/100/1#1", Wire::bytes, "dog"s},
  };
}

Raw::Type raw_type(Wire wire) {
  switch (wire) {
    case Wire::varint: return Raw::TYPE_VARINT;
    case Wire::fixed64: return Raw::TYPE_FIXED64;
    case Wire::bytes: return Raw::TYPE_LENGTH_DELIMITED;
  }
  return Raw::TYPE_GROUP;
}

}  // namespace

// ---- Wire compatibility with Apple's schema ----

TEST_CASE("model io: a serialized model carries Apple's field numbers and wire types") {
  const std::string bytes = serialize_model(wire_test_model());
  // Fields go out in number order: specificationVersion (1, varint 2) first, then description (2).
  CHECK(bytes.substr(0, 3) == "\x08\x02\x12"s);

  std::map<std::string, std::map<int, int>> expected_children;  // message path -> field number -> occurrences
  for (const WireFact& fact : apple_wire_facts()) {
    CAPTURE(fact.field);
    CAPTURE(fact.path);
    const std::vector<Step> steps = parse_path(fact.path);
    const std::size_t slash = fact.path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : fact.path.substr(0, slash);
    int& count = expected_children[parent][steps.back().number];
    count = std::max(count, steps.back().occurrence + 1);

    const auto field = field_at(bytes, steps);
    REQUIRE_MESSAGE(field.has_value(), "field missing on the wire");
    CHECK(field->type == raw_type(fact.wire));
    if (const auto* number = std::get_if<std::uint64_t>(&fact.value)) CHECK(field->value == *number);
    if (const auto* text = std::get_if<std::string>(&fact.value)) CHECK(field->bytes == *text);
  }

  // No field beyond those listed: a wrongly numbered field would appear here.
  for (const auto& entry : expected_children) {
    const auto& parent = entry.first;
    const auto& children = entry.second;
    CAPTURE(parent);
    std::string message = bytes;
    if (!parent.empty()) {
      const auto field = field_at(bytes, parse_path(parent));
      REQUIRE(field.has_value());
      message = field->bytes;
    }
    std::map<int, int> actual;
    const auto fields = raw_fields(message);
    REQUIRE(fields.has_value());
    for (const RawField& field : *fields) ++actual[field.number];
    CHECK(actual == children);
  }

  const auto loaded = mlconv::spec::parse_model(bytes, "wire test");
  CHECK(pb::util::MessageDifferencer::Equals(loaded.model, wire_test_model()));
  CHECK(loaded.unknown.empty());
}
