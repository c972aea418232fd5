#include "cli/inspect_report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include <google/protobuf/util/json_util.h>

#include "cli/inspect_features.h"
#include "cli/layer_attributes.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/spec_version.h"
#include "spec/weights.h"

namespace mlconv::cli {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;
using nlohmann::ordered_json;

double shortest_double(float value) {
  if (!std::isfinite(value)) return static_cast<double>(value);
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  double shortest = 0;
  std::from_chars(buffer, result.ptr, shortest);
  return shortest;
}

ordered_json json_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

namespace {

// Totals that roll up from layers to networks to pipeline models.
struct Totals {
  std::map<std::string, std::uint64_t> layer_types;
  std::uint64_t layer_count = 0;
  struct Storage {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::uint64_t blobs = 0;
  };
  std::map<std::string, Storage> parameters;  // by element type
  struct CustomUse {
    std::string description;
    ordered_json usages = ordered_json::array();
  };
  std::map<std::string, CustomUse> custom_classes;
  std::vector<std::string> custom_order;  // first-seen order, as Xcode lists them

  void merge(const Totals& inner) {
    layer_count += inner.layer_count;
    for (const auto& [type, n] : inner.layer_types) layer_types[type] += n;
    for (const auto& [type, s] : inner.parameters) {
      parameters[type].count += s.count;
      parameters[type].bytes += s.bytes;
      parameters[type].blobs += s.blobs;
    }
    for (const std::string& name : inner.custom_order) {
      const CustomUse& use = inner.custom_classes.at(name);
      if (!custom_classes.contains(name)) custom_order.push_back(name);
      CustomUse& mine = custom_classes[name];
      if (mine.description.empty()) mine.description = use.description;
      for (const auto& usage : use.usages) mine.usages.push_back(usage);
    }
  }
};

ordered_json custom_parameter_json(const cml::CustomLayerParams::CustomLayerParamValue& value) {
  switch (value.value_case()) {
    case cml::CustomLayerParams::CustomLayerParamValue::kDoubleValue:
      return {{"type", "double"}, {"value", json_number(value.doublevalue())}};
    case cml::CustomLayerParams::CustomLayerParamValue::kStringValue:
      return {{"type", "string"}, {"value", value.stringvalue()}};
    case cml::CustomLayerParams::CustomLayerParamValue::kIntValue:
      return {{"type", "int"}, {"value", value.intvalue()}};
    case cml::CustomLayerParams::CustomLayerParamValue::kLongValue:
      return {{"type", "long"}, {"value", value.longvalue()}};
    case cml::CustomLayerParams::CustomLayerParamValue::kBoolValue:
      return {{"type", "bool"}, {"value", value.boolvalue()}};
    default:
      return {{"type", nullptr}, {"value", nullptr}};
  }
}

ordered_json statistics_json(const spec::WeightBlob& blob) {
  if (blob.storage == spec::WeightStorage::raw_bytes || blob.storage == spec::WeightStorage::empty ||
      blob.storage == spec::WeightStorage::ambiguous) {
    return nullptr;
  }
  const spec::WeightStatistics stats = spec::weight_statistics(blob);
  return {{"min", json_number(stats.min)}, {"max", json_number(stats.max)}, {"mean", json_number(stats.mean)},
          {"nan", stats.nan}, {"inf", stats.inf}};
}

ordered_json weights_json(const cml::NeuralNetworkLayer& layer, Totals& totals, const InspectOptions& options) {
  ordered_json weights = ordered_json::array();
  for (const spec::WeightBlob& blob : spec::layer_weights(layer)) {
    const std::string type = spec::element_type_name(blob);
    ordered_json entry{{"field", blob.field}, {"elementType", type}, {"count", blob.count}, {"bytes", blob.bytes}};
    if (options.weight_statistics) {
      try {
        entry["statistics"] = statistics_json(blob);
      } catch (Error& error) {
        throw error.within(describe_named("layer", layer.name(), spec::layer_type_name(layer)));
      }
    }
    if (blob.storage != spec::WeightStorage::empty) {
      Totals::Storage& storage = totals.parameters[type];
      storage.count += blob.count;
      storage.bytes += blob.bytes;
      storage.blobs += 1;
    }
    weights.push_back(std::move(entry));
  }
  return weights;
}

ordered_json layers_json(const pb::RepeatedPtrField<cml::NeuralNetworkLayer>& layers, Totals& totals,
                         const InspectOptions& options);

ordered_json layer_json(const cml::NeuralNetworkLayer& layer, int index, Totals& totals, const InspectOptions& options) {
  const std::string type(spec::layer_type_name(layer));
  ordered_json out;
  out["index"] = index;
  out["name"] = layer.name();
  out["type"] = type;
  out["inputs"] = layer.input();
  out["outputs"] = layer.output();
  if (layer.isupdatable()) out["isUpdatable"] = true;
  out["attributes"] = layer_attributes(layer);
  out["weights"] = weights_json(layer, totals, options);
  ++totals.layer_count;
  ++totals.layer_types[type];

  if (layer.has_custom()) {
    const cml::CustomLayerParams& custom = layer.custom();
    out["className"] = custom.classname();
    out["description"] = custom.description();
    std::vector<std::string> keys;
    for (const auto& [key, value] : custom.parameters()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());  // the map has no order; sorted keeps output stable
    ordered_json parameters = ordered_json::object();
    for (const std::string& key : keys) parameters[key] = custom_parameter_json(custom.parameters().at(key));
    out["parameters"] = parameters;

    if (!totals.custom_classes.contains(custom.classname())) totals.custom_order.push_back(custom.classname());
    Totals::CustomUse& use = totals.custom_classes[custom.classname()];
    if (use.description.empty()) use.description = custom.description();
    ordered_json blobs = ordered_json::array();
    for (const auto& weight : out["weights"]) blobs.push_back({{"elementType", weight["elementType"]}, {"count", weight["count"]}});
    use.usages.push_back({{"layer", layer.name()}, {"description", custom.description()}, {"parameters", parameters},
                          {"weights", std::move(blobs)}});
  } else if (layer.has_loop() || layer.has_branch()) {
    ordered_json networks = ordered_json::object();
    for (const spec::SubNetwork& sub : spec::sub_networks(layer)) {
      networks[std::string(sub.field)] = {{"layers", layers_json(sub.network->layers(), totals, options)}};
    }
    out["subnetworks"] = std::move(networks);
  }
  return out;
}

ordered_json layers_json(const pb::RepeatedPtrField<cml::NeuralNetworkLayer>& layers, Totals& totals,
                         const InspectOptions& options) {
  ordered_json out = ordered_json::array();
  for (int i = 0; i < layers.size(); ++i) out.push_back(layer_json(layers[i], i, totals, options));
  return out;
}

ordered_json message_as_json(const pb::Message& message) {
  std::string text;
  pb::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  if (!pb::util::MessageToJsonString(message, &text, print).ok()) return nullptr;
  return ordered_json::parse(text);
}

ordered_json preprocessing_json(const spec::NetworkView& network) {
  ordered_json out = ordered_json::array();
  for (const cml::NeuralNetworkPreprocessing& step : network.preprocessing) {
    ordered_json entry{{"featureName", step.featurename()}};
    if (step.has_scaler()) {
      const auto& s = step.scaler();
      entry["scaler"] = {{"channelScale", shortest_double(s.channelscale())}, {"redBias", shortest_double(s.redbias())},
                         {"greenBias", shortest_double(s.greenbias())}, {"blueBias", shortest_double(s.bluebias())},
                         {"grayBias", shortest_double(s.graybias())}};
    } else if (step.has_meanimage()) {
      entry["meanImage"] = {{"count", step.meanimage().meanimage_size()}};
    }
    out.push_back(std::move(entry));
  }
  return out;
}

ordered_json features_json(const pb::RepeatedPtrField<cml::FeatureDescription>& features) {
  ordered_json out = ordered_json::array();
  for (const auto& feature : features) out.push_back(feature_json(feature));
  return out;
}

ordered_json metadata_json(const cml::Metadata& metadata) {
  ordered_json out;
  out["shortDescription"] = metadata.shortdescription();
  out["author"] = metadata.author();
  out["license"] = metadata.license();
  out["versionString"] = metadata.versionstring();
  std::map<std::string, std::string> sorted(metadata.userdefined().begin(), metadata.userdefined().end());
  out["userDefined"] = sorted;
  return out;
}

ordered_json class_labels_json(const cml::Model& model) {
  const auto labels = spec::class_labels_of(model);
  if (!labels) return nullptr;
  ordered_json out{{"type", labels->is_int64 ? "int64" : "string"}, {"count", labels->size()}};
  if (labels->is_int64) {
    out["labels"] = *labels->ints;
  } else {
    out["labels"] = *labels->strings;
  }
  return out;
}

void write_totals(const Totals& totals, ordered_json& out) {
  out["layerCount"] = totals.layer_count;
  std::vector<std::pair<std::string, std::uint64_t>> types(totals.layer_types.begin(), totals.layer_types.end());
  std::stable_sort(types.begin(), types.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  ordered_json by_type = ordered_json::object();
  for (const auto& [type, n] : types) by_type[type] = n;
  out["layerTypes"] = std::move(by_type);

  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  ordered_json by_element = ordered_json::object();
  for (const auto& [type, storage] : totals.parameters) {
    count += storage.count;
    bytes += storage.bytes;
    by_element[type] = {{"count", storage.count}, {"bytes", storage.bytes}, {"blobs", storage.blobs}};
  }
  out["parameters"] = {{"count", count}, {"bytes", bytes}, {"byElementType", std::move(by_element)}};

  ordered_json classes = ordered_json::array();
  for (const std::string& name : totals.custom_order) {
    const Totals::CustomUse& use = totals.custom_classes.at(name);
    ordered_json layers = ordered_json::array();
    for (const auto& usage : use.usages) layers.push_back(usage["layer"]);
    classes.push_back({{"className", name}, {"description", use.description}, {"layers", std::move(layers)},
                       {"usages", use.usages}});
  }
  out["customLayers"] = std::move(classes);
}

ordered_json model_json(const cml::Model& model, Totals& totals, const InspectOptions& options) {
  ordered_json out;
  out["specificationVersion"] = model.specificationversion();
  out["os"] = spec::os_for_spec_version(model.specificationversion());
  const std::string_view type = spec::model_type_name(model);
  out["type"] = type.empty() ? ordered_json(nullptr) : ordered_json(type);
  out["isUpdatable"] = model.isupdatable();
  const cml::ModelDescription& description = model.description();
  out["metadata"] = metadata_json(description.metadata());
  out["inputs"] = features_json(description.input());
  out["outputs"] = features_json(description.output());
  if (description.state_size() > 0) out["states"] = features_json(description.state());
  if (description.traininginput_size() > 0) out["trainingInputs"] = features_json(description.traininginput());
  if (!description.predictedfeaturename().empty()) out["predictedFeatureName"] = description.predictedfeaturename();
  if (!description.predictedprobabilitiesname().empty()) out["predictedProbabilitiesName"] = description.predictedprobabilitiesname();
  if (description.functions_size() > 0) {
    ordered_json functions = ordered_json::array();
    for (const auto& function : description.functions()) {
      functions.push_back({{"name", function.name()}, {"inputs", features_json(function.input())},
                           {"outputs", features_json(function.output())}});
    }
    out["functions"] = std::move(functions);
    out["defaultFunctionName"] = description.defaultfunctionname();
  }
  if (auto labels = class_labels_json(model); !labels.is_null()) out["classLabels"] = std::move(labels);

  Totals mine;
  if (const auto network = spec::network_of(model)) {
    out["preprocessing"] = preprocessing_json(*network);
    out["arrayInputShapeMapping"] = spec::enum_value_name(cml::NeuralNetworkMultiArrayShapeMapping_descriptor(),
                                                          network->array_input_shape_mapping);
    out["imageInputShapeMapping"] =
        spec::enum_value_name(cml::NeuralNetworkImageShapeMapping_descriptor(), network->image_input_shape_mapping);
    if (network->update_params != nullptr) out["updateParams"] = message_as_json(*network->update_params);
    out["layers"] = layers_json(network->layers, mine, options);
  } else if (const cml::Pipeline* pipeline = spec::pipeline_of(model)) {
    ordered_json models = ordered_json::array();
    for (int i = 0; i < pipeline->models_size(); ++i) {
      Totals inner;
      ordered_json sub;
      sub["index"] = i;
      sub["name"] = i < pipeline->names_size() ? pipeline->names(i) : std::string();
      try {
        sub.update(model_json(pipeline->models(i), inner, options));
      } catch (Error& error) {
        throw error.within("pipeline model " + std::to_string(i));
      }
      mine.merge(inner);
      models.push_back(std::move(sub));
    }
    out["models"] = std::move(models);
  }
  write_totals(mine, out);
  totals.merge(mine);
  return out;
}

}  // namespace

ordered_json build_inspect_report(const spec::LoadedModel& loaded, const InspectOptions& options) {
  const cml::Model& model = loaded.model;
  Totals totals;
  ordered_json body;
  try {
    body = model_json(model, totals, options);
  } catch (Error& error) {
    throw error.in_file(loaded.origin);
  }
  const int minimum = spec::minimum_spec_version(model);
  ordered_json report;
  report["file"] = std::filesystem::path(loaded.origin).filename().string();
  report["fileSize"] = loaded.size_bytes;
  report["specificationVersion"] = body["specificationVersion"];
  report["os"] = body["os"];
  report["minimumSpecificationVersion"] = minimum;
  report["minimumOs"] = spec::os_for_spec_version(minimum);
  ordered_json requirements = ordered_json::array();
  for (const auto& requirement : spec::version_requirements(model)) {
    requirements.push_back({{"version", requirement.version}, {"where", requirement.where}, {"feature", requirement.feature}});
  }
  report["versionRequirements"] = std::move(requirements);
  for (auto& [key, value] : body.items()) {
    if (!report.contains(key)) report[key] = value;
  }

  ordered_json warnings = ordered_json::array();
  if (!loaded.unknown.empty()) {
    const auto& first = loaded.unknown.front();
    warnings.push_back(std::to_string(loaded.unknown.size()) + " field(s) unknown to this schema, first field " +
                       std::to_string(first.number) + " at " + (first.path.empty() ? "the top level" : first.path) +
                       "; they are kept when saving but not shown");
  }
  if (model.specificationversion() < minimum) {
    warnings.push_back("specificationVersion " + std::to_string(model.specificationversion()) +
                       " is lower than the content needs (" + std::to_string(minimum) + ", " +
                       std::string(spec::os_for_spec_version(minimum)) + "); Core ML will refuse to load it");
  }
  report["warnings"] = std::move(warnings);
  return report;
}

}  // namespace mlconv::cli
