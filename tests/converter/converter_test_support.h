// Helpers for converter tests: a JSON graph from a string, and the Core ML model it
// converts to, so each test states its input graph and checks the produced protobuf.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "Model.pb.h"
#include "converter/convert.h"
#include "converter/frontends/json_graph.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {

inline converter::Graph graph_from_json(const std::string& text, const std::string& file = "model.json") {
  return converter::parse_json_graph(text, file, ".");
}

inline CoreML::Specification::Model convert_json(const std::string& text, const converter::ConvertOptions& options = {}) {
  const converter::ConversionPlan plan = converter::plan_conversion(graph_from_json(text), options);
  return converter::export_model(plan, options);
}

inline const google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>& layers_of(
    const CoreML::Specification::Model& model) {
  return model.has_neuralnetworkclassifier() ? model.neuralnetworkclassifier().layers() : model.neuralnetwork().layers();
}

// The layer kinds of a converted model in order, as the oneof names them:
// "batchedMatmul", "transpose", ...
inline std::vector<std::string> layer_kinds(const CoreML::Specification::Model& model) {
  std::vector<std::string> out;
  for (const auto& layer : layers_of(model)) {
    const auto* field = CoreML::Specification::NeuralNetworkLayer::descriptor()->FindFieldByNumber(static_cast<int>(layer.layer_case()));
    out.push_back(field->camelcase_name());
  }
  return out;
}

// Converts `graph_text`, runs the model with `mlconv run` on `inputs` (name -> nested
// JSON arrays) and returns the "outputs" object of its --json report. `name` names the
// scratch directory.
inline nlohmann::json run_json_graph(const std::string& name, const std::string& graph_text,
                                     const std::map<std::string, std::string>& inputs) {
  const std::filesystem::path dir = scratch_dir("run_json_graph_" + name);
  spec::save_model(convert_json(graph_text), dir / "model.mlmodel");
  std::vector<std::string> args{"run", (dir / "model.mlmodel").string(), "--json", (dir / "out.json").string()};
  for (const auto& [input, values] : inputs) {
    const auto file = dir / (input + ".json");
    std::ofstream(file) << values;
    args.insert(args.end(), {"--input", input + "=" + file.string()});
  }
  const CommandResult result = run_mlconv(args);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  std::ifstream in(dir / "out.json");
  return nlohmann::json::parse(in)["outputs"];
}

// The values of one output of run_json_graph.
inline std::vector<double> output_values(const nlohmann::json& output) { return output["data"].get<std::vector<double>>(); }

// The message of the mlconv::Error `body` throws, or "" when it does not throw.
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const mlconv::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace mlconv::test
