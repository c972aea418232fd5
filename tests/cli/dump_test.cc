// Tests for `mlconv dump` and the printers behind it (cli/proto_printer.h).
//
// Golden files: tests/golden/dump/<model>.txt and .json hold the tool's own
// elided output for three small real models; they were checked by eye against
// `protoc --decode_raw` and TextFormat output when written. After an intended
// format change, regenerate them and review the diff before committing:
//   MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc="dump: elided*golden*"
#include "cli/proto_printer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <nlohmann/json.hpp>

#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace mlconv::test;

const std::vector<std::string> golden_models = {
    "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish",
    "lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape",
    "Vadbeg_colorization-coreml__colorizer_tail",
};
// The one small real model with no repeated number field over 16 values and no
// blob over 32 bytes: its elided dumps must carry the whole model.
const std::string model_with_nothing_long = "Vadbeg_colorization-coreml__colorizer_tail";

fs::path real_model(const std::string& stem) { return realmodels_dir() / (stem + ".mlmodel"); }

bool updating_goldens() {
  const char* flag = std::getenv("MLCONV_UPDATE_GOLDEN");
  return flag != nullptr && std::string(flag) == "1";
}

void check_against_golden(const std::string& actual, const fs::path& golden) {
  if (updating_goldens()) {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    MESSAGE("rewrote " << golden.string());
    return;
  }
  REQUIRE_MESSAGE(fs::exists(golden), golden.string() << " is missing; run with MLCONV_UPDATE_GOLDEN=1 to create it");
  CHECK(actual == read_file(golden));
}

// Names the first difference instead of printing two multi-megabyte messages.
void check_same_model(const cml::Model& actual, const cml::Model& expected) {
  pb::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  const bool same = differencer.Compare(actual, expected);
  CHECK_MESSAGE(same, report.substr(0, 2000));
}

cml::Model parse_text(const std::string& text) {
  cml::Model model;
  REQUIRE(pb::TextFormat::ParseFromString(text, &model));
  return model;
}

cml::Model parse_json(const std::string& text) {
  cml::Model model;
  const auto status = pb::util::JsonStringToMessage(text, &model);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  return model;
}

std::string protobuf_json(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string out;
  REQUIRE(pb::util::MessageToJsonString(message, &out, options).ok());
  return out;
}

// The elided dump spells a float as its shortest float decimal ("0.94786733"),
// protobuf as nine digits ("0.947867334"); both read back as the same float.
// Doubles are compared exactly first, so only float-width spellings pass this way.
bool same_json_at_float_precision(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x == y || static_cast<float>(x) == static_cast<float>(y);
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_json_at_float_precision(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key) || !same_json_at_float_precision(value, b.at(key))) return false;
    }
    return true;
  }
  return a == b;
}

std::string text_elided(const pb::Message& message) {
  std::ostringstream out;
  mlconv::cli::print_text_elided(message, out);
  return out.str();
}

// Everything the printers must spell like protobuf: escapes, non-ASCII, 64-bit
// and negative integers, open enums, float edge values, maps, short blobs.
cml::Model model_with_awkward_values() {
  cml::Model model;
  model.set_specificationversion(4);
  auto* metadata = model.mutable_description()->mutable_metadata();
  metadata->set_shortdescription("quote \" apostrophe ' backslash \\ newline \n tab \t bell \x07 del \x7f");
  metadata->set_author("Zoë 日本");
  (*metadata->mutable_userdefined())["zeta"] = "last";
  (*metadata->mutable_userdefined())["alpha"] = "first";
  (*metadata->mutable_userdefined())[""] = "empty key";
  auto* input = model.mutable_description()->add_input();
  input->set_name("x");
  auto* array = input->mutable_type()->mutable_multiarraytype();
  array->add_shape(1);
  array->add_shape(-1);
  array->add_shape(std::numeric_limits<std::int64_t>::max());
  array->set_datatype(static_cast<cml::ArrayFeatureType::ArrayDataType>(77));  // not in the enum
  auto* layer = model.mutable_neuralnetwork()->add_layers();
  layer->set_name("dense");
  layer->add_input("x");
  layer->add_output("y");
  auto* inner = layer->mutable_innerproduct();
  inner->set_outputchannels(std::numeric_limits<std::uint64_t>::max());
  for (const float value : {0.1f, -2.5f, 1e-05f, std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                            -0.0f, std::numeric_limits<float>::infinity(), 16777216.0f}) {
    inner->mutable_weights()->add_floatvalue(value);
  }
  std::string blob;
  for (int i = 0; i < 32; ++i) blob += static_cast<char>(i * 8);
  inner->mutable_bias()->set_rawvalue(blob);
  auto* custom = model.mutable_neuralnetwork()->add_layers();
  custom->set_name("custom");
  custom->mutable_custom()->set_classname("Swish");
  (*custom->mutable_custom()->mutable_parameters())["small"].set_doublevalue(std::numeric_limits<double>::denorm_min());
  (*custom->mutable_custom()->mutable_parameters())["big"].set_doublevalue(1e300);
  (*custom->mutable_custom()->mutable_parameters())["tenth"].set_doublevalue(0.1);
  return model;
}

}  // namespace

TEST_CASE("dump: elided text and JSON of small real models match the golden files") {
  const fs::path golden_dir = source_dir() / "tests" / "golden" / "dump";
  for (const std::string& stem : golden_models) {
    CAPTURE(stem);
    const CommandResult text = run_mlconv({"dump", real_model(stem).string()});
    REQUIRE(text.exit_code == 0);
    CHECK(text.err.empty());
    check_against_golden(text.out, golden_dir / (stem + ".txt"));
    const CommandResult json_dump = run_mlconv({"dump", "--json", real_model(stem).string()});
    REQUIRE(json_dump.exit_code == 0);
    check_against_golden(json_dump.out, golden_dir / (stem + ".json"));
  }
}

TEST_CASE("dump --full: text is exactly TextFormat's and parses back into the same model, for every real model") {
  for (const fs::path& path : real_models()) {
    CAPTURE(path.filename().string());
    const auto loaded = mlconv::spec::load_model(path);
    const CommandResult result = run_mlconv({"dump", "--full", path.string()});
    REQUIRE(result.exit_code == 0);
    std::string expected;
    REQUIRE(pb::TextFormat::PrintToString(loaded.model, &expected));
    CHECK(result.out == expected);
    check_same_model(parse_text(result.out), loaded.model);
  }
}

TEST_CASE("dump --json --full: JSON is MessageToJsonString's and parses back into the same model, for every real model") {
  for (const fs::path& path : real_models()) {
    CAPTURE(path.filename().string());
    const auto loaded = mlconv::spec::load_model(path);
    const CommandResult result = run_mlconv({"dump", "--json", "--full", path.string()});
    REQUIRE(result.exit_code == 0);
    // MessageToJsonString emits map entries in hash order, dump in key order;
    // parsed objects compare without regard to key order.
    CHECK(json::parse(result.out) == json::parse(protobuf_json(loaded.model)));
    check_same_model(parse_json(result.out), loaded.model);
  }
  // Maps with at most one entry leave no order to differ in: byte for byte.
  const auto swish = mlconv::spec::load_model(real_model(golden_models[0]));
  CHECK(run_mlconv({"dump", "--json", "--full", real_model(golden_models[0]).string()}).out == protobuf_json(swish.model));
}

TEST_CASE("dump: with nothing long, the elided dumps carry the whole model") {
  const auto loaded = mlconv::spec::load_model(real_model(model_with_nothing_long));
  const std::string path = real_model(model_with_nothing_long).string();
  const std::string text = run_mlconv({"dump", path}).out;
  const std::string elided_json = run_mlconv({"dump", "--json", path}).out;
  const std::string full_json = run_mlconv({"dump", "--json", "--full", path}).out;
  REQUIRE(text.find("...") == std::string::npos);

  check_same_model(parse_text(text), loaded.model);
  check_same_model(parse_json(elided_json), loaded.model);
  const json elided_parsed = json::parse(elided_json);
  const json full_parsed = json::parse(full_json);
  CHECK(same_json_at_float_precision(elided_parsed, full_parsed));
  CHECK(same_json_at_float_precision(full_parsed, elided_parsed));

  SUBCASE("and so does a model built from awkward values") {
    const cml::Model awkward = model_with_awkward_values();
    const std::string awkward_text = text_elided(awkward);
    CHECK(awkward_text.find("...") == std::string::npos);
    check_same_model(parse_text(awkward_text), awkward);
    const std::string awkward_json = mlconv::cli::to_json_elided(awkward).dump();
    check_same_model(parse_json(awkward_json), awkward);
    CHECK(same_json_at_float_precision(json::parse(awkward_json), json::parse(protobuf_json(awkward))));
    // Strings are escaped exactly as TextFormat escapes them.
    std::string expected_metadata;
    pb::TextFormat::PrintToString(awkward.description().metadata(), &expected_metadata);
    std::string printed_metadata;
    {
      std::ostringstream out;
      mlconv::cli::print_text_elided(awkward.description().metadata(), out);
      printed_metadata = out.str();
    }
    CHECK(printed_metadata == expected_metadata);
  }
}

TEST_CASE("dump: a 5000-float weight and a float16 blob show exactly the documented elided lines") {
  cml::Model model;
  model.set_specificationversion(4);
  auto* layer = model.mutable_neuralnetwork()->add_layers();
  layer->set_name("dense");
  layer->add_input("x");
  layer->add_output("y");
  auto* inner = layer->mutable_innerproduct();
  inner->set_inputchannels(50);
  inner->set_outputchannels(100);
  for (const float value : {0.1f, -2.5f, 1e-05f, 3.4028235e38f, 0.33333334f, -0.0f, 100000.0f, 16777216.0f}) {
    inner->mutable_weights()->add_floatvalue(value);
  }
  for (int i = 8; i < 5000; ++i) inner->mutable_weights()->add_floatvalue(static_cast<float>(i));
  // Little-endian halves: 1, -2, 0.333251953125, 65504, 2^-24, -0, inf, 0.0999755859375.
  std::string halves("\x00\x3c\x00\xc0\x55\x35\xff\x7b\x01\x00\x00\x80\x00\x7c\x66\x2e", 16);
  halves.resize(9408, '\x11');
  inner->mutable_bias()->set_float16value(halves);

  const fs::path dir = scratch_dir("dump_elision");
  const fs::path path = dir / "long.mlmodel";
  mlconv::spec::save_model(model, path);
  const CommandResult text = run_mlconv({"dump", path.string()});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("        floatValue: [0.1, -2.5, 1e-05, 3.4028235e+38, 0.33333334, -0, 1e+05, 16777216, ...]"
                      "  # 8 of 5000 values shown\n") != std::string::npos);
  CHECK(text.out.find(R"(        float16Value: "\000<\000\300U5\377{\001\000\000\200\000|f."...)"
                      R"(  # 16 of 9408 bytes shown; as float16: [1, -2, 0.3333, 6.55e+04, 6e-08, -0, inf, 0.1, ...])"
                      "\n") != std::string::npos);

  const CommandResult json_dump = run_mlconv({"dump", "--json", path.string()});
  REQUIRE(json_dump.exit_code == 0);
  const json weights = json::parse(json_dump.out)["neuralNetwork"]["layers"][0]["innerProduct"];
  CHECK(weights["weights"]["floatValue"] ==
        json::parse(R"({"elided": true, "count": 5000,
                        "first": [0.1, -2.5, 1e-05, 3.4028235e+38, 0.33333334, -0.0, 100000, 16777216]})"));
  CHECK(weights["bias"]["float16Value"] ==
        json::parse(R"({"elided": true, "bytes": 9408, "firstBase64": "ADwAwFU1/3sBAACAAHxmLg==",
                        "firstFloat16": [1, -2, 0.3333, 65500, 6e-08, -0.0, "Infinity", 0.1]})"));
}

TEST_CASE("dump: elision starts above 16 values and above 32 bytes") {
  cml::WeightParams weights;
  for (int i = 0; i < 16; ++i) weights.add_floatvalue(static_cast<float>(i));
  weights.set_rawvalue(std::string(32, 'a'));
  std::string text = text_elided(weights);
  CHECK(text.find("...") == std::string::npos);
  CHECK(text.find("floatValue: 15\n") != std::string::npos);
  CHECK(text.find("rawValue: \"" + std::string(32, 'a') + "\"\n") != std::string::npos);

  weights.add_floatvalue(std::nanf(""));
  weights.set_rawvalue(std::string(33, 'a'));
  text = text_elided(weights);
  CHECK(text == "floatValue: [0, 1, 2, 3, 4, 5, 6, 7, ...]  # 8 of 17 values shown\n"
                "rawValue: \"aaaaaaaaaaaaaaaa\"...  # 16 of 33 bytes shown\n");
  CHECK(mlconv::cli::to_json_elided(weights)["rawValue"] ==
        nlohmann::ordered_json::parse(R"({"elided": true, "bytes": 33, "firstBase64": "YWFhYWFhYWFhYWFhYWFhYQ=="})"));
}

TEST_CASE("dump: map entries print in key order, numerically for integer keys") {
  cml::Int64ToStringMap map;
  (*map.mutable_map())[10] = "ten";
  (*map.mutable_map())[-3] = "minus three";
  (*map.mutable_map())[2] = "two";
  CHECK(text_elided(map) ==
        "map {\n  key: -3\n  value: \"minus three\"\n}\n"
        "map {\n  key: 2\n  value: \"two\"\n}\n"
        "map {\n  key: 10\n  value: \"ten\"\n}\n");
  CHECK(mlconv::cli::to_json_elided(map).dump() == R"({"map":{"-3":"minus three","2":"two","10":"ten"}})");
}

TEST_CASE("dump: unknown fields are listed by number in text and warned about for JSON") {
  cml::Model model;
  model.set_specificationversion(4);
  model.mutable_neuralnetwork();
  auto* metadata = model.mutable_description()->mutable_metadata();
  metadata->set_author("someone");
  metadata->GetReflection()->MutableUnknownFields(metadata)->AddVarint(999, 5);
  metadata->GetReflection()->MutableUnknownFields(metadata)->AddLengthDelimited(1000, "abc");
  const fs::path path = scratch_dir("dump_unknown") / "unknown.mlmodel";
  mlconv::spec::save_model(model, path);

  const CommandResult text = run_mlconv({"dump", path.string()});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("    # unknown field 999 (varint 5)\n    # unknown field 1000 (length-delimited, 3 bytes)\n") !=
        std::string::npos);
  const CommandResult full = run_mlconv({"dump", "--full", path.string()});
  CHECK(full.out.find("    999: 5\n    1000: \"abc\"\n") != std::string::npos);
  const CommandResult json_dump = run_mlconv({"dump", "--json", path.string()});
  REQUIRE(json_dump.exit_code == 0);
  CHECK(json_dump.err.find("2 unknown field(s) cannot appear in JSON") != std::string::npos);
}

TEST_CASE("dump: a missing file exits 1 with a message naming it") {
  const CommandResult result = run_mlconv({"dump", "/nonexistent"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("mlconv: error: /nonexistent: cannot open") != std::string::npos);
}

TEST_CASE("dump -o writes exactly what stdout gets, and nothing else") {
  const std::string model = real_model(golden_models[0]).string();
  const fs::path dir = scratch_dir("dump_output");
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{{}, {"--json"}, {"--full"}}) {
    std::vector<std::string> to_stdout{"dump", model};
    to_stdout.insert(to_stdout.end(), flags.begin(), flags.end());
    std::vector<std::string> to_file = to_stdout;
    to_file.insert(to_file.end(), {"-o", (dir / "out").string()});
    const CommandResult written = run_mlconv(to_file);
    REQUIRE(written.exit_code == 0);
    CHECK(written.out.empty());
    CHECK(read_file(dir / "out") == run_mlconv(to_stdout).out);
  }
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("dump: every finite float16 prints as a decimal that reads back as itself") {
  using mlconv::cli::format_half;
  using mlconv::cli::half_to_float;
  int wrong = 0;
  std::string first_wrong;
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto half = static_cast<std::uint16_t>(bits);
    const float value = half_to_float(half);
    if (!std::isfinite(value)) continue;
    const std::string spelled = format_half(half);
    const double parsed = std::strtod(spelled.c_str(), nullptr);
    // Reading back rounds to the nearest half, ties to even: the decimal must lie
    // within half a step of this half's magnitude on both sides.
    const int magnitude_bits = half & 0x7fff;
    const double magnitude = std::fabs(value);
    const double above = magnitude_bits + 1 < 0x7c00 ? half_to_float(static_cast<std::uint16_t>(magnitude_bits + 1)) : 65536.0;
    const double below = magnitude_bits > 0 ? half_to_float(static_cast<std::uint16_t>(magnitude_bits - 1)) : -half_to_float(1);
    const double reach_up = (above - magnitude) / 2;
    const double reach_down = (magnitude - below) / 2;
    const bool even = (half & 1) == 0;
    const double distance = std::fabs(parsed) - magnitude;
    const bool reads_back = std::signbit(parsed) == std::signbit(value) &&
                            (distance < reach_up || (even && distance == reach_up)) &&
                            (-distance < reach_down || (even && -distance == reach_down));
    if (!reads_back && wrong++ == 0) first_wrong = std::to_string(bits) + " spelled " + spelled;
  }
  CHECK_MESSAGE(wrong == 0, "first: " << first_wrong);
  CHECK(format_half(0x3c00) == "1");
  CHECK(format_half(0x2e66) == "0.1");
  CHECK(format_half(0x3555) == "0.3333");
  CHECK(format_half(0x8000) == "-0");
  CHECK(format_half(0xfc00) == "-inf");
}

TEST_CASE("dump: floats print as the shortest decimal of their width") {
  using mlconv::cli::format_double;
  using mlconv::cli::format_float;
  CHECK(format_float(0.1f) == "0.1");
  CHECK(format_float(0.947867334f) == "0.94786733");
  CHECK(format_float(1.0f) == "1");
  CHECK(format_float(std::numeric_limits<float>::denorm_min()) == "1e-45");
  CHECK(format_float(-std::numeric_limits<float>::infinity()) == "-inf");
  CHECK(format_float(std::nanf("")) == "nan");
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(1.0 / 3) == "0.3333333333333333");
}
