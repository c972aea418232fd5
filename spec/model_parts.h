// Uniform access to the parts of a Model that appear under several model types:
// the three neural-network kinds share layers, preprocessing, shape mappings and
// update parameters; the three pipeline kinds share a Pipeline.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "Model.pb.h"

namespace mlconv::spec {

struct NetworkView {
  const google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>& layers;
  const google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkPreprocessing>& preprocessing;
  CoreML::Specification::NeuralNetworkMultiArrayShapeMapping array_input_shape_mapping;
  CoreML::Specification::NeuralNetworkImageShapeMapping image_input_shape_mapping;
  const CoreML::Specification::NetworkUpdateParameters* update_params;  // null when not set
};

// The network of a neuralNetwork, neuralNetworkClassifier or neuralNetworkRegressor model.
std::optional<NetworkView> network_of(const CoreML::Specification::Model& model);

// A network nested in a loop or branch layer, named by its field.
struct SubNetwork {
  std::string_view field;  // "conditionNetwork", "bodyNetwork", "ifBranch", "elseBranch"
  const CoreML::Specification::NeuralNetwork* network;
};

// The sub-networks a loop or branch layer holds (only those that are set); none for other layers.
std::vector<SubNetwork> sub_networks(const CoreML::Specification::NeuralNetworkLayer& layer);

// The pipeline of a pipeline, pipelineClassifier or pipelineRegressor model; null otherwise.
const CoreML::Specification::Pipeline* pipeline_of(const CoreML::Specification::Model& model);

// The message of the model type that is set (e.g. the GLMClassifier), or null.
const google::protobuf::Message* model_type_message(const CoreML::Specification::Model& model);

struct ClassLabels {
  bool is_int64 = false;
  const google::protobuf::RepeatedPtrField<std::string>* strings = nullptr;
  const google::protobuf::RepeatedField<std::int64_t>* ints = nullptr;
  [[nodiscard]] int size() const { return is_int64 ? ints->size() : strings->size(); }
};

// The class labels of any classifier model type (they all keep them in a
// oneof named ClassLabels); empty when the model type has none.
std::optional<ClassLabels> class_labels_of(const CoreML::Specification::Model& model);

}  // namespace mlconv::spec
