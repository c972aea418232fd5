#include "spec/names.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
using mlconv::spec::enum_value_name;
using mlconv::spec::feature_type_name;
using mlconv::spec::layer_case_name;
using mlconv::spec::layer_type_name;
using mlconv::spec::model_type_name;
using mlconv::spec::oneof_case_name;
using Layer = cml::NeuralNetworkLayer;

}  // namespace

TEST_CASE("names: layer type names are the schema's field names") {
  Layer layer;
  CHECK(layer_type_name(layer) == "");
  layer.set_name("conv1");
  CHECK(layer_type_name(layer) == "");  // a name alone sets no type
  layer.mutable_convolution()->set_outputchannels(4);
  CHECK(layer_type_name(layer) == "convolution");
  layer.mutable_custom()->set_classname("Swish");
  CHECK(layer_type_name(layer) == "custom");
  layer.mutable_innerproduct();  // an empty params message still selects the case
  CHECK(layer_type_name(layer) == "innerProduct");
  layer.clear_layer();
  CHECK(layer_type_name(layer) == "");
}

TEST_CASE("names: layer_case_name by case number") {
  CHECK(layer_case_name(Layer::kCustom) == "custom");
  CHECK(layer_case_name(Layer::kConvolution) == "convolution");
  CHECK(layer_case_name(Layer::kBiDirectionalLSTM) == "biDirectionalLSTM");
  CHECK(layer_case_name(Layer::kNonMaximumSuppression) == "NonMaximumSuppression");
  CHECK(layer_case_name(Layer::kConvolution3D) == "convolution3d");
  CHECK(layer_case_name(Layer::LAYER_NOT_SET) == "");
  // Numbers of the layer's plain fields (name = 1, input = 2, isUpdatable = 10)
  // and numbers no field has are not layer cases.
  CHECK(layer_case_name(1) == "");
  CHECK(layer_case_name(2) == "");
  CHECK(layer_case_name(10) == "");
  CHECK(layer_case_name(9999) == "");
}

TEST_CASE("names: every layer case agrees between layer_type_name and layer_case_name") {
  const pb::OneofDescriptor* oneof = Layer::descriptor()->FindOneofByName("layer");
  REQUIRE(oneof != nullptr);
  REQUIRE(oneof->field_count() > 100);
  std::set<std::string> seen;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const pb::FieldDescriptor* field = oneof->field(i);
    CAPTURE(field->name());
    Layer layer;
    layer.GetReflection()->MutableMessage(&layer, field);
    CHECK(static_cast<int>(layer.layer_case()) == field->number());
    CHECK(layer_type_name(layer) == field->name());
    CHECK(layer_case_name(layer.layer_case()) == field->name());
    CHECK(seen.insert(std::string(layer_type_name(layer))).second);
  }
}

TEST_CASE("names: model type names") {
  cml::Model model;
  CHECK(model_type_name(model) == "");
  model.set_specificationversion(4);
  CHECK(model_type_name(model) == "");
  model.mutable_neuralnetwork();
  CHECK(model_type_name(model) == "neuralNetwork");
  model.mutable_neuralnetworkclassifier()->mutable_stringclasslabels()->add_vector("cat");
  CHECK(model_type_name(model) == "neuralNetworkClassifier");
  model.mutable_neuralnetworkregressor();
  CHECK(model_type_name(model) == "neuralNetworkRegressor");
  model.mutable_pipelineclassifier()->mutable_pipeline()->add_models();
  CHECK(model_type_name(model) == "pipelineClassifier");
  model.mutable_pipeline();
  CHECK(model_type_name(model) == "pipeline");
  model.mutable_glmclassifier();
  CHECK(model_type_name(model) == "glmClassifier");
  model.mutable_knearestneighborsclassifier();
  CHECK(model_type_name(model) == "kNearestNeighborsClassifier");
  model.mutable_mlprogram();
  CHECK(model_type_name(model) == "mlProgram");
  model.mutable_visionfeatureprint();
  CHECK(model_type_name(model) == "visionFeaturePrint");
  model.mutable_serializedmodel();
  CHECK(model_type_name(model) == "serializedModel");
  model.clear_Type();
  CHECK(model_type_name(model) == "");
}

TEST_CASE("names: feature type names") {
  cml::FeatureType type;
  CHECK(feature_type_name(type) == "");
  type.set_isoptional(true);  // a plain field, not a type
  CHECK(feature_type_name(type) == "");
  type.mutable_imagetype()->set_width(8);
  CHECK(feature_type_name(type) == "imageType");
  type.mutable_multiarraytype()->add_shape(3);
  CHECK(feature_type_name(type) == "multiArrayType");
  type.mutable_dictionarytype()->mutable_stringkeytype();
  CHECK(feature_type_name(type) == "dictionaryType");
  type.mutable_int64type();
  CHECK(feature_type_name(type) == "int64Type");
  type.mutable_doubletype();
  CHECK(feature_type_name(type) == "doubleType");
  type.mutable_stringtype();
  CHECK(feature_type_name(type) == "stringType");
  type.mutable_sequencetype();
  CHECK(feature_type_name(type) == "sequenceType");
  type.mutable_statetype();
  CHECK(feature_type_name(type) == "stateType");
}

TEST_CASE("names: oneof_case_name on any message, and on a oneof that does not exist") {
  cml::DictionaryFeatureType dictionary;
  CHECK(oneof_case_name(dictionary, "KeyType") == "");
  dictionary.mutable_int64keytype();
  CHECK(oneof_case_name(dictionary, "KeyType") == "int64KeyType");
  CHECK(oneof_case_name(dictionary, "NoSuchOneof") == "");
  CHECK(oneof_case_name(dictionary, "") == "");
  cml::ActivationParams activation;
  activation.mutable_prelu();
  CHECK(oneof_case_name(activation, "NonlinearityType") == "PReLU");
}

TEST_CASE("names: enum value names as the schema spells them, numbers otherwise") {
  const pb::EnumDescriptor* color = cml::ImageFeatureType::ColorSpace_descriptor();
  CHECK(enum_value_name(color, cml::ImageFeatureType::RGB) == "RGB");
  CHECK(enum_value_name(color, 10) == "GRAYSCALE");
  CHECK(enum_value_name(color, 0) == "INVALID_COLOR_SPACE");
  CHECK(enum_value_name(color, 21) == "21");
  CHECK(enum_value_name(color, -5) == "-5");
  const pb::EnumDescriptor* array = cml::ArrayFeatureType::ArrayDataType_descriptor();
  CHECK(enum_value_name(array, 0x10000 | 32) == "FLOAT32");
  CHECK(enum_value_name(array, 0x20000 | 8) == "INT8");
  CHECK(enum_value_name(array, 0x10000 | 8) == "65544");
}
