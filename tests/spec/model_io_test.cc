#include "spec/model_io.h"

#include <doctest/doctest.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spec/error.h"
#include "spec/unknown_fields.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
namespace fs = std::filesystem;
using namespace std::string_literals;
using mlconv::spec::load_model;
using mlconv::spec::LoadedModel;
using mlconv::spec::save_model;
using mlconv::spec::serialize_model;
using Raw = pb::UnknownField;

// ---- Raw wire access, without any schema ----

struct RawField {
  int number = 0;
  Raw::Type type = Raw::TYPE_VARINT;
  std::uint64_t value = 0;  // varint, fixed32 and fixed64
  std::string bytes;        // length-delimited payload
};

// The fields of one message in wire order; nullopt when the bytes are not protobuf.
std::optional<std::vector<RawField>> raw_fields(const std::string& bytes) {
  pb::UnknownFieldSet set;
  if (!set.ParseFromString(bytes)) return std::nullopt;
  std::vector<RawField> fields;
  for (int i = 0; i < set.field_count(); ++i) {
    const Raw& field = set.field(i);
    RawField raw;
    raw.number = field.number();
    raw.type = field.type();
    switch (field.type()) {
      case Raw::TYPE_VARINT: raw.value = field.varint(); break;
      case Raw::TYPE_FIXED32: raw.value = field.fixed32(); break;
      case Raw::TYPE_FIXED64: raw.value = field.fixed64(); break;
      case Raw::TYPE_LENGTH_DELIMITED: raw.bytes = field.length_delimited(); break;
      case Raw::TYPE_GROUP: break;
    }
    fields.push_back(std::move(raw));
  }
  return fields;
}

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Encodes fields by the wire format's rules alone (tag = number << 3 | wire type).
std::string encode(const std::vector<RawField>& fields) {
  std::string out;
  for (const RawField& field : fields) {
    const auto number = static_cast<std::uint64_t>(field.number) << 3;
    switch (field.type) {
      case Raw::TYPE_VARINT:
        append_varint(out, number | 0);
        append_varint(out, field.value);
        break;
      case Raw::TYPE_FIXED64:
        append_varint(out, number | 1);
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((field.value >> (8 * i)) & 0xff));
        break;
      case Raw::TYPE_LENGTH_DELIMITED:
        append_varint(out, number | 2);
        append_varint(out, field.bytes.size());
        out += field.bytes;
        break;
      case Raw::TYPE_FIXED32:
        append_varint(out, number | 5);
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((field.value >> (8 * i)) & 0xff));
        break;
      case Raw::TYPE_GROUP:
        FAIL("groups do not occur in Core ML files");
    }
  }
  return out;
}

struct Step {
  int number;
  int occurrence;
};

// "403/1#1/500": field 403, then the second field 1 in it, then field 500 in that.
std::vector<Step> parse_path(std::string_view path) {
  std::vector<Step> steps;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string step(path.substr(0, slash));
    const std::size_t hash = step.find('#');
    const int occurrence = hash == std::string::npos ? 0 : std::stoi(step.substr(hash + 1));
    steps.push_back({std::stoi(step.substr(0, hash)), occurrence});
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return steps;
}

std::optional<RawField> field_at(const std::string& message, const std::vector<Step>& steps) {
  std::string current = message;
  std::optional<RawField> found;
  for (const Step& step : steps) {
    if (found) {
      if (found->type != Raw::TYPE_LENGTH_DELIMITED) return std::nullopt;
      current = found->bytes;
    }
    const auto fields = raw_fields(current);
    if (!fields) return std::nullopt;
    found.reset();
    int seen = 0;
    for (const RawField& field : *fields) {
      if (field.number == step.number && seen++ == step.occurrence) {
        found = field;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return found;
}

std::string le_floats(std::initializer_list<float> values) {
  std::string out;
  for (const float v : values) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  return out;
}

// Applies `edit` to the payload of every length-delimited field `number` of a message.
using Edit = std::function<std::string(const std::string&)>;

std::string rewrite(const std::string& message, int number, const Edit& edit) {
  auto fields = raw_fields(message);
  REQUIRE(fields.has_value());
  for (RawField& field : *fields) {
    if (field.number == number && field.type == Raw::TYPE_LENGTH_DELIMITED) field.bytes = edit(field.bytes);
  }
  return encode(*fields);
}

std::string drop_fields(const std::string& message, int number) {
  auto fields = raw_fields(message);
  REQUIRE(fields.has_value());
  std::erase_if(*fields, [&](const RawField& field) { return field.number == number; });
  return encode(*fields);
}

// A Model's bytes with every Metadata.userDefined entry (Model.description = 2,
// ModelDescription.metadata = 100, Metadata.userDefined = 100) removed, pipeline
// stages (pipelineClassifier = 200 and pipelineRegressor = 201 hold a Pipeline in
// field 1; pipeline = 202; Pipeline.models = 1) included. Everything else keeps its bytes.
std::string without_user_defined(const std::string& model) {
  const auto pipeline = [](const std::string& bytes) { return rewrite(bytes, 1, without_user_defined); };
  std::string out = rewrite(model, 2, [](const std::string& description) {
    return rewrite(description, 100, [](const std::string& metadata) { return drop_fields(metadata, 100); });
  });
  out = rewrite(out, 202, pipeline);
  out = rewrite(out, 200, [&](const std::string& bytes) { return rewrite(bytes, 1, pipeline); });
  return rewrite(out, 201, [&](const std::string& bytes) { return rewrite(bytes, 1, pipeline); });
}

// The keys of the top-level Metadata.userDefined entries (map entry key = 1), in file order.
std::vector<std::string> user_defined_keys(const std::string& model) {
  std::vector<std::string> keys;
  const auto metadata = field_at(model, parse_path("2/100"));
  if (!metadata) return keys;
  for (const RawField& entry : raw_fields(metadata->bytes).value_or(std::vector<RawField>{})) {
    if (entry.number != 100) continue;
    const auto key = field_at(entry.bytes, parse_path("1"));
    keys.push_back(key ? key->bytes : "");
  }
  return keys;
}

// ---- Helpers for real models ----

std::optional<LoadedModel> load_or_fail(const fs::path& path) {
  try {
    return load_model(path);
  } catch (const mlconv::Error& error) {
    FAIL_CHECK("load_model threw: " << error.what());
    return std::nullopt;
  }
}

std::string differences(const pb::Message& a, const pb::Message& b) {
  std::string report;
  pb::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&report);
  differ.Compare(a, b);
  return report.substr(0, 2000);
}

std::string listing(const std::vector<mlconv::spec::UnknownField>& unknown) {
  std::ostringstream out;
  for (std::size_t i = 0; i < unknown.size() && i < 10; ++i) {
    out << "\n  " << (unknown[i].path.empty() ? "(top)" : unknown[i].path) << ": field " << unknown[i].number;
  }
  return out.str();
}

std::vector<std::string> directory_listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::ranges::sort(names);
  return names;
}

std::vector<fs::path> all_real_models() {
  auto models = mlconv::test::real_models();
  // The README lists 14 .mlmodel files; fewer means the fixtures are missing and every loop below would pass vacuously.
  REQUIRE(models.size() >= 14);
  return models;
}

// Re-serialization is byte-identical for these files. Established independently
// of mlconv: `protoc --decode=CoreML.Specification.Model` with Apple's .proto
// files, then `protoc --encode`, reproduces exactly these 11 files. The other
// three (colorizer_tail by coremltools 6.2, GestureClassifier and HealthySnacks by
// Turi Create) list Metadata.userDefined map entries in their writers' order,
// while deterministic serialization sorts map entries by key.
const std::set<std::string> byte_identical = {
    "JacopoMangiavacchi_CoreML-TransferLearning-Demo__s4tf_house_trainable_updatable.mlmodel",
    "Kautenja_ios-semantic-segmentation__Tiramisu45.mlmodel",
    "PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight.mlmodel",
    "afsaredrisy_ios-semantic-segmentation-coreml__deeplab_dm05_float32_fp16.mlmodel",
    "apple_coremltools__TinyDrawingEmbedding.mlmodel",
    "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel",
    "kodeco_mlt-materials__Es2EnBidirGruCharEncoder16Bit.mlmodel",
    "kodeco_mlt-materials__Es2EnCharDecoder16Bit.mlmodel",
    "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape.mlmodel",
    "mariozusag_activity-prediction-app__live_coreml_model_BiLSTM.mlmodel",
    "vincentfpgarcia_from-pytorch-to-coreml__my_network.mlmodel",
};

// ---- A small model covering the parts of the schema checked on the wire ----

cml::Model wire_test_model() {
  cml::Model model;
  model.set_specificationversion(2);
  auto* description = model.mutable_description();
  auto* input = description->add_input();
  input->set_name("image");
  auto* image = input->mutable_type()->mutable_imagetype();
  image->set_width(64);
  image->set_height(32);
  image->set_colorspace(cml::ImageFeatureType::RGB);
  auto* output = description->add_output();
  output->set_name("classProbability");
  output->mutable_type()->mutable_dictionarytype()->mutable_stringkeytype();
  description->set_predictedprobabilitiesname("classProbability");
  auto* metadata = description->mutable_metadata();
  metadata->set_author("mlconv tests");
  (*metadata->mutable_userdefined())["zeta"] = "last";
  (*metadata->mutable_userdefined())["alpha"] = "first";

  auto* classifier = model.mutable_neuralnetworkclassifier();
  auto* conv_layer = classifier->add_layers();
  conv_layer->set_name("conv1");
  conv_layer->add_input("image");
  conv_layer->add_output("features");
  auto* conv = conv_layer->mutable_convolution();
  conv->set_outputchannels(2);
  conv->set_kernelchannels(3);
  conv->set_ngroups(1);
  conv->add_kernelsize(1);
  conv->add_kernelsize(1);
  conv->mutable_valid();
  conv->set_hasbias(true);
  for (const float w : {1.0F, -1.0F, 0.5F, 2.0F, 0.25F, -4.0F}) conv->mutable_weights()->add_floatvalue(w);
  conv->mutable_bias()->add_floatvalue(0.5F);
  conv->mutable_bias()->add_floatvalue(-0.5F);

  auto* custom_layer = classifier->add_layers();
  custom_layer->set_name("swish1");
  custom_layer->add_input("features");
  custom_layer->add_output("classProbability");
  auto* custom = custom_layer->mutable_custom();
  custom->set_classname("Swish");
  custom->add_weights()->set_float16value("\x00\x3c"s);  // 1.0 as a little-endian half
  (*custom->mutable_parameters())["beta"].set_doublevalue(1.5);
  custom->set_description("x * sigmoid(beta * x)");

  classifier->mutable_stringclasslabels()->add_vector("cat");
  classifier->mutable_stringclasslabels()->add_vector("dog");
  return model;
}

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

// ---- Real models ----

TEST_CASE("model io: every real model loads, with no unknown field anywhere") {
  for (const fs::path& path : all_real_models()) {
    const std::string name = path.filename().string();
    CAPTURE(name);
    const auto loaded = load_or_fail(path);
    if (!loaded) continue;
    CHECK(loaded->origin == path.string());
    CHECK(loaded->size_bytes == fs::file_size(path));
    CHECK(loaded->model.specificationversion() >= 1);
    CHECK(loaded->model.Type_case() != cml::Model::TYPE_NOT_SET);
    INFO("unknown fields:" << listing(loaded->unknown));
    CHECK(loaded->unknown.empty());
    CHECK(mlconv::spec::find_unknown_fields(loaded->model).empty());
  }
}

TEST_CASE("model io: every real model re-serializes to bytes that parse into an equal message") {
  for (const fs::path& path : all_real_models()) {
    const std::string name = path.filename().string();
    CAPTURE(name);
    const auto loaded = load_or_fail(path);
    if (!loaded) continue;
    const std::string bytes = serialize_model(loaded->model);
    cml::Model reparsed;
    REQUIRE(reparsed.ParseFromString(bytes));
    INFO("differences: " << differences(loaded->model, reparsed));
    CHECK(pb::util::MessageDifferencer::Equals(loaded->model, reparsed));
    // Deterministic: the same message serializes the same way twice.
    CHECK(serialize_model(reparsed) == bytes);
  }
}

TEST_CASE("model io: re-serialization is byte-identical where the writer sorted map entries") {
  std::set<std::string> seen;
  for (const fs::path& path : all_real_models()) {
    const std::string name = path.filename().string();
    CAPTURE(name);
    const auto loaded = load_or_fail(path);
    if (!loaded) continue;
    const std::string file = mlconv::test::read_file(path);
    const std::string bytes = serialize_model(loaded->model);
    // The schema-free re-encoder reproduces the file, so comparisons through it are faithful.
    REQUIRE(encode(raw_fields(file).value()) == file);

    // Whatever the writer, the only difference allowed is the order of userDefined entries.
    CHECK(bytes.size() == file.size());
    CHECK(without_user_defined(bytes) == without_user_defined(file));
    auto sorted_keys = user_defined_keys(file);
    std::ranges::sort(sorted_keys);
    CHECK(user_defined_keys(bytes) == sorted_keys);

    if (byte_identical.contains(name)) {
      seen.insert(name);
      CHECK(bytes == file);
    } else {
      CHECK(bytes != file);
      CHECK(user_defined_keys(file) != sorted_keys);
    }
  }
  CHECK(seen == byte_identical);
}

TEST_CASE("model io: save_model then load_model gives back every real model") {
  const fs::path dir = mlconv::test::scratch_dir("model_io_real_save");
  for (const fs::path& path : all_real_models()) {
    const std::string name = path.filename().string();
    CAPTURE(name);
    const auto loaded = load_or_fail(path);
    if (!loaded) continue;
    const fs::path target = dir / name;
    save_model(loaded->model, target);
    const auto again = load_or_fail(target);
    if (!again) continue;
    INFO("differences: " << differences(loaded->model, again->model));
    CHECK(pb::util::MessageDifferencer::Equals(loaded->model, again->model));
    CHECK(again->size_bytes == loaded->size_bytes);
  }
  // One file per model and no temporary files left beside them.
  std::vector<std::string> expected;
  for (const fs::path& path : all_real_models()) expected.push_back(path.filename().string());
  CHECK(directory_listing(dir) == expected);
}

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

// ---- Saving ----

TEST_CASE("model io: saving into a directory that does not exist fails, names the file and leaves nothing") {
  const fs::path dir = mlconv::test::scratch_dir("model_io_missing_dir");
  const fs::path target = dir / "absent" / "model.mlmodel";
  const std::string expected =
      target.string() + ": cannot create a temporary file beside it: No such file or directory";
  CHECK_THROWS_WITH_AS(save_model(wire_test_model(), target), expected.c_str(), mlconv::Error);
  CHECK_THROWS_WITH_AS(mlconv::spec::write_file_atomically(target, "bytes"), expected.c_str(), mlconv::Error);
  try {
    save_model(wire_test_model(), target);
  } catch (const mlconv::Error& error) {
    CHECK(error.kind() == mlconv::Error::Kind::io);
    CHECK(error.file() == target.string());
    CHECK(error.exit_code() == 1);
  }
  CHECK_FALSE(fs::exists(dir / "absent"));
  CHECK(fs::is_empty(dir));
}

TEST_CASE("model io: a successful save leaves only the file, holding exactly the serialized model") {
  const fs::path dir = mlconv::test::scratch_dir("model_io_save");
  const cml::Model model = wire_test_model();
  save_model(model, dir / "model.mlmodel");
  CHECK(directory_listing(dir) == std::vector<std::string>{"model.mlmodel"});
  CHECK(mlconv::test::read_file(dir / "model.mlmodel") == serialize_model(model));
  const auto loaded = load_model(dir / "model.mlmodel");
  CHECK(pb::util::MessageDifferencer::Equals(loaded.model, model));

  mlconv::spec::write_file_atomically(dir / "empty.bin", "");
  CHECK(directory_listing(dir) == std::vector<std::string>{"empty.bin", "model.mlmodel"});
  CHECK(fs::file_size(dir / "empty.bin") == 0);
}

TEST_CASE("model io: overwriting replaces the file whole") {
  const fs::path dir = mlconv::test::scratch_dir("model_io_overwrite");
  const fs::path target = dir / "model.mlmodel";
  const std::string old_content(100000, 'x');
  mlconv::spec::write_file_atomically(target, old_content);
  REQUIRE(mlconv::test::read_file(target) == old_content);

  // A reader that opened the old file keeps reading the old file: the new one
  // arrives by rename, not by rewriting the old one in place.
  std::ifstream reader(target, std::ios::binary);
  REQUIRE(reader.good());

  const cml::Model model = wire_test_model();
  save_model(model, target);
  const std::string now = mlconv::test::read_file(target);
  CHECK(now == serialize_model(model));  // shorter than before, and no old tail
  CHECK(now.size() < old_content.size());
  CHECK(directory_listing(dir) == std::vector<std::string>{"model.mlmodel"});

  const std::string seen_by_reader{std::istreambuf_iterator<char>(reader), std::istreambuf_iterator<char>()};
  CHECK(seen_by_reader == old_content);
}

TEST_CASE("model io: writing over a directory fails without leaving a temporary file") {
  const fs::path dir = mlconv::test::scratch_dir("model_io_over_directory");
  fs::create_directory(dir / "model.mlmodel");
  CHECK_THROWS_WITH_AS(save_model(wire_test_model(), dir / "model.mlmodel"),
                       ((dir / "model.mlmodel").string() + ": rename into place failed: Is a directory").c_str(),
                       mlconv::Error);
  CHECK(directory_listing(dir) == std::vector<std::string>{"model.mlmodel"});
  CHECK(fs::is_directory(dir / "model.mlmodel"));
}
