// Checks of the model's interface (ModelDescription): a model type, well-formed
// feature descriptions, the feature types a neural network can take and give,
// and the wiring a classifier's outputs need.
#include <algorithm>
#include <set>
#include <span>
#include <string>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;
using Features = google::protobuf::RepeatedPtrField<cml::FeatureDescription>;
using TypeCase = cml::FeatureType::TypeCase;

// Core ML accepts models without inputs (e.g. generators) from this version on.
constexpr int no_input_models_since = 9;

std::string feature_where(std::string_view kind, const cml::FeatureDescription& feature, int index) {
  if (feature.name().empty()) return std::string(kind) + " #" + std::to_string(index);
  return describe_named(kind, feature.name());
}

// Calls visit(where, feature) for every input and then every output.
template <typename Visit>
void for_each_feature(const cml::ModelDescription& description, Visit visit) {
  for (int i = 0; i < description.input_size(); ++i) visit(feature_where("input", description.input(i), i), description.input(i));
  for (int i = 0; i < description.output_size(); ++i) visit(feature_where("output", description.output(i), i), description.output(i));
}

bool has_output(const cml::ModelDescription& description, const std::string& name) {
  return std::any_of(description.output().begin(), description.output().end(),
                     [&](const cml::FeatureDescription& f) { return f.name() == name; });
}

const cml::FeatureDescription* find_output(const cml::ModelDescription& description, const std::string& name) {
  for (const auto& output : description.output()) {
    if (output.name() == name) return &output;
  }
  return nullptr;
}

std::string type_list(std::span<const TypeCase> types) {
  std::string out;
  for (const TypeCase type : types) {
    cml::FeatureType sample;
    const auto* field = cml::FeatureType::descriptor()->FindFieldByNumber(type);
    sample.GetReflection()->MutableMessage(&sample, field);
    out += (out.empty() ? "" : ", ") + std::string(feature_type_name(sample));
  }
  return out;
}

void check_model_type(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.Type_case() != cml::Model::TYPE_NOT_SET) return;
  reporter.report("model", "the model has no type: none of the Model.Type fields (neuralNetwork, pipeline, ...) is set",
                  "set the model type, e.g. neuralNetwork, with its parameters");
}

void check_feature_names(const ModelScope& scope, Reporter& reporter) {
  for_each_feature(scope.model.description(), [&](const std::string& where, const cml::FeatureDescription& feature) {
    if (!feature.name().empty()) return;
    reporter.report(where, "the feature has no name; inputs and outputs are bound by name",
                    "give it a name that the layers use");
  });
}

void check_unique_names(const Features& features, std::string_view kind, Reporter& reporter) {
  std::set<std::string> seen;
  for (int i = 0; i < features.size(); ++i) {
    const std::string& name = features[i].name();
    if (name.empty() || seen.insert(name).second) continue;
    reporter.report(feature_where(kind, features[i], i),
                    "another " + std::string(kind) + " has the same name; names must be unique",
                    "rename one of them");
  }
}

void check_feature_names_unique(const ModelScope& scope, Reporter& reporter) {
  check_unique_names(scope.model.description().input(), "input", reporter);
  check_unique_names(scope.model.description().output(), "output", reporter);
}

void check_feature_types_set(const ModelScope& scope, Reporter& reporter) {
  for_each_feature(scope.model.description(), [&](const std::string& where, const cml::FeatureDescription& feature) {
    if (feature.has_type() && feature.type().Type_case() != cml::FeatureType::TYPE_NOT_SET) return;
    reporter.report(where, "the feature has no type: none of the FeatureType fields is set",
                    "set its type, e.g. multiArrayType with a shape and data type, or imageType");
  });
}

bool is_neural_network(const cml::Model& model) { return network_of(model).has_value(); }

void check_types(const Features& features, std::string_view kind, std::span<const TypeCase> allowed,
                 std::string_view model_type, Reporter& reporter) {
  for (int i = 0; i < features.size(); ++i) {
    const TypeCase type = features[i].type().Type_case();
    if (type == cml::FeatureType::TYPE_NOT_SET) continue;  // E012
    if (std::find(allowed.begin(), allowed.end(), type) != allowed.end()) continue;
    reporter.report(feature_where(kind, features[i], i),
                    "a " + std::string(model_type) + " model cannot have an " + std::string(kind) + " of type " +
                        std::string(feature_type_name(features[i].type())) + "; allowed: " + type_list(allowed),
                    "change the " + std::string(kind) + " to one of the allowed types, or convert it in a pipeline "
                    "model before or after the network");
  }
}

void check_network_input_types(const ModelScope& scope, Reporter& reporter) {
  if (!is_neural_network(scope.model)) return;
  // State buffers (spec 9) are accepted where inputs are; Core ML treats them as inputs.
  static constexpr TypeCase allowed[] = {TypeCase::kMultiArrayType, TypeCase::kImageType, TypeCase::kStateType};
  check_types(scope.model.description().input(), "input", allowed, model_type_name(scope.model), reporter);
}

void check_network_output_types(const ModelScope& scope, Reporter& reporter) {
  static constexpr TypeCase plain[] = {TypeCase::kMultiArrayType, TypeCase::kImageType};
  // A classifier adds the predicted label and the probability dictionary it computes itself.
  static constexpr TypeCase classifier[] = {TypeCase::kMultiArrayType, TypeCase::kImageType,
                                            TypeCase::kDictionaryType, TypeCase::kStringType, TypeCase::kInt64Type};
  static constexpr TypeCase regressor[] = {TypeCase::kMultiArrayType, TypeCase::kImageType, TypeCase::kDoubleType};
  std::span<const TypeCase> allowed;
  switch (scope.model.Type_case()) {
    case cml::Model::kNeuralNetwork: allowed = plain; break;
    case cml::Model::kNeuralNetworkClassifier: allowed = classifier; break;
    case cml::Model::kNeuralNetworkRegressor: allowed = regressor; break;
    default: return;
  }
  check_types(scope.model.description().output(), "output", allowed, model_type_name(scope.model), reporter);
}

void check_has_inputs(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.description().input_size() > 0) return;
  if (scope.model.specificationversion() >= no_input_models_since) return;
  if (scope.model.Type_case() == cml::Model::TYPE_NOT_SET) return;  // E003
  reporter.report("model",
                  "the model has no inputs; models without inputs need specificationVersion " +
                      std::to_string(no_input_models_since) + " or later",
                  "declare the inputs the model reads");
}

void check_has_outputs(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.description().output_size() > 0) return;
  if (scope.model.Type_case() == cml::Model::TYPE_NOT_SET) return;  // E003
  reporter.report("model", "the model has no outputs; every model must declare at least one",
                  "declare the outputs the model produces");
}

void check_class_labels(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.Type_case() != cml::Model::kNeuralNetworkClassifier) return;
  const auto labels = class_labels_of(scope.model);
  if (labels && labels->size() > 0) return;
  reporter.report("model", "a neuralNetworkClassifier must list its class labels (stringClassLabels or int64ClassLabels)",
                  "add one label per element of the probability vector");
}

void check_predicted_feature(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.Type_case() != cml::Model::kNeuralNetworkClassifier) return;
  const cml::ModelDescription& description = scope.model.description();
  const std::string& name = description.predictedfeaturename();
  if (name.empty()) {
    reporter.report("model", "a classifier must name the output of its predicted label in predictedFeatureName",
                    "set predictedFeatureName to a string or int64 output, e.g. 'classLabel'");
    return;
  }
  const cml::FeatureDescription* output = find_output(description, name);
  if (output == nullptr) {
    reporter.report("model", "predictedFeatureName '" + name + "' is not one of the model's outputs",
                    "add an output '" + name + "' of type stringType (or int64Type for int64 labels)");
    return;
  }
  const auto labels = class_labels_of(scope.model);
  const bool int64 = labels && labels->is_int64;
  const TypeCase expected = int64 ? TypeCase::kInt64Type : TypeCase::kStringType;
  if (output->type().Type_case() == expected) return;
  reporter.report(describe_named("output", name),
                  "the predicted label output must have type " + std::string(int64 ? "int64Type" : "stringType") +
                      " to match the class labels, not " + std::string(feature_type_name(output->type())),
                  "change the output's type to match the class labels");
}

void check_predicted_probabilities(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.Type_case() != cml::Model::kNeuralNetworkClassifier) return;
  const std::string& name = scope.model.description().predictedprobabilitiesname();
  if (name.empty() || has_output(scope.model.description(), name)) return;
  reporter.report("model", "predictedProbabilitiesName '" + name + "' is not one of the model's outputs",
                  "add an output '" + name + "' of type dictionaryType, or clear predictedProbabilitiesName");
}

}  // namespace

void register_interface_checks(CheckList& list) {
  list.add({"E003", Severity::error, "the model has a type", check_model_type});
  list.add({"E010", Severity::error, "every input and output has a name", check_feature_names});
  list.add({"E011", Severity::error, "input names are unique, and output names are unique", check_feature_names_unique});
  list.add({"E012", Severity::error, "every input and output has a type", check_feature_types_set});
  list.add({"E013", Severity::error, "a neural network's inputs are multi-arrays or images", check_network_input_types});
  list.add({"E014", Severity::error,
            "a neural network's outputs are multi-arrays or images (classifiers: also dictionary, string, int64; "
            "regressors: also double)",
            check_network_output_types});
  list.add({"E015", Severity::error, "the model has at least one input (before specification version 9)",
            check_has_inputs});
  list.add({"E016", Severity::error, "the model has at least one output", check_has_outputs});
  list.add({"E030", Severity::error, "a neural network classifier has class labels", check_class_labels});
  list.add({"E031", Severity::error,
            "a neural network classifier's predictedFeatureName names an output of the labels' type",
            check_predicted_feature});
  list.add({"E032", Severity::error, "a neural network classifier's predictedProbabilitiesName, when set, names an output",
            check_predicted_probabilities});
}

}  // namespace mlconv::spec::validation
