#include "spec/names.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;

std::string_view oneof_case_name(const pb::Message& message, std::string_view oneof_name) {
  const pb::OneofDescriptor* oneof = message.GetDescriptor()->FindOneofByName(std::string(oneof_name));
  if (oneof == nullptr) return {};
  const pb::FieldDescriptor* field = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
  return field == nullptr ? std::string_view{} : std::string_view(field->name());
}

std::string_view layer_type_name(const cml::NeuralNetworkLayer& layer) { return oneof_case_name(layer, "layer"); }

std::string_view model_type_name(const cml::Model& model) { return oneof_case_name(model, "Type"); }

std::string_view feature_type_name(const cml::FeatureType& type) { return oneof_case_name(type, "Type"); }

std::string_view layer_case_name(int layer_case) {
  const pb::Descriptor* layer = cml::NeuralNetworkLayer::descriptor();
  const pb::FieldDescriptor* field = layer->FindFieldByNumber(layer_case);
  // The layer's plain fields (name = 1, input = 2, ...) share the number space but are no layer case.
  if (field == nullptr || field->containing_oneof() != layer->FindOneofByName("layer")) return {};
  return field->name();
}

std::string enum_value_name(const pb::EnumDescriptor* descriptor, int value) {
  const pb::EnumValueDescriptor* found = descriptor->FindValueByNumber(value);
  return found == nullptr ? std::to_string(value) : found->name();
}

}  // namespace mlconv::spec
