// Small valid models for the validation tests to break one way at a time, and
// helpers to pick findings out of a result.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"
#include "spec/validation/validator.h"

namespace mlconv::test::validation_builders {

namespace cml = CoreML::Specification;
using spec::validation::Finding;

inline cml::FeatureDescription* add_array(google::protobuf::RepeatedPtrField<cml::FeatureDescription>* features,
                                          const std::string& name) {
  cml::FeatureDescription* feature = features->Add();
  feature->set_name(name);
  feature->mutable_type()->mutable_multiarraytype()->add_shape(3);
  feature->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::FLOAT32);
  return feature;
}

inline cml::NeuralNetworkLayer* add_relu(google::protobuf::RepeatedPtrField<cml::NeuralNetworkLayer>* layers,
                                         const std::string& name, const std::string& input, const std::string& output) {
  cml::NeuralNetworkLayer* layer = layers->Add();
  layer->set_name(name);
  layer->add_input(input);
  layer->add_output(output);
  layer->mutable_activation()->mutable_relu();
  return layer;
}

// Replaces a multi-array feature's declared shape.
inline void set_shape(cml::FeatureDescription* feature, std::initializer_list<std::int64_t> dims) {
  auto* array = feature->mutable_type()->mutable_multiarraytype();
  array->clear_shape();
  for (const std::int64_t d : dims) array->add_shape(d);
}

inline cml::FeatureDescription* input_feature(cml::Model& model, int i = 0) {
  return model.mutable_description()->mutable_input(i);
}
inline cml::FeatureDescription* output_feature(cml::Model& model, int i = 0) {
  return model.mutable_description()->mutable_output(i);
}

// A valid network of the given version: input 'x' -> relu -> output 'y'.
inline cml::Model network_model(int version = 1) {
  cml::Model model;
  model.set_specificationversion(version);
  add_array(model.mutable_description()->mutable_input(), "x");
  add_array(model.mutable_description()->mutable_output(), "y");
  add_relu(model.mutable_neuralnetwork()->mutable_layers(), "relu", "x", "y");
  return model;
}

// The one finding with `code`; fails the test when there is none or more than one.
inline Finding only(const std::vector<Finding>& findings, std::string_view code) {
  const auto n = std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
  REQUIRE_MESSAGE(n == 1, "expected one finding " << code << ", got " << n);
  return *std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
}

inline bool has(const std::vector<Finding>& findings, std::string_view code) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
}

}  // namespace mlconv::test::validation_builders
