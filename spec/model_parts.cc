#include "spec/model_parts.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;

namespace {

template <typename Network>
NetworkView view_of(const Network& network) {
  return NetworkView{network.layers(), network.preprocessing(), network.arrayinputshapemapping(),
                     network.imageinputshapemapping(), network.has_updateparams() ? &network.updateparams() : nullptr};
}

}  // namespace

std::optional<NetworkView> network_of(const cml::Model& model) {
  switch (model.Type_case()) {
    case cml::Model::kNeuralNetwork: return view_of(model.neuralnetwork());
    case cml::Model::kNeuralNetworkClassifier: return view_of(model.neuralnetworkclassifier());
    case cml::Model::kNeuralNetworkRegressor: return view_of(model.neuralnetworkregressor());
    default: return std::nullopt;
  }
}

std::vector<SubNetwork> sub_networks(const cml::NeuralNetworkLayer& layer) {
  std::vector<SubNetwork> subs;
  if (layer.has_loop()) {
    if (layer.loop().has_conditionnetwork()) subs.push_back({"conditionNetwork", &layer.loop().conditionnetwork()});
    if (layer.loop().has_bodynetwork()) subs.push_back({"bodyNetwork", &layer.loop().bodynetwork()});
  } else if (layer.has_branch()) {
    if (layer.branch().has_ifbranch()) subs.push_back({"ifBranch", &layer.branch().ifbranch()});
    if (layer.branch().has_elsebranch()) subs.push_back({"elseBranch", &layer.branch().elsebranch()});
  }
  return subs;
}

const cml::Pipeline* pipeline_of(const cml::Model& model) {
  switch (model.Type_case()) {
    case cml::Model::kPipeline: return &model.pipeline();
    case cml::Model::kPipelineClassifier: return &model.pipelineclassifier().pipeline();
    case cml::Model::kPipelineRegressor: return &model.pipelineregressor().pipeline();
    default: return nullptr;
  }
}

const pb::Message* model_type_message(const cml::Model& model) {
  const pb::OneofDescriptor* oneof = cml::Model::descriptor()->FindOneofByName("Type");
  const pb::FieldDescriptor* field = model.GetReflection()->GetOneofFieldDescriptor(model, oneof);
  return field == nullptr ? nullptr : &model.GetReflection()->GetMessage(model, field);
}

std::optional<ClassLabels> class_labels_of(const cml::Model& model) {
  const pb::Message* type = model_type_message(model);
  if (type == nullptr) return std::nullopt;
  const pb::OneofDescriptor* oneof = type->GetDescriptor()->FindOneofByName("ClassLabels");
  if (oneof == nullptr) return std::nullopt;
  const pb::FieldDescriptor* field = type->GetReflection()->GetOneofFieldDescriptor(*type, oneof);
  if (field == nullptr) return std::nullopt;
  const pb::Message& labels = type->GetReflection()->GetMessage(*type, field);
  ClassLabels result;
  if (labels.GetDescriptor() == cml::Int64Vector::descriptor()) {
    result.is_int64 = true;
    result.ints = &static_cast<const cml::Int64Vector&>(labels).vector();
  } else if (labels.GetDescriptor() == cml::StringVector::descriptor()) {
    result.strings = &static_cast<const cml::StringVector&>(labels).vector();
  } else {
    return std::nullopt;
  }
  return result;
}

}  // namespace mlconv::spec
