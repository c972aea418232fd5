// `mlconv scaffold`: golden Swift, C++ and bindings output for the Swish
// model, the generated files passing `validate` themselves, shape rules from
// --with-bindings, hostile names, and the no-overwrite rule.
// Set MLCONV_UPDATE_GOLDEN=1 to rewrite tests/golden/scaffold/ after an intended change.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "cli/scaffold.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
const std::filesystem::path golden_dir = source_dir() / "tests" / "golden" / "scaffold";
const std::filesystem::path swish_model =
    realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";

void check_golden(const std::filesystem::path& golden, const std::string& actual) {
  const char* update = std::getenv("MLCONV_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(golden), "missing golden file " << golden << " (run with MLCONV_UPDATE_GOLDEN=1)");
  CHECK(read_file(golden) == actual);
}

}  // namespace

TEST_CASE("scaffold: Swift, C++ and bindings for the Swish model match their goldens and pass validate") {
  const auto dir = scratch_dir("scaffold-swish");
  const CommandResult result = run_mlconv({"scaffold", "--swift", (dir / "swift").string(), "--cpp",
                                           (dir / "cpp").string(), "--bindings", (dir / "b.json").string(),
                                           swish_model.string()});
  REQUIRE(result.exit_code == 0);
  CHECK(result.err == "");
  const std::string cc = "hollance_coreml_custom_layers__neuralmcneuralnet_swish_layers.cc";
  CHECK(result.out == "wrote " + (dir / "b.json").string() + "\nwrote " + (dir / "swift" / "Swish.swift").string() +
                          "\nwrote " + (dir / "cpp" / cc).string() + "\nwrote " + (dir / "cpp" / "CMakeLists.txt").string() +
                          "\n");
  check_golden(golden_dir / "Swish.bindings.json", read_file(dir / "b.json"));
  check_golden(golden_dir / "Swish.swift", read_file(dir / "swift" / "Swish.swift"));
  check_golden(golden_dir / "Swish.cc", read_file(dir / "cpp" / cc));
  // The derived bindings and the generated Swift class check clean against the model they came from.
  const CommandResult recheck = run_mlconv({"validate", "--strict", "--bindings", (dir / "b.json").string(), "--swift",
                                            (dir / "swift").string(), swish_model.string()});
  CHECK(recheck.exit_code == 0);
  CHECK(recheck.out == swish_model.string() + ": 0 errors, 0 warnings\n");
}

TEST_CASE("scaffold: output shape rules and every parameter type come from --with-bindings") {
  const auto dir = scratch_dir("scaffold-rules");
  const auto bindings = source_dir() / "tests" / "fixtures" / "scaffold" / "style_transfer.bindings.json";
  const auto model =
      realmodels_dir() / "PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight.mlmodel";
  REQUIRE(run_mlconv({"scaffold", "--gpu", "--swift", dir.string(), "--with-bindings", bindings.string(),
                      model.string()}).exit_code == 0);
  const std::string swift = read_file(dir / "ResCropBlockLambda.swift");
  CHECK(swift.find("[NSNumber(value: inputShapes[0][0].intValue), NSNumber(value: inputShapes[0][1].intValue), "
                   "NSNumber(value: inputShapes[0][2].intValue), NSNumber(value: (inputShapes[0][inputShapes[0].count "
                   "- 2].intValue - 4)), NSNumber(value: (inputShapes[0][inputShapes[0].count - 1].intValue - 4))],  // y") !=
        std::string::npos);
  CHECK(swift.find("PLACEHOLDER") == std::string::npos);
  CHECK(swift.find("  let margin: Int32?\n") != std::string::npos);
  CHECK(swift.find("    self.margin = (parameters[\"margin\"] as? NSNumber)?.int32Value\n") != std::string::npos);
  CHECK(swift.find("    self.mode = parameters[\"mode\"] as? String\n") != std::string::npos);
  CHECK(swift.find("func encode(commandBuffer: MTLCommandBuffer") != std::string::npos);
  // The derived rule of a class the bindings file lacks is a marked placeholder.
  cml::Model other = custom_layer_model("Other");
  const auto other_path = save_in_scratch(other, "scaffold-placeholder");
  REQUIRE(run_mlconv({"scaffold", "--swift", (other_path.parent_path() / "s").string(), other_path.string()}).exit_code == 0);
  CHECK(read_file(other_path.parent_path() / "s" / "Other.swift").find("// PLACEHOLDER (mlconv scaffold)") !=
        std::string::npos);
}

TEST_CASE("scaffold: a class with weights keeps the blobs it is given, and validate agrees") {
  cml::Model model = custom_layer_model("Scale");
  cml::WeightParams* blob = custom_params(model).add_weights();
  for (float f : {1.0F, 2.0F, 3.0F}) blob->add_floatvalue(f);
  const auto path = save_in_scratch(model, "scaffold-weights");
  const auto dir = path.parent_path() / "swift";
  REQUIRE(run_mlconv({"scaffold", "--swift", dir.string(), path.string()}).exit_code == 0);
  const std::string swift = read_file(dir / "Scale.swift");
  CHECK(swift.find("    guard weights[0].count == 12 else {  // 3 float32\n") != std::string::npos);
  CHECK(swift.find("    self.weights = weights\n") != std::string::npos);
  const CommandResult recheck = run_mlconv({"validate", "--strict", "--swift", dir.string(), path.string()});
  CHECK(recheck.exit_code == 0);
  CHECK(recheck.out == path.string() + ": 0 errors, 0 warnings\n");
}

TEST_CASE("scaffold: names from the model become valid identifiers and literals") {
  cml::Model model = custom_layer_model("Act");
  auto& params = *custom_params(model).mutable_parameters();
  params["class"].set_intvalue(1);
  params["a-b\"\n"].set_stringvalue("x");
  params["a_b__"].set_boolvalue(true);
  custom_params(model).set_description("line one\nline two */ \\");
  const auto path = save_in_scratch(model, "scaffold-names");
  const auto dir = path.parent_path() / "out";
  REQUIRE(run_mlconv({"scaffold", "--swift", dir.string(), "--cpp", dir.string(), path.string()}).exit_code == 0);
  const std::string swift = read_file(dir / "Act.swift");
  CHECK(swift.find("  let class_: Int32\n") != std::string::npos);
  CHECK(swift.find("guard let a_b__ = parameters[\"a-b\\\"\\n\"] as? String") != std::string::npos);
  CHECK(swift.find("  let a_b___2: Bool\n") != std::string::npos);
  CHECK(swift.find("// line one line two */ \\\n") == std::string::npos);
  CHECK(swift.find("// line one line two */ _\n") != std::string::npos);
  const std::string cpp = read_file(dir / "custom_layers.cc");
  CHECK(cpp.find("params.string(\"a-b\\\"\\012\", \"\")") != std::string::npos);

  cml::Model bad = custom_layer_model("not valid");
  const auto bad_path = save_in_scratch(bad, "scaffold-bad-name");
  const CommandResult refused = run_mlconv({"scaffold", "--swift", bad_path.parent_path().string(), bad_path.string()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "mlconv: error: " + bad_path.string() + ": custom layer className 'not valid' is not a valid "
                                                              "Swift or Objective-C class name; rename it in the model first\n");
}

TEST_CASE("scaffold: existing files are kept unless --force, and usage errors") {
  const auto dir = scratch_dir("scaffold-force");
  const auto out = dir / "b.json";
  std::ofstream(out) << "mine";
  const CommandResult refused = run_mlconv({"scaffold", "--bindings", out.string(), swish_model.string()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err == "mlconv: error: would overwrite " + out.string() +
                           "; nothing was written (use --force to replace)\n");
  CHECK(read_file(out) == "mine");
  CHECK(run_mlconv({"scaffold", "--force", "--bindings", out.string(), swish_model.string()}).exit_code == 0);
  CHECK(read_file(out).starts_with("{\n  \"$schema\""));

  const CommandResult nothing = run_mlconv({"scaffold", swish_model.string()});
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.err == "mlconv: error: nothing to write: give --swift DIR, --cpp DIR and/or --bindings FILE\n");
  const auto plain = realmodels_dir() / "apple_coremltools__TinyDrawingEmbedding.mlmodel";
  const CommandResult none = run_mlconv({"scaffold", "--bindings", (dir / "x.json").string(), plain.string()});
  CHECK(none.exit_code == 1);
  CHECK(none.err == "mlconv: error: " + plain.string() + ": the model has no custom layers to scaffold\n");
  CHECK_FALSE(std::filesystem::exists(dir / "x.json"));
}

}  // namespace mlconv::test
