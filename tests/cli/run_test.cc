// `mlconv run` through the binary: the summary (golden), --output-dir, --json,
// --expect/--expect-dir with tolerances, --save-inputs, --dump-layers,
// --profile, --repeat, --input-shape, and bad input with pinned messages that
// leaves no file behind. Set MLCONV_UPDATE_GOLDEN=1 to rewrite tests/golden/run/.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <utility>

#include <nlohmann/json.hpp>

#include "Model.pb.h"
#include "executor/io/npy.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace fs = std::filesystem;
const fs::path golden_dir = source_dir() / "tests" / "golden" / "run";
const fs::path fixtures = source_dir() / "tests" / "fixtures" / "run";

// The text with every number replaced by '#', and the numbers in order.
std::pair<std::string, std::vector<double>> split_numbers(const std::string& text) {
  static const std::regex number(R"(-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?)");
  std::pair<std::string, std::vector<double>> out;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it) {
    out.first += text.substr(last, static_cast<std::size_t>(it->position()) - last) + "#";
    out.second.push_back(std::stod(it->str()));
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  out.first += text.substr(last);
  return out;
}

// The summary's text must match the golden file exactly; its numbers (printed to 6
// significant digits) to within a few units of the last digit, since the GEMM's order of
// accumulation depends on the vector width the executor was built for (AVX2 or AVX-512).
void check_golden(const fs::path& golden, const std::string& actual) {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(fs::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  // Named pairs, not structured bindings: clang 14 cannot capture those in doctest's messages.
  const auto want = split_numbers(read_file(golden));
  const auto got = split_numbers(actual);
  const std::string& want_text = want.first;
  const std::string& got_text = got.first;
  const std::vector<double>& want_numbers = want.second;
  const std::vector<double>& got_numbers = got.second;
  CHECK_MESSAGE(want_text == got_text, "golden " << golden << ":\n" << read_file(golden) << "\nactual:\n" << actual);
  if (want_numbers.size() != got_numbers.size()) return;
  for (std::size_t i = 0; i < want_numbers.size(); ++i) {
    const double tolerance = 1e-5 * std::max(std::abs(want_numbers[i]), std::abs(got_numbers[i])) + 1e-6;
    CHECK_MESSAGE(std::abs(want_numbers[i] - got_numbers[i]) <= tolerance,
                  "number " << i << " of " << golden << ": " << want_numbers[i] << " vs " << got_numbers[i] << "\nactual:\n" << actual);
  }
}

// The summary without its Timing section, whose numbers change from run to run.
std::string without_timing(const std::string& text) {
  std::string kept;
  bool in_timing = false;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("  ", 0) != 0) in_timing = line == "Timing\n";
    if (!in_timing) kept += line;
  }
  return kept;
}

fs::path real(const std::string& stem) { return realmodels_dir() / (stem + ".mlmodel"); }
const fs::path my_network = real("vincentfpgarcia_from-pytorch-to-coreml__my_network");
const fs::path gesture = real("kodeco_mlt-materials__GestureClassifier");
const std::string my_input = "my_input=" + (fixtures / "my_input.npy").string();

std::vector<float> values_of(const fs::path& npy) {
  const exec::Tensor tensor = exec::io::read_npy(npy).to_tensor();
  return {tensor.values().begin(), tensor.values().end()};
}

// my_network's output for the fixture input, as mlconv computes it, with element 7 moved by `delta`.
fs::path shifted_reference(const fs::path& dir, float delta) {
  const CommandResult result =
      run_mlconv({"run", my_network.string(), "-i", my_input, "--output-dir", (dir / "actual").string()});
  REQUIRE(result.exit_code == 0);
  exec::Tensor output = exec::io::read_npy(dir / "actual" / "my_output.npy").to_tensor();
  output.data()[7] += delta;
  fs::create_directories(dir / "ref");
  exec::io::write_npy(dir / "ref" / "my_output.npy", output);
  return dir / "ref" / "my_output.npy";
}

TEST_CASE("run: the summary of an array output and of a classifier (golden)") {
  const CommandResult array = run_mlconv({"run", my_network.string(), "-i", my_input, "--threads", "1"});
  CHECK(array.exit_code == 0);
  CHECK(array.err == "");
  check_golden(golden_dir / "my_network.txt", without_timing(array.out));
  CHECK(array.out.find("Timing\n  load   ") != std::string::npos);
  CHECK(array.out.find("\n  first  ") != std::string::npos);

  const CommandResult classifier =
      run_mlconv({"run", gesture.string(), "--random-inputs", "--seed", "1", "--top-k", "2", "--threads", "1"});
  CHECK(classifier.exit_code == 0);
  CHECK(classifier.err == "");
  check_golden(golden_dir / "GestureClassifier-top2.txt", without_timing(classifier.out));
}

TEST_CASE("run: --output-dir writes .npy arrays that read back and .json labels and dictionaries") {
  const fs::path dir = scratch_dir("run-output-dir");
  const CommandResult result = run_mlconv({"run", my_network.string(), "-i", my_input, "--output-dir",
                                           (dir / "out").string(), "--json", (dir / "out.json").string()});
  REQUIRE(result.exit_code == 0);
  const exec::io::NpyArray npy = exec::io::read_npy(dir / "out" / "my_output.npy");
  CHECK(npy.dtype == "<f4");
  CHECK(npy.shape == exec::Shape{1, 1, 10, 1, 1});
  // The same numbers as --json reports.
  const auto json = nlohmann::json::parse(read_file(dir / "out.json"));
  const std::vector<float> data = json["outputs"]["my_output"]["data"].get<std::vector<float>>();
  CHECK(values_of(dir / "out" / "my_output.npy") == data);

  const CommandResult classifier = run_mlconv(
      {"run", gesture.string(), "--random-inputs", "--seed", "1", "--output-dir", (dir / "gesture").string()});
  REQUIRE(classifier.exit_code == 0);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir / "gesture")) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"activity.json", "activityProbability.json", "cellOut.npy", "hiddenOut.npy"});
  const auto probabilities = nlohmann::json::parse(read_file(dir / "gesture" / "activityProbability.json"));
  CHECK(probabilities.size() == 4);
  for (const char* label : {"chop_it", "drive_it", "rest_it", "shake_it"}) CHECK(probabilities[label].is_number());
  CHECK(nlohmann::json::parse(read_file(dir / "gesture" / "activity.json")).is_string());
  const exec::io::NpyArray cell = exec::io::read_npy(dir / "gesture" / "cellOut.npy");
  CHECK(cell.dtype == "<f8");  // declared Double
  CHECK(cell.shape == exec::Shape{200});
}

TEST_CASE("run: --json holds shape, dtype and data per output, load_ms and latency_ms; --repeat adds min and median") {
  const fs::path dir = scratch_dir("run-json");
  const CommandResult result = run_mlconv({"run", gesture.string(), "--random-inputs", "--seed", "1", "--repeat", "3",
                                           "--json", (dir / "out.json").string()});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find(" ms over 3 runs\n") != std::string::npos);
  const auto json = nlohmann::json::parse(read_file(dir / "out.json"));
  const auto& outputs = json["outputs"];
  CHECK(outputs.size() == 4);
  CHECK(outputs["cellOut"]["shape"] == nlohmann::json::array({200}));
  CHECK(outputs["cellOut"]["dtype"] == "float64");
  CHECK(outputs["cellOut"]["data"].size() == 200);
  CHECK(outputs["activity"]["dtype"] == "string");
  CHECK(outputs["activityProbability"]["dtype"] == "dictionary");
  CHECK(outputs["activityProbability"]["data"].size() == 4);
  // The label is the dictionary's most probable key.
  std::string best;
  double best_p = -1;
  for (const auto& [key, p] : outputs["activityProbability"]["data"].items())
    if (p.get<double>() > best_p) best = key, best_p = p.get<double>();
  CHECK(outputs["activity"]["data"] == best);
  CHECK(json["load_ms"].get<double>() > 0);
  const auto& latency = json["latency_ms"];
  CHECK(latency["first"].get<double>() > 0);
  CHECK(latency["runs"] == 3);
  CHECK(latency["min"].get<double>() > 0);
  CHECK(latency["min"].get<double>() <= latency["median"].get<double>());
}

TEST_CASE("run: --expect passes within tolerance and fails beyond it with where and what would pass") {
  const fs::path dir = scratch_dir("run-expect");
  const fs::path reference = shifted_reference(dir, 0.5F);
  const std::string expect = "my_output=" + reference.string();

  const CommandResult pass =
      run_mlconv({"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "0.6", "--rtol", "0"});
  CHECK(pass.exit_code == 0);
  CHECK(pass.err == "");
  CHECK(pass.out.find("  my_output  PASS  vs " + reference.string() + "\n") != std::string::npos);

  const CommandResult fail =
      run_mlconv({"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "0.1", "--rtol", "0"});
  CHECK(fail.exit_code == 1);
  CHECK(fail.err == "mlconv: error: " + my_network.string() +
                        ": outputs differ from the expected values beyond tolerance: my_output\n");
  CHECK(fail.out.find("  my_output  FAIL  vs " + reference.string() + "\n") != std::string::npos);
  CHECK(fail.out.find("    max abs error 0.5 at [0, 0, 7, 0, 0], max rel error ") != std::string::npos);
  CHECK(fail.out.find("    1 of 10 elements outside atol 0.1, rtol 0\n") != std::string::npos);
  CHECK(fail.out.find("    would pass with --atol my_output=0.5 (at rtol 0) or --rtol my_output=") != std::string::npos);

  // The suggested tolerance, as printed, really passes.
  const std::string marker = "or --rtol my_output=";
  const std::size_t at = fail.out.find(marker) + marker.size();
  const std::string rtol = fail.out.substr(at, fail.out.find(' ', at) - at);
  const CommandResult suggested =
      run_mlconv({"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "0.1", "--rtol", rtol});
  CHECK(suggested.exit_code == 0);
}

TEST_CASE("run: per-output --atol NAME=X overrides the default") {
  const fs::path dir = scratch_dir("run-atol-name");
  const std::string expect = "my_output=" + shifted_reference(dir, 0.5F).string();
  CHECK(run_mlconv({"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "my_output=0.6"})
            .exit_code == 0);
  const CommandResult overridden = run_mlconv(
      {"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "1", "--atol", "my_output=0.1"});
  CHECK(overridden.exit_code == 1);
  CHECK(overridden.out.find("outside atol 0.1, rtol 1e-05\n") != std::string::npos);
}

TEST_CASE("run: --expect-dir compares every output that has NAME.npy there") {
  const fs::path dir = scratch_dir("run-expect-dir");
  shifted_reference(dir, 0.0F);
  const CommandResult same = run_mlconv({"run", my_network.string(), "-i", my_input, "--expect-dir", (dir / "ref").string(),
                                         "--atol", "0", "--rtol", "0"});
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("  my_output  PASS  vs " + (dir / "ref" / "my_output.npy").string() + "\n") != std::string::npos);

  fs::create_directories(dir / "empty");
  const CommandResult empty =
      run_mlconv({"run", my_network.string(), "-i", my_input, "--expect-dir", (dir / "empty").string()});
  CHECK(empty.exit_code == 1);
  CHECK(empty.out == "");
  CHECK(empty.err == "mlconv: error: " + (dir / "empty").string() +
                         ": --expect-dir holds no NAME.npy for any output of the model\n");
}

TEST_CASE("run: --expect fails where one side is NaN or infinite and the other is not, whatever the tolerance") {
  const std::vector<std::pair<std::string, float>> cases = {{"nan", std::nanf("")},
                                                            {"inf", std::numeric_limits<float>::infinity()},
                                                            {"minus-inf", -std::numeric_limits<float>::infinity()}};
  for (const auto& entry : cases) {
    const std::string& label = entry.first;  // a structured binding: Clang 14 cannot capture it in CAPTURE
    const float bad = entry.second;
    CAPTURE(label);
    const fs::path dir = scratch_dir("run-expect-not-finite-" + label);
    const std::string expect = "my_output=" + shifted_reference(dir, bad).string();
    const CommandResult result =
        run_mlconv({"run", my_network.string(), "-i", my_input, "--expect", expect, "--atol", "1e30", "--rtol", "1e30"});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("  my_output  FAIL  vs ") != std::string::npos);
    CHECK(result.out.find("    max abs error inf at [0, 0, 7, 0, 0], max rel error inf at [0, 0, 7, 0, 0]\n") != std::string::npos);
    CHECK(result.out.find("    1 of ") != std::string::npos);
    CHECK(result.out.find("    no tolerance passes: 1 element is NaN or infinite on one side only\n") != std::string::npos);
  }
}

TEST_CASE("run: --expect-dir says which label and dictionary outputs it did not compare") {
  const fs::path dir = scratch_dir("run-expect-dir-classifier");
  const std::vector<std::string> common{"run", gesture.string(), "--random-inputs", "--seed", "3"};
  std::vector<std::string> write = common;
  write.insert(write.end(), {"--output-dir", (dir / "ref").string()});
  REQUIRE(run_mlconv(write).exit_code == 0);
  REQUIRE(fs::exists(dir / "ref" / "activity.json"));
  std::vector<std::string> compare = common;
  compare.insert(compare.end(), {"--expect-dir", (dir / "ref").string()});
  const CommandResult result = run_mlconv(compare);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("  activity  not compared: a ") != std::string::npos);
  CHECK(result.out.find("  activityProbability  not compared: a ") != std::string::npos);
  CHECK(result.out.find(" output; --expect-dir compares the NAME.npy of MultiArray and Image outputs\n") !=
        std::string::npos);
}

TEST_CASE("run: an Int32 input refuses fractions, naming the input and the element") {
  namespace cml = CoreML::Specification;
  cml::Model model;
  model.set_specificationversion(4);
  cml::FeatureDescription* input = model.mutable_description()->add_input();
  input->set_name("x");
  input->mutable_type()->mutable_multiarraytype()->add_shape(3);
  input->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::INT32);
  cml::FeatureDescription* output = model.mutable_description()->add_output();
  output->set_name("y");
  output->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::FLOAT32);
  cml::NeuralNetworkLayer* layer = model.mutable_neuralnetwork()->add_layers();
  layer->set_name("relu");
  layer->add_input("x");
  layer->add_output("y");
  layer->mutable_activation()->mutable_relu();
  const fs::path dir = scratch_dir("run-int32-input");
  spec::save_model(model, dir / "int32.mlmodel");
  std::ofstream(dir / "whole.json") << "[1, -2, 3]\n";
  std::ofstream(dir / "fraction.json") << "[1, 2.5, 3]\n";
  const std::string model_path = (dir / "int32.mlmodel").string();
  CHECK(run_mlconv({"run", model_path, "-i", "x=" + (dir / "whole.json").string(), "--save-inputs",
                    (dir / "saved").string()})
            .exit_code == 0);
  // Saved in the declared element type, as outputs are.
  CHECK(read_file(dir / "saved" / "x.npy").find("'descr': '<i8'") != std::string::npos);
  const CommandResult bad = run_mlconv({"run", model_path, "-i", "x=" + (dir / "fraction.json").string()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "mlconv: error: " + (dir / "fraction.json").string() +
                       ": input 'x' is MultiArray (Int32 3); element 1 is 2.5, not a 32-bit integer\n");
}

TEST_CASE("run: --save-inputs writes the random inputs, which give the same outputs when read back") {
  const fs::path dir = scratch_dir("run-save-inputs");
  const CommandResult first = run_mlconv({"run", my_network.string(), "--random-inputs", "--seed", "7", "--val-range",
                                          "-2,2", "--save-inputs", (dir / "in").string(), "--output-dir",
                                          (dir / "first").string()});
  REQUIRE(first.exit_code == 0);
  const exec::Tensor saved = exec::io::read_npy(dir / "in" / "my_input.npy").to_tensor();
  CHECK(saved.shape() == exec::Shape{3, 32, 32});
  float low = 2;
  float high = -2;
  for (float v : saved.values()) low = std::min(low, v), high = std::max(high, v);
  CHECK(low >= -2);
  CHECK(low < -1.9F);
  CHECK(high < 2);
  CHECK(high > 1.9F);
  const CommandResult again = run_mlconv({"run", my_network.string(), "-i", "my_input=" + (dir / "in" / "my_input.npy").string(),
                                          "--output-dir", (dir / "again").string()});
  REQUIRE(again.exit_code == 0);
  CHECK(values_of(dir / "again" / "my_output.npy") == values_of(dir / "first" / "my_output.npy"));
}

TEST_CASE("run: --dump-layers all and by name") {
  const fs::path dir = scratch_dir("run-dump-layers");
  const CommandResult all = run_mlconv(
      {"run", my_network.string(), "-i", my_input, "--dump-layers", "all", "--dump-dir", (dir / "all").string(),
       "--output-dir", (dir / "out").string()});
  REQUIRE(all.exit_code == 0);
  CHECK(all.out.find("Dumped 15 blobs to " + (dir / "all").string() + "\n") != std::string::npos);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir / "all")) ++files;
  CHECK(files == 15);
  CHECK(values_of(dir / "all" / "my_output.npy") == values_of(dir / "out" / "my_output.npy"));

  const CommandResult named = run_mlconv({"run", my_network.string(), "-i", my_input, "--dump-layers",
                                          "MaxPool_8,Reshape_10", "--dump-dir", (dir / "named").string()});
  REQUIRE(named.exit_code == 0);
  CHECK(named.out.find("Dumped 2 blobs to ") != std::string::npos);
  // Reshape_10 reads blob 36 and writes 38 = [1, 1, 384, 1, 1], the same values in the same order.
  const exec::io::NpyArray reshaped = exec::io::read_npy(dir / "named" / "38.npy");
  CHECK(reshaped.shape == exec::Shape{1, 1, 384, 1, 1});
  CHECK(values_of(dir / "named" / "38.npy") == values_of(dir / "named" / "36.npy"));
  CHECK(!fs::exists(dir / "named" / "my_output.npy"));
}

TEST_CASE("run: --profile prints time per layer type") {
  const CommandResult result = run_mlconv({"run", my_network.string(), "-i", my_input, "--profile", "--repeat", "3"});
  REQUIRE(result.exit_code == 0);
  const std::size_t at = result.out.find("Profile (per run, 4 runs)\n  layer type                layers          ms       %\n");
  REQUIRE(at != std::string::npos);
  const std::string table = result.out.substr(at);
  for (const char* row : {"\n  convolution                    3 ", "\n  pooling                        3 ",
                          "\n  innerProduct                   3 ", "\n  activation                     5 ",
                          "\n  reshape                        1 "})
    CHECK(table.find(row) != std::string::npos);
}

TEST_CASE("run: --input-shape sizes the random images of a flexible-size model") {
  const fs::path dir = scratch_dir("run-input-shape");
  const fs::path model = real("Vadbeg_colorization-coreml__colorizer_tail");
  const CommandResult result = run_mlconv({"run", model.string(), "--random-inputs", "--input-shape", "image=5,2",
                                           "--input-shape", "ab=5,2", "--json", (dir / "out.json").string()});
  CHECK(result.err == "");
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(read_file(dir / "out.json"));
  CHECK(json["outputs"]["colorized_image"]["shape"] == nlohmann::json::array({1, 3, 2, 5}));  // WIDTH,HEIGHT = 5,2

  const CommandResult bad = run_mlconv({"run", model.string(), "--random-inputs", "--input-shape", "image=5,2,1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "mlconv: error: --input-shape for image input 'image' expects WIDTH,HEIGHT\n");
}

struct BadRun {
  const char* what;
  std::vector<std::string> args;
  int exit_code;
  std::string err;
};

TEST_CASE("run: bad input fails with a pinned message and leaves no file behind") {
  const fs::path dir = scratch_dir("run-bad-input");
  const std::string model = my_network.string();
  const std::string tiny = real("apple_coremltools__TinyDrawingEmbedding").string();
  std::ofstream(dir / "not-an-image.png") << "not an image\n";
  std::ofstream(dir / "wrong-shape.json") << "[[1, 2], [3, 4]]\n";
  const std::string plugin = (fixtures / "README.md").string();
  const std::string reference = "my_output=" + (fixtures / "my_output.npy").string();
  const std::vector<BadRun> runs = {
      {"unknown input name", {model, "-i", "nope=x.npy"}, 1,
       "mlconv: error: --input names 'nope', which is not an input of the model; its inputs are: my_input\n"},
      {"missing input", {model}, 1,
       "mlconv: error: missing input my_input (MultiArray (Float32 3 x 32 x 32)); give each with --input NAME=FILE "
       "(.npy, .json or an image) or use --random-inputs\n"},
      {"wrong shape", {model, "-i", "my_input=" + (dir / "wrong-shape.json").string()}, 1,
       "mlconv: error: " + (dir / "wrong-shape.json").string() +
           ": input 'my_input' has shape [2, 2]; the model accepts [3, 32, 32]\n"},
      {"image that does not decode", {tiny, "-i", "drawing=" + (dir / "not-an-image.png").string()}, 1,
       "mlconv: error: " + (dir / "not-an-image.png").string() +
           ": input 'drawing': not a PNG, JPEG or BMP image (it starts with bytes 6e 6f 74 20 61 6e 20 69)\n"},
      {"a plugin that is not a plugin", {model, "--random-inputs", "--plugin", plugin}, 1,
       "mlconv: error: cannot load plugin '" + plugin + "' as a shared library: " + plugin + ": invalid ELF header\n"},
      {"--val-range garbage", {model, "--random-inputs", "--val-range", "1,x"}, 2,
       "mlconv: error: --val-range expects finite LOW,HIGH with LOW <= HIGH, got '1,x'\n"},
      {"--val-range reversed", {model, "--random-inputs", "--val-range", "2,1"}, 2,
       "mlconv: error: --val-range expects finite LOW,HIGH with LOW <= HIGH, got '2,1'\n"},
      {"unknown --expect output", {model, "-i", my_input, "--expect", "nope=x.npy"}, 1,
       "mlconv: error: --expect names 'nope', which is not an output of the model; its outputs are: my_output\n"},
      {"missing --expect file", {model, "-i", my_input, "--expect", "my_output=" + (dir / "none.npy").string()}, 1,
       "mlconv: error: " + (dir / "none.npy").string() + ": cannot open: No such file or directory\n"},
      {"missing --input file", {model, "-i", "my_input=" + (dir / "none.npy").string()}, 1,
       "mlconv: error: " + (dir / "none.npy").string() + ": input 'my_input': cannot open: No such file or directory\n"},
      {"--atol for an output the model lacks", {model, "-i", my_input, "--expect", reference, "--atol", "other=1"}, 1,
       "mlconv: error: --atol names 'other', which is not an output of the model; its outputs are: my_output\n"},
      {"--rtol for an output the model lacks", {model, "-i", my_input, "--rtol", "other=1"}, 1,
       "mlconv: error: --rtol names 'other', which is not an output of the model; its outputs are: my_output\n"},
      {"--expect on a dictionary output",
       {gesture.string(), "--random-inputs", "--expect", "activityProbability=" + (fixtures / "my_output.npy").string()},
       1,
       "mlconv: error: --expect names output 'activityProbability', a Dictionary; --expect compares only MultiArray "
       "and Image outputs\n"},
      {"unknown --dump-layers name", {model, "-i", my_input, "--dump-layers", "Conv_0,nope"}, 1,
       "mlconv: error: --dump-layers names 'nope', which is not a layer of the model\n"},
      {"a layer that fails while running (after some layers were dumped)",
       {real("Vadbeg_colorization-coreml__colorizer_tail").string(), "--random-inputs", "--input-shape", "image=4,3"}, 1,
       "mlconv: error: " + real("Vadbeg_colorization-coreml__colorizer_tail").string() +
           ": layer 'image.9' (concat): cannot concatenate shapes [1, 1, 3, 4] and [1, 2, 1, 1] along axis 1 (other "
           "dimensions must match)\n"},
      {"a custom layer without a plugin",
       {real("PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight").string(), "--random-inputs"}, 1,
       "mlconv: error: " + real("PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight").string() +
           ": layer 'res_crop_0' (custom): needs custom layer class 'ResCropBlockLambda'; no loaded plugin provides it "
           "(load one with --plugin)\n"},
  };
  for (const BadRun& run : runs) {
    const std::string what = run.what;
    CAPTURE(what);
    const fs::path out = dir / "out";
    std::vector<std::string> args{"run"};
    args.insert(args.end(), run.args.begin(), run.args.end());
    args.insert(args.end(), {"--output-dir", (out / "outputs").string(), "--json", (out / "out.json").string(),
                             "--save-inputs", (out / "inputs").string(), "--dump-layers", "all", "--dump-dir",
                             (out / "layers").string()});
    if (std::string(run.what) == "unknown --dump-layers name") args.resize(args.size() - 4);  // keep its own selection
    const CommandResult result = run_mlconv(args);
    CHECK(result.exit_code == run.exit_code);
    CHECK(result.out == "");
    CHECK(result.err == run.err);
    CHECK(!fs::exists(out));
  }
}

}  // namespace
}  // namespace mlconv::test
