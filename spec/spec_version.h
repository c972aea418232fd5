// Which specificationVersion a model needs, and why. Core ML refuses a model
// whose declared version is lower than what its layers and features require,
// and an app cannot load a model newer than its OS; both are decided here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"

namespace mlconv::spec {

// The newest specificationVersion this schema describes (iOS 26 / macOS 26).
inline constexpr int newest_known_spec_version = 10;

// "iOS 11", "iOS 11.2", ..., "iOS 26"; with the matching macOS in long form.
std::string_view os_for_spec_version(int version);
std::string_view long_os_for_spec_version(int version);

struct VersionRequirement {
  int version;          // the specificationVersion this thing needs
  std::string where;    // "layer 'swish1' (custom)", "input 'image'", "pipeline model 1", "model"
  std::string feature;  // what needs it: "custom layers", "float16 weights", "the 'resizeBilinear' layer"
};

// Every requirement above version 1 that the model's content imposes: layer
// cases, weight storage, feature types and flexible shapes, updatable
// training, model types, walking pipelines and loop/branch sub-networks.
std::vector<VersionRequirement> version_requirements(const CoreML::Specification::Model& model);

// The specificationVersion that introduced a layer type (1 for iOS 11 layers; 0 for LAYER_NOT_SET).
int spec_version_of_layer_case(CoreML::Specification::NeuralNetworkLayer::LayerCase layer_case);

// The lowest specificationVersion the model's content allows (at least 1).
int minimum_spec_version(const CoreML::Specification::Model& model);

}  // namespace mlconv::spec
