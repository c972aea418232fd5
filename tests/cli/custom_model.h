// A small model with one custom layer for the binding, Swift, plugin and
// scaffold tests: input 'x' [3, 4, 4] -> custom layer 'act' -> output 'y'.
#pragma once

#include <filesystem>
#include <string>

#include "Model.pb.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {

inline CoreML::Specification::Model custom_layer_model(const std::string& class_name) {
  namespace cml = CoreML::Specification;
  cml::Model model;
  model.set_specificationversion(4);
  cml::FeatureDescription* input = model.mutable_description()->add_input();
  input->set_name("x");
  for (int d : {3, 4, 4}) input->mutable_type()->mutable_multiarraytype()->add_shape(d);
  input->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::FLOAT32);
  cml::FeatureDescription* output = model.mutable_description()->add_output();
  output->set_name("y");
  output->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::FLOAT32);
  cml::NeuralNetworkLayer* layer = model.mutable_neuralnetwork()->add_layers();
  layer->set_name("act");
  layer->add_input("x");
  layer->add_output("y");
  layer->mutable_custom()->set_classname(class_name);
  return model;
}

inline CoreML::Specification::CustomLayerParams& custom_params(CoreML::Specification::Model& model) {
  return *model.mutable_neuralnetwork()->mutable_layers(0)->mutable_custom();
}

inline std::filesystem::path save_in_scratch(const CoreML::Specification::Model& model, const std::string& dir,
                                             const std::string& name = "custom.mlmodel") {
  const auto path = scratch_dir(dir) / name;
  spec::save_model(model, path);
  return path;
}

}  // namespace mlconv::test
