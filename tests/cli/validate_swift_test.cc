// `validate --swift`: the tokenizer (comments and strings never look like
// code), the class scan, and each Swift code (E220, E221, W220-W223), ending
// with the article-style Swish class against the real Swish model.
#include <doctest/doctest.h>

#include <fstream>

#include "cli/swift_scan.h"
#include "cli/validate_swift.h"
#include "spec/error.h"
#include "tests/cli/custom_model.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using cli::swift::Token;

std::vector<std::string> texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(t.text);
  return out;
}

std::vector<cli::ReportEntry> check(const cml::Model& model, const std::string& source) {
  return cli::check_swift(model, cli::swift::scan_source(source, "Layer.swift"));
}

std::string codes(const std::vector<cli::ReportEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : " ") + e.finding.code;
  return out;
}

const char* const good_class = R"swift(
@objc(Swish) final class Swish: NSObject, MLCustomLayer {
  let beta: Float
  required init(parameters: [String: Any]) throws {
    beta = (parameters["beta"] as? NSNumber)?.floatValue ?? 1
    super.init()
  }
  func setWeightData(_ weights: [Data]) throws { print(weights.count) }
}
)swift";

cml::Model swish_model() {
  cml::Model model = custom_layer_model("Swish");
  (*custom_params(model).mutable_parameters())["beta"].set_doublevalue(0.1);
  return model;
}

}  // namespace

TEST_CASE("validate swift: comments and strings are skipped or kept whole") {
  const auto tokens = cli::swift::tokenize(
      "a /* x /* nested */ still comment */ b // c\n"
      "\"q\\\"\\(f(\"in)\")) done\" #\"raw \\(x) \"# \"\"\"\nmulti \" line\n\"\"\" `class` #if");
  CHECK(texts(tokens) ==
        std::vector<std::string>{"a", "b", "q\"\\(...) done", "raw \\(x) ", "\nmulti \" line\n", "class", "#if"});
  CHECK(tokens[2].interpolated);
  CHECK_FALSE(tokens[3].interpolated);  // a raw string interpolates only with \#(
  CHECK(tokens[5].line == 4);
  CHECK_THROWS_WITH_AS(cli::swift::tokenize("x /* open /* nested */"), "line 1: unterminated /* comment", Error);
  CHECK_THROWS_WITH_AS(cli::swift::tokenize("\n\"abc\n\""), "line 2: unterminated string literal", Error);
  CHECK_THROWS_WITH_AS(cli::swift::tokenize("\"\\(a"), "line 1: unterminated string interpolation", Error);
}

TEST_CASE("validate swift: classes, @objc names, superclass, parameter reads and setWeightData") {
  const auto classes = cli::swift::scan_source(R"swift(
// @objc(Fake) class Fake: NSObject, MLCustomLayer {}
let text = "@objc(Fake2) class Fake2: NSObject, MLCustomLayer {}"
@objc(Renamed) public final class Impl: NSObject, CoreML.MLCustomLayer {
  class func helper() {}
  var dict: [String: Any] = [:]
  required init(parameters p: [String: Any]) throws {
    let a = p["alpha"] as! Double
    let b = (p["beta"] as? NSNumber)?.floatValue
    let c = parameters["ignored"] as? Float  // not the dictionary init received
    let d = p["\(name)"]
  }
  func setWeightData(_ blobs: [Data]) throws { self.w = blobs }
}
extension Impl { func more() { } }
)swift",
                                                 "Impl.swift");
  REQUIRE(classes.size() == 2);
  const auto& impl = classes[0];
  CHECK(impl.name == "Impl");
  CHECK(impl.objc_name == "Renamed");
  CHECK(impl.inherits == std::vector<std::string>{"NSObject", "MLCustomLayer"});
  CHECK(impl.line == 4);
  REQUIRE(impl.reads.size() == 2);
  CHECK(impl.reads[0].key == "alpha");
  CHECK(impl.reads[0].cast == "Double");
  CHECK(impl.reads[0].forced);
  CHECK(impl.reads[0].line == 8);
  CHECK(impl.reads[1].key == "beta");
  CHECK(impl.reads[1].cast == "NSNumber");
  CHECK(impl.has_set_weight_data);
  CHECK(impl.set_weight_data_uses_argument);
  CHECK(classes[1].is_extension);
  CHECK_THROWS_WITH_AS(cli::swift::scan_source("\"open", "Bad.swift"), "Bad.swift: line 1: unterminated string literal",
                       Error);
}

TEST_CASE("validate swift: a correct class has no findings") { CHECK(check(swish_model(), good_class).empty()); }

TEST_CASE("validate swift: E220, a class Core ML cannot find, quotes the load error") {
  SUBCASE("no class at all") {
    const auto entries = check(swish_model(), "class Other: NSObject {}");
    REQUIRE(codes(entries) == "E220");
    CHECK(entries[0].finding.where == "layer 'act' (custom)");
    CHECK(entries[0].family == "swift");
    CHECK(entries[0].finding.message ==
          "no Swift class adopting MLCustomLayer is exposed to Objective-C as 'Swish'; loading the model fails with "
          "\"A Core ML custom neural network layer requires an implementation named 'Swish' which was not found in "
          "the global namespace.\"");
    CHECK(entries[0].finding.hint ==
          "write '@objc(Swish) class Swish: NSObject, MLCustomLayer' (mlconv scaffold --swift writes one)");
  }
  SUBCASE("the class without @objc(Name)") {
    const auto entries = check(swish_model(), "\n\nclass Swish: NSObject, MLCustomLayer {}");
    REQUIRE(codes(entries) == "E220");
    CHECK(entries[0].finding.hint == "add @objc(Swish) before 'class Swish' (Layer.swift:3): without it the "
                                     "Objective-C runtime knows the class by a module-qualified name");
  }
}

TEST_CASE("validate swift: E221, the exposed class is no NSObject") {
  const auto entries = check(swish_model(), "@objc(Swish) class Swish: MLCustomLayer {}");
  REQUIRE(codes(entries) == "E221");
  CHECK(entries[0].source == "Layer.swift");
  CHECK(entries[0].line == 1);
  CHECK(entries[0].finding.message == "the class exposed as 'Swish' does not subclass NSObject (it inherits "
                                      "'MLCustomLayer' first), so Core ML cannot instantiate it");
  // A superclass from the scanned sources is followed to NSObject.
  CHECK(check(swish_model(), "class Base: NSObject {}\n@objc(Swish) class Swish: Base, MLCustomLayer {}").empty());
}

TEST_CASE("validate swift: W220 to W222, parameters the class reads") {
  const std::string head = "@objc(Swish) class Swish: NSObject, MLCustomLayer {\n required init(parameters: [String: Any]) {\n";
  SUBCASE("W220: a key no layer sets") {
    const auto entries = check(swish_model(), head + "  let g = parameters[\"gamma\"] as? Double\n }\n}");
    REQUIRE(codes(entries) == "W220");
    CHECK(entries[0].line == 3);
    CHECK(entries[0].finding.message == "class 'Swish' reads parameters[\"gamma\"] as? Double, which no layer of "
                                        "class 'Swish' sets; the code's default is used");
    CHECK(entries[0].finding.hint == "set parameters[\"gamma\"] in the converter, or fix the key (the layer sets 'beta')");
  }
  SUBCASE("W221: as? Float on a doubleValue, and as! Int on one") {
    const auto entries = check(swish_model(), head + "  let b = parameters[\"beta\"] as? Float\n"
                                                      "  let i = parameters[\"beta\"] as! Int\n }\n}");
    REQUIRE(codes(entries) == "W221 W221");
    CHECK(entries[0].finding.message ==
          "class 'Swish' reads parameters[\"beta\"] as? Float, but 'beta' is stored as doubleValue; Swift bridges an "
          "NSNumber to Float only when the value converts exactly, so for most values the cast gives nil and the "
          "code's default is used silently (the stored value 0.10000000000000001 does not convert: the default is "
          "used now)");
    CHECK(entries[0].finding.hint ==
          "read it as (parameters[\"beta\"] as? NSNumber)?.floatValue, which converts any stored number");
    CHECK(entries[1].finding.message.find("as! Int, but 'beta' is stored as doubleValue") != std::string::npos);
    CHECK(entries[1].finding.message.find("the cast fails and the app crashes") != std::string::npos);
  }
  SUBCASE("W222: a cast that can never succeed") {
    const auto entries = check(swish_model(), head + "  let s = parameters[\"beta\"] as? String\n }\n}");
    REQUIRE(codes(entries) == "W222");
    CHECK(entries[0].finding.message == "class 'Swish' reads parameters[\"beta\"] as? String, but 'beta' is stored as "
                                        "doubleValue, which never casts to String; the cast gives nil and the code's "
                                        "default is used silently");
  }
}

TEST_CASE("validate swift: W223, weights the class drops") {
  cml::Model model = swish_model();
  for (float f : {1.0F, 2.0F}) custom_params(model).add_weights()->add_floatvalue(f);
  const auto entries = check(model, "@objc(Swish) class Swish: NSObject, MLCustomLayer {\n"
                                    "  func setWeightData(_ weights: [Data]) throws {}\n}");
  REQUIRE(codes(entries) == "W223");
  CHECK(entries[0].line == 2);
  CHECK(entries[0].finding.message ==
        "the layer stores 2 weight blobs (#0 float32 4 bytes, #1 float32 4 bytes), but setWeightData(_:) of class "
        "'Swish' never reads its argument, so the class computes without them");
  CHECK(check(model, good_class).empty());
}

TEST_CASE("validate swift: the article-style Swish class against the real Swish model warns about as? Float") {
  const auto model = realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel";
  const auto swift_dir = source_dir() / "tests" / "fixtures" / "swift";
  const CommandResult result = run_mlconv({"validate", "--swift", swift_dir.string(), model.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out == model.string() + ": warning W221: " + (swift_dir / "Swish.swift").string() +
                          ":15: layer 'swish_1' (custom): class 'Swish' reads parameters[\"beta\"] as? Float, but "
                          "'beta' is stored as doubleValue; Swift bridges an NSNumber to Float only when the value "
                          "converts exactly, so for most values the cast gives nil and the code's default is used "
                          "silently (the stored value 0.01 does not convert: the default is used now) (hint: read it "
                          "as (parameters[\"beta\"] as? NSNumber)?.floatValue, which converts any stored number)\n" +
                          model.string() + ": 0 errors, 1 warning\n");
  CHECK(run_mlconv({"validate", "--strict", "--swift", swift_dir.string(), model.string()}).exit_code == 1);
  const CommandResult missing = run_mlconv({"validate", "--swift", "no-such-dir", model.string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "mlconv: error: no-such-dir: not a directory of Swift sources\n");
}

}  // namespace mlconv::test
