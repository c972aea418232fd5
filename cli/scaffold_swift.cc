// `scaffold --swift`: one MLCustomLayer class per className. Parameters are
// read through NSNumber, so every stored number converts (a direct `as? Float`
// on a doubleValue gives nil: validate's W221); weights are kept as the Data
// blobs Core ML hands setWeightData; outputShapes follows the binding's rule
// or is a marked placeholder; evaluate throws until it is written.
#include <map>

#include "cli/scaffold.h"
#include "cli/scaffold_text.h"

namespace mlconv::cli::scaffold {

namespace {

using spec::validation::ParamType;
using spec::validation::WeightType;

struct SwiftType {
  const char* type;
  const char* accessor;  // on NSNumber; empty for strings
};

SwiftType swift_type(ParamType type) {
  switch (type) {
    case ParamType::double_: return {"Double", "doubleValue"};
    case ParamType::int_: return {"Int32", "int32Value"};
    case ParamType::long_: return {"Int64", "int64Value"};
    case ParamType::bool_: return {"Bool", "boolValue"};
    case ParamType::string: return {"String", ""};
  }
  return {"Any", ""};
}

std::string read_expression(const spec::validation::ParameterBinding& p) {
  const SwiftType t = swift_type(p.type);
  const std::string key = "parameters[" + swift_string(p.name) + "]";
  if (p.type == ParamType::string) return key + " as? String";
  return "(" + key + " as? NSNumber)?." + t.accessor;
}

std::string output_shapes_body(const ClassToWrite& cls, const std::map<std::string, std::string>& members) {
  const auto& outputs = cls.binding.outputs;
  std::string body;
  if (!cls.rule_from_user) {
    body += "    // PLACEHOLDER (mlconv scaffold): the model does not say how this class shapes its outputs. Each\n"
            "    // output below takes the shape of an input; replace this with the class's real rule (and put it\n"
            "    // in the bindings file so `mlconv validate` and `scaffold` know it).\n";
  }
  body += "    return [\n";
  for (const auto& output : outputs) {
    if (output.same_as_input) {
      body += "      inputShapes[" + std::to_string(*output.same_as_input) + "],  // " + comment_text(output.name) + "\n";
      continue;
    }
    std::string dims;
    for (const auto& rule : output.dims) {
      const std::string code = rule.render(
          [](int k, int d) {
            const std::string shape = "inputShapes[" + std::to_string(k) + "]";
            return shape + "[" + (d < 0 ? shape + ".count - " + std::to_string(-d) : std::to_string(d)) + "].intValue";
          },
          [&](const std::string& name) { return "Int(" + members.at(name) + ")"; });
      dims += (dims.empty() ? "" : ", ") + std::string("NSNumber(value: ") + code + ")";
    }
    body += "      [" + dims + "],  // " + comment_text(output.name) + "\n";
  }
  body += "    ]\n";
  return body;
}

}  // namespace

std::string swift_source(const ClassToWrite& cls, const std::string& model_file, bool gpu) {
  const auto& b = cls.binding;
  const std::string name = identifier(b.class_name);
  const std::map<std::string, std::string> members = member_names(b);
  std::string s;
  s += "// Custom layer class '" + comment_text(b.class_name) + "' of " + comment_text(model_file) +
       " (layers: " + comment_text(join_quoted(cls.layer_names)) + ").\n";
  s += "// Written by `mlconv scaffold --swift`; evaluate() is yours to write. Check the model against this file\n"
       "// with `mlconv validate --swift DIR MODEL`.\n";
  if (!b.description.empty()) s += "// " + comment_text(b.description) + "\n";
  s += "import Foundation\nimport CoreML\n";
  if (gpu) s += "import Metal\n";
  s += "\n@objc(" + b.class_name + ") class " + name + ": NSObject, MLCustomLayer {\n";
  s += "  enum LayerError: Error {\n    case missingParameter(String)\n    case wrongWeights(String)\n"
       "    case notImplemented(String)\n  }\n\n";
  for (const auto& p : b.parameters) {
    const std::string& property = members.at(p.name);
    s += "  /// parameters[" + swift_string(p.name) + "], stored as " + std::string(spec::validation::param_type_field(p.type)) +
         (p.required ? " (required)" : " (optional)") + "\n";
    s += "  let " + property + ": " + swift_type(p.type).type + (p.required ? "" : "?") + "\n";
  }
  if (!b.weights.empty()) {
    s += "  /// The weight blobs as stored: ";
    for (std::size_t i = 0; i < b.weights.size(); ++i)
      s += (i == 0 ? "" : ", ") + std::string("#") + std::to_string(i) + " " + comment_text(b.weights[i].name) + " (" +
           std::string(spec::validation::weight_type_name(b.weights[i].type)) + ")";
    s += "\n  private(set) var weights: [Data] = []\n";
  }
  s += "\n  required init(parameters: [String: Any]) throws {\n";
  s += "    // Numbers arrive as NSNumber: read them through NSNumber so any stored number converts.\n";
  for (const auto& p : b.parameters) {
    const std::string& property = members.at(p.name);
    if (p.required) {
      s += "    guard let " + property + " = " + read_expression(p) + " else {\n";
      s += "      throw LayerError.missingParameter(" + swift_string(p.name) + ")\n    }\n";
      s += "    self." + property + " = " + property + "\n";
    } else {
      s += "    self." + property + " = " + read_expression(p) + "\n";
    }
  }
  s += "    super.init()\n  }\n\n";
  s += "  func setWeightData(_ weights: [Data]) throws {\n";
  s += "    guard weights.count == " + std::to_string(b.weights.size()) + " else {\n";
  s += "      throw LayerError.wrongWeights(\"expected " + std::to_string(b.weights.size()) +
       " weight blobs, got \\(weights.count)\")\n    }\n";
  for (std::size_t i = 0; i < b.weights.size(); ++i) {
    const auto& w = b.weights[i];
    if (!w.count || w.count->uses_inputs() || !w.count->names().empty()) continue;
    const auto count = w.count->evaluate({}, {});
    if (!count) continue;
    const std::int64_t bytes = *count * (w.type == WeightType::float32 ? 4 : w.type == WeightType::float16 ? 2 : 1);
    s += "    guard weights[" + std::to_string(i) + "].count == " + std::to_string(bytes) + " else {  // " +
         std::to_string(*count) + " " + std::string(spec::validation::weight_type_name(w.type)) + "\n";
    s += "      throw LayerError.wrongWeights(\"blob " + std::to_string(i) + " has \\(weights[" + std::to_string(i) +
         "].count) bytes; expected " + std::to_string(bytes) + "\")\n    }\n";
  }
  s += b.weights.empty() ? "" : "    self.weights = weights\n";
  s += "  }\n\n";
  s += "  func outputShapes(forInputShapes inputShapes: [[NSNumber]]) throws -> [[NSNumber]] {\n";
  s += output_shapes_body(cls, members);
  s += "  }\n\n";
  s += "  func evaluate(inputs: [MLMultiArray], outputs: [MLMultiArray]) throws {\n";
  s += "    // Compute outputs[i] (already allocated with the shapes above) from inputs; with the rank-5 mapping\n"
       "    // an array is [sequence, batch, channels, height, width].\n";
  s += "    throw LayerError.notImplemented(\"" + name + ".evaluate\")\n  }\n";
  if (gpu) {
    s += "\n  func encode(commandBuffer: MTLCommandBuffer, inputs: [MTLTexture], outputs: [MTLTexture]) throws {\n";
    s += "    // Encode a compute kernel here; Core ML calls this instead of evaluate when it runs on the GPU.\n";
    s += "    throw LayerError.notImplemented(\"" + name + ".encode\")\n  }\n";
  }
  s += "}\n";
  return s;
}

}  // namespace mlconv::cli::scaffold
