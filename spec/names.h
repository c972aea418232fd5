// Display names for oneof cases, read from the schema by reflection so that no
// hand-kept table can drift from the .proto files: a layer is "convolution",
// a model "neuralNetworkClassifier", a feature "multiArrayType".
#pragma once

#include <string>
#include <string_view>

#include "Model.pb.h"

namespace mlconv::spec {

// Name of the field set in `oneof_name` of `message`; empty when none is set.
std::string_view oneof_case_name(const google::protobuf::Message& message, std::string_view oneof_name);

std::string_view layer_type_name(const CoreML::Specification::NeuralNetworkLayer& layer);
std::string_view model_type_name(const CoreML::Specification::Model& model);
std::string_view feature_type_name(const CoreML::Specification::FeatureType& type);

// Name of a layer case by its number, for code that holds only the case. An int, not
// the LayerCase enum: numbers read from hostile files may lie outside the enum's range,
// where merely holding them in the enum type is undefined behaviour.
std::string_view layer_case_name(int layer_case);

// The name of an enum value as the schema spells it ("FLOAT32", "RGB"), or its number when unknown.
std::string enum_value_name(const google::protobuf::EnumDescriptor* descriptor, int value);

}  // namespace mlconv::spec
