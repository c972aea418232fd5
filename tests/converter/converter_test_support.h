// Helpers for converter tests: a JSON graph from a string, and the Core ML model it
// converts to, so each test states its input graph and checks the produced protobuf.
#pragma once

#include <string>

#include "Model.pb.h"
#include "converter/convert.h"
#include "converter/frontends/json_graph.h"
#include "spec/error.h"

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
