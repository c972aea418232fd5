// Writing the Core ML model for a planned conversion: the interface (multi-arrays
// or an image with preprocessing), the layers in topological order, rank-5 tensor
// hints, classifier wiring, metadata, and the lowest specificationVersion the
// content allows (raised by --minimum-deployment-target, never silently exceeded).
#include <algorithm>
#include <numeric>
#include <sstream>

#include "converter/convert.h"
#include "converter/export/custom_layer.h"
#include "converter/export/layer_builder.h"
#include "converter/export/layer_table.h"
#include "spec/error.h"
#include "spec/names.h"
#include "spec/spec_version.h"

namespace mlconv::converter {
namespace {

namespace pb = google::protobuf;

// The graph shape of an input, with a symbolic batch axis read as 1 (Core ML's batch
// is flexible at prediction time anyway).
std::vector<std::int64_t> input_shape(const Value& value, bool nd) {
  const auto fail = [&](const std::string& message) {
    throw Error("input '" + value.name + "': " + message).in_file(value.location.describe());
  };
  if (!value.shape) fail("has no shape; declare one");
  if (!nd && value.type != ElementType::float32 && value.type != ElementType::float64 && value.type != ElementType::float16) {
    fail("element type " + std::string(element_type_name(value.type)) + " is not supported; rank-5 networks take float inputs");
  }
  std::vector<std::int64_t> sizes;
  for (std::size_t i = 0; i < value.shape->size(); ++i) {
    const Dim& dim = (*value.shape)[i];
    if (dim.size) {
      sizes.push_back(*dim.size);
    } else if (i == 0) {
      sizes.push_back(1);
    } else {
      fail("dimension " + std::to_string(i) + " is symbolic ('" + dim.symbol.value_or("?") +
           (nd ? "'); declare fixed sizes for every axis after the first" : "'); rank-5 Core ML networks need fixed C, H and W"));
    }
  }
  std::int64_t elements = 1;
  for (const auto d : sizes) {
    if (d < 1) fail("dimension sizes must be at least 1; got " + describe_shape(*value.shape));
    if (elements > (std::int64_t{1} << 40) / d) fail("shape " + describe_shape(*value.shape) + " has more than 2^40 elements");
    elements *= d;
  }
  if (nd && value.type == ElementType::string) fail("string tensors are not supported; Core ML arrays hold numbers");
  if (nd && sizes.size() > 5) fail("shape " + describe_shape(*value.shape) + " has rank " + std::to_string(sizes.size()) + "; Core ML arrays have rank 5 at most");
  if (!nd && sizes.size() != 2 && sizes.size() != 4) {
    fail("shape " + describe_shape(*value.shape) + " has rank " + std::to_string(sizes.size()) + "; expected [N, C] or [N, C, H, W]");
  }
  return sizes;
}

// Rank-5 features leave out the batch axis ([C] or [C, H, W]); N-d ones keep every
// axis (a scalar becomes [1]) and integer or boolean tensors become INT32 arrays.
void set_array_type(cml::FeatureType& type, const std::vector<std::int64_t>& shape, bool nd, ElementType element = ElementType::float32) {
  auto& array = *type.mutable_multiarraytype();
  const bool integral = element != ElementType::float32 && element != ElementType::float16 && element != ElementType::float64 &&
                        element != ElementType::undefined;
  array.set_datatype(nd && integral ? cml::ArrayFeatureType::INT32 : cml::ArrayFeatureType::FLOAT32);
  if (nd && shape.empty()) array.add_shape(1);
  for (std::size_t i = nd ? 0 : 1; i < shape.size(); ++i) array.add_shape(shape[i]);
}

void set_image_type(cml::FeatureDescription& feature, const std::vector<std::int64_t>& shape, const ImageInputOptions& image) {
  const std::int64_t expected_channels = image.color_space == "GRAYSCALE" ? 1 : 3;
  if (shape.size() != 4 || shape[1] != expected_channels) {
    throw Error("--image-input '" + image.input + "': a " + image.color_space + " image needs an input of shape [N, " +
                    std::to_string(expected_channels) + ", H, W]",
                Error::Kind::usage);
  }
  auto& type = *feature.mutable_type()->mutable_imagetype();
  type.set_height(static_cast<std::uint64_t>(shape[2]));
  type.set_width(static_cast<std::uint64_t>(shape[3]));
  type.set_colorspace(image.color_space == "GRAYSCALE" ? cml::ImageFeatureType::GRAYSCALE
                      : image.color_space == "BGR"     ? cml::ImageFeatureType::BGR
                                                       : cml::ImageFeatureType::RGB);
}

void add_preprocessing(pb::RepeatedPtrField<cml::NeuralNetworkPreprocessing>& steps, const ImageInputOptions& image) {
  auto& step = *steps.Add();
  step.set_featurename(image.input);
  auto& scaler = *step.mutable_scaler();
  scaler.set_channelscale(image.scale);
  if (image.color_space == "GRAYSCALE") {
    if (image.bias.size() > 1) throw Error("--image-bias: a GRAYSCALE image takes one bias value", Error::Kind::usage);
    scaler.set_graybias(image.bias.empty() ? 0.0F : image.bias[0]);
    return;
  }
  if (!image.bias.empty() && image.bias.size() != 3) throw Error("--image-bias: expected three values R,G,B", Error::Kind::usage);
  if (image.bias.size() == 3) {
    scaler.set_redbias(image.bias[0]);
    scaler.set_greenbias(image.bias[1]);
    scaler.set_bluebias(image.bias[2]);
  }
}

// Shape hints (rank and sizes) on every layer whose blobs all have known shapes:
// rank 5 in a rank-5 network, the exact rank (at least 1) in an N-d one.
void add_tensor_hints(pb::RepeatedPtrField<cml::NeuralNetworkLayer>& layers, const NetworkState& state) {
  std::map<std::string, std::vector<std::int64_t>> by_blob;
  for (const auto& [value, blob] : state.blobs) {
    const auto it = state.shapes.find(value);
    if (it == state.shapes.end()) continue;
    if (!state.nd) {
      by_blob[blob] = rank5_shape(it->second);
    } else {
      by_blob[blob] = it->second.empty() ? std::vector<std::int64_t>{1} : it->second;
    }
  }
  const auto all_known = [&](const pb::RepeatedPtrField<std::string>& names) {
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) { return by_blob.contains(n); });
  };
  for (auto& layer : layers) {
    if (!all_known(layer.input()) || !all_known(layer.output())) continue;
    for (const auto& name : layer.input()) {
      auto& tensor = *layer.add_inputtensor();
      tensor.set_rank(static_cast<std::uint32_t>(by_blob[name].size()));
      for (const auto d : by_blob[name]) tensor.add_dimvalue(d);
    }
    for (const auto& name : layer.output()) {
      auto& tensor = *layer.add_outputtensor();
      tensor.set_rank(static_cast<std::uint32_t>(by_blob[name].size()));
      for (const auto d : by_blob[name]) tensor.add_dimvalue(d);
    }
  }
}

// Freeing weights during an export: each constant's bytes go once the last node reading
// them has written its layers, so the weights are not held twice (graph and protobuf).
// An enabled one also defers the large weights mapped from a file (spec/deferred_weights.h).
struct WeightFreeing {
  bool enabled = false;
  bool freed_any = false;
  spec::DeferredWeights deferred;
};

// Subgraphs (If/Loop bodies) read outer constants outside the top-level consumer lists,
// so graphs with any are left alone.
bool has_subgraphs(const Graph& graph) {
  for (const Node* node : graph.nodes()) {
    for (const auto& [name, attribute] : node->attributes) {
      if (attribute.kind() == Attribute::Kind::graph) return true;
    }
  }
  return false;
}

void build_layers(const ConversionPlan& plan, NetworkState& state, WeightFreeing& freeing) {
  const bool free_weights = freeing.enabled && !has_subgraphs(plan.graph);
  std::map<const Value*, std::size_t> reads_left;
  for (const Node* node : plan.graph.topological_order()) {
    const Rule& rule = *plan.chosen.at(node);
    LayerBuilder builder(state, plan.graph, *node);
    if (const auto* native = std::get_if<NativeAction>(&rule.action)) {
      const auto build = state.nd ? native->mapping->build_nd : native->mapping->build;
      if (build == nullptr) {
        builder.fail(state.nd ? "has no N-d (iOS 13) mapping, and other nodes of this graph need one"
                              : "has only an N-d (iOS 13) mapping, and other nodes of this graph have only rank-5 ones");
      }
      build(builder);
    } else {
      build_custom_layer(builder, std::get<CustomAction>(rule.action), rule.origin);
    }
    if (!free_weights) continue;
    for (Value* input : node->inputs) {
      if (input == nullptr || !input->constant || plan.graph.is_output(*input)) continue;
      const auto [it, first] = reads_left.try_emplace(input, input->consumers.size());
      if (--it->second != 0) continue;
      // The dims stay (shape queries); only the bytes go.
      input->constant->bytes.release();
      freeing.freed_any = true;
    }
  }
}

// Graph outputs whose blob is another name (after a pass-through op) get a copy layer,
// so each output feature is a blob of its own name.
void bind_outputs(const Graph& graph, NetworkState& state) {
  for (const Value* output : graph.outputs()) {
    auto it = state.blobs.find(output);
    if (const auto folded = state.folded.find(output); it == state.blobs.end() && folded != state.folded.end()) {
      // An output known at export (a folded Shape): a constant layer writes it.
      auto& constant = *state.layers->Add();
      constant.set_name(output->name);
      constant.add_output(output->name);
      auto& params = *constant.mutable_loadconstantnd();
      if (folded->second.dims.empty()) params.add_shape(1);
      for (const auto d : folded->second.dims) params.add_shape(static_cast<std::uint64_t>(d));
      set_float_weights(*params.mutable_data(), folded->second.to_floats());
      state.used_layer_names.insert(output->name);
      it = state.blobs.emplace(output, output->name).first;
      continue;
    }
    if (it == state.blobs.end()) {
      throw Error("graph output '" + output->name + "' is a constant or an input; Core ML outputs must be computed").in_file(graph.location.file);
    }
    if (std::find(graph.inputs().begin(), graph.inputs().end(), output) != graph.inputs().end()) {
      throw Error("graph output '" + output->name + "' is also a graph input; Core ML outputs must be computed by layers")
          .in_file(graph.location.file);
    }
    if (it->second == output->name) continue;
    std::string name = output->name + "/copy";
    for (int n = 1; state.used_layer_names.contains(name); ++n) name = output->name + "/copy_" + std::to_string(n);
    state.used_layer_names.insert(name);
    auto& copy = *state.layers->Add();
    copy.set_name(name);
    copy.add_input(it->second);
    copy.add_output(output->name);
    copy.mutable_activation()->mutable_linear()->set_alpha(1.0F);
    it->second = output->name;
  }
}

void check_declared_shape(const Value& output, const std::vector<std::int64_t>& inferred) {
  // A scalar declared [] may be computed as [1]: Core ML has no rank-0 tensors.
  if (output.shape && output.shape->empty() && inferred.size() <= 1 && (inferred.empty() || inferred[0] == 1)) return;
  if (!output.shape) return;
  bool matches = output.shape->size() == inferred.size();
  for (std::size_t i = 0; matches && i < inferred.size(); ++i) {
    const Dim& dim = (*output.shape)[i];
    matches = !dim.size || *dim.size == inferred[i] || (i == 0 && inferred[i] == 1);
  }
  if (!matches) {
    std::string text;
    for (const auto d : inferred) text += (text.empty() ? "" : ", ") + std::to_string(d);
    throw Error("output '" + output.name + "' is declared " + describe_shape(*output.shape) + ", but the network computes [" + text + "]")
        .in_file(output.location.describe());
  }
}

void set_spec_version(cml::Model& model, const ConvertOptions& options, const std::string& file) {
  const int needed = spec::minimum_spec_version(model);
  if (!options.deployment_target) {
    model.set_specificationversion(needed);
    return;
  }
  const int target = *options.deployment_target;
  if (needed > target) {
    std::string why;
    for (const auto& requirement : spec::version_requirements(model)) {
      if (requirement.version <= target) continue;
      why += "\n  " + requirement.where + ": " + requirement.feature + " need " + std::string(spec::os_for_spec_version(requirement.version));
    }
    throw Error("the model needs specificationVersion " + std::to_string(needed) + " (" + std::string(spec::os_for_spec_version(needed)) +
                "), above the deployment target " + std::string(spec::os_for_spec_version(target)) + ":" + why)
        .in_file(file);
  }
  model.set_specificationversion(std::max(needed, target));
}

cml::Model export_in_mode(const ConversionPlan& plan, const ConvertOptions& options, bool nd, WeightFreeing& freeing) {
  const Graph& graph = plan.graph;
  cml::Model model;
  auto& description = *model.mutable_description();
  const bool classifier = !options.class_labels.empty();
  auto* layers = classifier ? model.mutable_neuralnetworkclassifier()->mutable_layers() : model.mutable_neuralnetwork()->mutable_layers();
  auto* preprocessing = classifier ? model.mutable_neuralnetworkclassifier()->mutable_preprocessing()
                                   : model.mutable_neuralnetwork()->mutable_preprocessing();
  NetworkState state;
  state.layers = layers;
  state.nd = nd;
  state.deferred = freeing.enabled ? &freeing.deferred : nullptr;
  if (nd) {
    if (classifier) {
      model.mutable_neuralnetworkclassifier()->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
      model.mutable_neuralnetworkclassifier()->set_imageinputshapemapping(cml::RANK4_IMAGE_MAPPING);
    } else {
      model.mutable_neuralnetwork()->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
      model.mutable_neuralnetwork()->set_imageinputshapemapping(cml::RANK4_IMAGE_MAPPING);
    }
  }

  if (options.image && std::none_of(graph.inputs().begin(), graph.inputs().end(), [&](const Value* v) { return v->name == options.image->input; })) {
    throw Error("--image-input '" + options.image->input + "' is not an input of the graph", Error::Kind::usage);
  }
  for (const Value* input : graph.inputs()) {
    // Old ONNX files also list initializers as inputs; they are constants, not features.
    if (input->constant) continue;
    const auto shape = input_shape(*input, nd);
    auto& feature = *description.add_input();
    feature.set_name(input->name);
    if (const auto it = options.input_descriptions.find(input->name); it != options.input_descriptions.end()) {
      feature.set_shortdescription(it->second);
    }
    if (options.image && options.image->input == input->name) {
      set_image_type(feature, shape, *options.image);
      add_preprocessing(*preprocessing, *options.image);
    } else {
      set_array_type(*feature.mutable_type(), shape, nd, input->type);
    }
    state.blobs[input] = input->name;
    state.shapes[input] = shape;
    state.used_blob_names.insert(input->name);
  }
  for (const auto& [name, text] : options.input_descriptions) {
    if (graph.find_value(name) == nullptr || std::find(graph.inputs().begin(), graph.inputs().end(), graph.find_value(name)) == graph.inputs().end()) {
      throw Error("--input-description names '" + name + "', which is not a graph input", Error::Kind::usage);
    }
  }

  build_layers(plan, state, freeing);
  bind_outputs(graph, state);
  add_tensor_hints(*layers, state);

  for (const auto& [output_name, text] : options.output_descriptions) {
    const std::string& name = output_name;  // clang 14 cannot capture a structured binding in a lambda
    if (std::none_of(graph.outputs().begin(), graph.outputs().end(), [&](const Value* v) { return v->name == name; })) {
      throw Error("--output-description names '" + name + "', which is not a graph output", Error::Kind::usage);
    }
  }
  for (const Value* output : graph.outputs()) {
    const auto& shape = state.shapes.at(output);
    check_declared_shape(*output, shape);
    auto& feature = *description.add_output();
    feature.set_name(output->name);
    if (const auto it = options.output_descriptions.find(output->name); it != options.output_descriptions.end()) {
      feature.set_shortdescription(it->second);
    }
    if (classifier) {
      if (graph.outputs().size() != 1) throw Error("--class-labels needs a graph with exactly one output (the probabilities)", Error::Kind::usage);
      const std::int64_t classes = std::accumulate(shape.begin() + 1, shape.end(), std::int64_t{1}, std::multiplies<>());
      if (classes != static_cast<std::int64_t>(options.class_labels.size())) {
        throw Error("--class-labels gives " + std::to_string(options.class_labels.size()) + " labels, but output '" + output->name +
                        "' has " + std::to_string(classes) + " classes",
                    Error::Kind::usage);
      }
      feature.mutable_type()->mutable_dictionarytype()->mutable_stringkeytype();
    } else {
      set_array_type(*feature.mutable_type(), shape, nd);
    }
  }
  if (classifier) {
    auto& network = *model.mutable_neuralnetworkclassifier();
    for (const auto& label : options.class_labels) network.mutable_stringclasslabels()->add_vector(label);
    const std::string probabilities = graph.outputs().front()->name;
    for (const auto& layer : network.layers()) {
      if (std::find(layer.output().begin(), layer.output().end(), probabilities) != layer.output().end()) {
        network.set_labelprobabilitylayername(layer.name());
      }
    }
    auto& label = *description.add_output();
    label.set_name("classLabel");
    label.mutable_type()->mutable_stringtype();
    description.set_predictedfeaturename("classLabel");
    description.set_predictedprobabilitiesname(probabilities);
  }

  auto& metadata = *description.mutable_metadata();
  const Metadata& source = graph.metadata;
  metadata.set_author(options.author.empty() ? source.author : options.author);
  metadata.set_license(options.license.empty() ? source.license : options.license);
  metadata.set_versionstring(options.version.empty() ? source.version : options.version);
  metadata.set_shortdescription(options.short_description.empty() ? (source.short_description.empty() ? source.doc : source.short_description)
                                                                   : options.short_description);
  for (const auto& [key, value] : source.user_defined) (*metadata.mutable_userdefined())[key] = value;
  if (!source.producer.empty()) (*metadata.mutable_userdefined())["com.mlconv.source.producer"] = source.producer;
  set_spec_version(model, options, graph.location.file);
  return model;
}

// Whether every built-in mapping the plan chose has a build function of the kind.
bool every_mapping_has(const ConversionPlan& plan, bool nd) {
  return std::all_of(plan.chosen.begin(), plan.chosen.end(), [&](const auto& entry) {
    const auto* native = std::get_if<NativeAction>(&entry.second->action);
    return native == nullptr || (nd ? native->mapping->build_nd : native->mapping->build) != nullptr;
  });
}

// Whether the graph's inputs have the form a rank-5 network takes: float [N, C] or
// [N, C, H, W] (their sizes may still be wrong, which the rank-5 message explains).
bool inputs_fit_rank5(const Graph& graph) {
  return std::all_of(graph.inputs().begin(), graph.inputs().end(), [](const Value* input) {
    if (input->constant) return true;
    const bool float_type = input->type == ElementType::float32 || input->type == ElementType::float64 || input->type == ElementType::float16;
    return float_type && input->shape && (input->shape->size() == 2 || input->shape->size() == 4);
  });
}

// With `free_weights`, an attempt that may be followed by another keeps the weights; a
// first attempt that freed some and failed yields nullopt instead of the second attempt.
std::optional<ExportedModel> export_attempts(const ConversionPlan& plan, const ConvertOptions& options, bool free_weights) {
  require_supported(plan);
  const bool classic = every_mapping_has(plan, false);
  const bool nd = every_mapping_has(plan, true);
  const auto attempt = [&](bool nd_mode, WeightFreeing& freeing) {
    cml::Model model = export_in_mode(plan, options, nd_mode, freeing);
    return ExportedModel{std::move(model), std::move(freeing.deferred)};
  };
  WeightFreeing last{free_weights, false, {}};
  if (!nd) return attempt(false, last);
  if (!classic) return attempt(true, last);
  WeightFreeing first{free_weights, false, {}};
  try {
    return attempt(false, first);
  } catch (const Error& classic_error) {
    if (classic_error.kind() == Error::Kind::usage) throw;
    if (first.freed_any) return std::nullopt;
    try {
      return attempt(true, last);
    } catch (const Error&) {
      if (inputs_fit_rank5(plan.graph)) throw classic_error;
      throw;
    }
  }
}

}  // namespace

// Rank-5 layers when they can express the graph (every Core ML version reads them);
// otherwise an exact-shape N-d network, which needs iOS 13. When both fail, the
// rank-5 message is the one to show for a graph whose inputs fit rank 5.
cml::Model export_model(const ConversionPlan& plan, const ConvertOptions& options) {
  return std::move(export_attempts(plan, options, false)->model);
}

std::optional<ExportedModel> export_model_freeing_weights(ConversionPlan& plan, const ConvertOptions& options) {
  return export_attempts(plan, options, true);
}

std::string conversion_summary(const cml::Model& model, const ConversionPlan& plan) {
  const auto& layers = model.has_neuralnetworkclassifier() ? model.neuralnetworkclassifier().layers() : model.neuralnetwork().layers();
  std::map<std::string, int> by_type;
  for (const auto& layer : layers) ++by_type[std::string(spec::layer_type_name(layer))];
  std::ostringstream out;
  out << "specificationVersion " << model.specificationversion() << " (" << spec::os_for_spec_version(model.specificationversion())
      << "), " << (model.has_neuralnetworkclassifier() ? "neuralNetworkClassifier" : "neuralNetwork") << ", " << layers.size()
      << " layer" << (layers.size() == 1 ? "" : "s") << "\n";
  out << "Layers by type:\n";
  for (const auto& [type, count] : by_type) out << "  " << type << ": " << count << "\n";
  bool header = false;
  for (const auto& layer : layers) {
    if (!layer.has_custom()) continue;
    if (!header) out << "Custom layers (the app must provide these MLCustomLayer classes):\n";
    header = true;
    const auto& custom = layer.custom();
    out << "  " << layer.name() << ": className '" << custom.classname() << "'\n";
    std::map<std::string, std::string> parameters;  // sorted for stable output
    for (const auto& [name, value] : custom.parameters()) {
      std::ostringstream text;
      switch (value.value_case()) {
        case cml::CustomLayerParams::CustomLayerParamValue::kDoubleValue: text << value.doublevalue() << " (double)"; break;
        case cml::CustomLayerParams::CustomLayerParamValue::kStringValue: text << "'" << value.stringvalue() << "' (string)"; break;
        case cml::CustomLayerParams::CustomLayerParamValue::kIntValue: text << value.intvalue() << " (int)"; break;
        case cml::CustomLayerParams::CustomLayerParamValue::kLongValue: text << value.longvalue() << " (long)"; break;
        case cml::CustomLayerParams::CustomLayerParamValue::kBoolValue: text << (value.boolvalue() ? "true" : "false") << " (bool)"; break;
        default: text << "<unset>"; break;
      }
      parameters[name] = text.str();
    }
    for (const auto& [name, text] : parameters) out << "    parameter " << name << " = " << text << "\n";
    for (int i = 0; i < custom.weights_size(); ++i) {
      const auto& w = custom.weights(i);
      if (w.floatvalue_size() > 0) {
        out << "    weights[" << i << "]: float32 x " << w.floatvalue_size() << " (" << w.floatvalue_size() * 4 << " bytes)\n";
      } else {
        out << "    weights[" << i << "]: float16 x " << w.float16value().size() / 2 << " (" << w.float16value().size() << " bytes)\n";
      }
    }
  }
  for (const auto& note : plan.notes) out << note << "\n";
  return out.str();
}

}  // namespace mlconv::converter
