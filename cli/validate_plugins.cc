#include "cli/validate_plugins.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "executor/plugins/plugin_loader.h"
#include "executor/predictor.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/bindings.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
namespace validation = spec::validation;
using validation::Severity;

namespace {

ReportEntry entry(const validation::CustomLayerRef* ref, const char* code, std::string message, std::string hint) {
  validation::Finding finding{.code = code,
                              .severity = code[0] == 'E' ? Severity::error : Severity::warning,
                              .where = ref != nullptr ? ref->where : "model",
                              .layer_name = ref != nullptr ? ref->layer->name() : "",
                              .layer_type = ref != nullptr ? std::string(spec::layer_type_name(*ref->layer)) : "",
                              .message = std::move(message),
                              .hint = std::move(hint)};
  return ReportEntry{std::move(finding), "plugins", {}, 0};
}

// What went wrong inside one custom layer while the model ran.
struct LayerFailure {
  const cml::NeuralNetworkLayer* layer = nullptr;
  std::string message;
  std::vector<exec::Shape> input_shapes;
};

struct RunLog {
  std::vector<LayerFailure> failures;
  std::set<const cml::NeuralNetworkLayer*> ran;  // custom layers whose plugin ran to the end
};

// Runs the plugin's kernel and remembers a failure with the shapes that caused it,
// so the finding can name the layer without parsing the predictor's message.
class WatchedKernel final : public exec::Kernel {
 public:
  WatchedKernel(std::unique_ptr<exec::Kernel> inner, const cml::NeuralNetworkLayer& layer,
                std::shared_ptr<RunLog> log)
      : inner_(std::move(inner)), layer_(layer), log_(std::move(log)) {}

  void run(std::span<const exec::Tensor* const> inputs, std::span<exec::Tensor* const> outputs,
           exec::RunContext& ctx) override {
    try {
      inner_->run(inputs, outputs, ctx);
      log_->ran.insert(&layer_);
    } catch (const Error& error) {
      LayerFailure failure{&layer_, error.message(), {}};
      for (const exec::Tensor* tensor : inputs) failure.input_shapes.push_back(tensor->shape());
      log_->failures.push_back(std::move(failure));
      throw;
    }
  }

 private:
  std::unique_ptr<exec::Kernel> inner_;
  const cml::NeuralNetworkLayer& layer_;
  std::shared_ptr<RunLog> log_;
};

std::string shape_text(const exec::Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

// The smallest shape an array input accepts: its declared shape, the first
// enumerated one, or the lower bounds of its ranges.
exec::Shape array_shape(const cml::ArrayFeatureType& array) {
  exec::Shape shape(array.shape().begin(), array.shape().end());
  if (array.has_enumeratedshapes() && array.enumeratedshapes().shapes_size() > 0) {
    const auto& first = array.enumeratedshapes().shapes(0).shape();
    shape.assign(first.begin(), first.end());
  } else if (array.has_shaperange() && array.shaperange().sizeranges_size() > 0) {
    shape.clear();
    for (const auto& range : array.shaperange().sizeranges()) shape.push_back(std::max<std::int64_t>(1, range.lowerbound()));
  }
  return shape;
}

exec::FeatureMap zero_inputs(const cml::ModelDescription& description) {
  exec::FeatureMap inputs;
  for (const cml::FeatureDescription& input : description.input()) {
    const cml::FeatureType& type = input.type();
    if (type.isoptional()) continue;  // the predictor fills in defaults
    if (type.has_multiarraytype()) {
      const exec::Shape shape = array_shape(type.multiarraytype());
      if (shape.empty()) throw Error("input '" + input.name() + "' declares no shape to make a zero input of");
      inputs.emplace(input.name(), exec::FeatureValue::array(exec::Tensor(shape), type.multiarraytype().datatype()));
    } else if (type.has_imagetype()) {
      const cml::ImageFeatureType& image = type.imagetype();
      std::int64_t width = static_cast<std::int64_t>(image.width());
      std::int64_t height = static_cast<std::int64_t>(image.height());
      if (image.has_enumeratedsizes() && image.enumeratedsizes().sizes_size() > 0) {
        width = static_cast<std::int64_t>(image.enumeratedsizes().sizes(0).width());
        height = static_cast<std::int64_t>(image.enumeratedsizes().sizes(0).height());
      } else if (image.has_imagesizerange()) {
        width = std::max<std::int64_t>(1, static_cast<std::int64_t>(image.imagesizerange().widthrange().lowerbound()));
        height = std::max<std::int64_t>(1, static_cast<std::int64_t>(image.imagesizerange().heightrange().lowerbound()));
      }
      const std::int64_t channels =
          image.colorspace() == cml::ImageFeatureType::RGB || image.colorspace() == cml::ImageFeatureType::BGR ? 3 : 1;
      inputs.emplace(input.name(), exec::FeatureValue::image(exec::Tensor({channels, height, width}), image.colorspace()));
    } else if (type.has_int64type()) {
      inputs.emplace(input.name(), exec::FeatureValue::int64_value(0));
    } else if (type.has_stringtype()) {
      inputs.emplace(input.name(), exec::FeatureValue::string_value(""));
    } else {
      throw Error("input '" + input.name() + "' has a type this check cannot make a zero value of");
    }
  }
  return inputs;
}

// The model cut after its last top-level layer that is or holds a custom
// layer, with that layer's outputs as the model's: what comes after cannot
// change the shapes a plugin sees, and may use layers the executor lacks.
// Pipelines are run whole.
cml::Model up_to_last_custom_layer(const cml::Model& model) {
  const auto network = spec::network_of(model);
  if (!network) return model;
  int last = -1;
  for (int i = 0; i < network->layers.size(); ++i) {
    bool custom = false;
    google::protobuf::RepeatedPtrField<cml::NeuralNetworkLayer> one;  // the layer and its loop/branch bodies
    *one.Add() = network->layers.Get(i);
    spec::validation::for_each_layer(one, [&](const std::string&, const cml::NeuralNetworkLayer& l) {
      custom = custom || l.has_custom();
    });
    if (custom) last = i;
  }
  if (last < 0) return model;
  cml::Model cut;
  cut.set_specificationversion(model.specificationversion());
  *cut.mutable_description()->mutable_input() = model.description().input();
  cml::NeuralNetwork* nn = cut.mutable_neuralnetwork();
  for (int i = 0; i <= last; ++i) *nn->add_layers() = network->layers.Get(i);
  *nn->mutable_preprocessing() = network->preprocessing;
  nn->set_arrayinputshapemapping(network->array_input_shape_mapping);
  nn->set_imageinputshapemapping(network->image_input_shape_mapping);
  for (const std::string& blob : network->layers.Get(last).output()) {
    cml::FeatureDescription* output = cut.mutable_description()->add_output();
    output->set_name(blob);
    output->mutable_type()->mutable_multiarraytype()->set_datatype(cml::ArrayFeatureType::FLOAT32);
  }
  return cut;
}

}  // namespace

PluginCheck::PluginCheck(const cml::Model& model, const std::vector<std::string>& plugins)
    : model_(model), registry_(exec::KernelRegistry::with_builtin_kernels()) {
  files_ = exec::load_plugins(plugins, registry_);
  std::string provided;
  for (const std::string& name : registry_.custom_class_names()) provided += (provided.empty() ? "'" : ", '") + name + "'";
  if (provided.empty()) provided = "none";

  layers_ = validation::custom_layers(model);
  for (const auto& ref : layers_) {
    const std::string& name = ref.layer->custom().classname();
    const exec::CustomLayerFactory* factory = registry_.find_custom(name);
    if (factory == nullptr) {
      all_built_ = false;
      findings_.push_back(entry(&ref, "E210",
                                "no loaded plugin implements class '" + name + "' (" + std::to_string(files_.size()) +
                                    " plugin" + (files_.size() == 1 ? "" : "s") + " loaded; classes provided: " +
                                    provided + ")",
                                "pass the plugin that implements '" + name + "' with --plugin or MLCONV_PLUGIN_PATH "
                                "(mlconv scaffold --cpp writes a skeleton)"));
      continue;
    }
    try {
      kernels_.emplace(ref.layer, factory->make(*ref.layer, exec::BuildContext{}));
    } catch (const Error& error) {
      all_built_ = false;
      findings_.push_back(entry(&ref, "E211", factory->provider + " refuses the layer: " + error.message(),
                                "make the layer's parameters and weights what the plugin expects, or fix the plugin"));
    }
  }
}

const validation::CustomLayerRef* PluginCheck::ref_of(const cml::NeuralNetworkLayer* layer) const {
  for (const auto& ref : layers_)
    if (ref.layer == layer) return &ref;
  return nullptr;
}

void PluginCheck::add_once(const cml::NeuralNetworkLayer* layer, const char* code, std::string message,
                           std::string hint) {
  if (!reported_.emplace(layer, code).second) return;  // loop bodies are inferred more than once
  findings_.push_back(entry(ref_of(layer), code, std::move(message), std::move(hint)));
}

spec::CustomShapeFunction PluginCheck::shape_function(spec::CustomShapeFunction stated) {
  return [this, stated = std::move(stated)](const cml::NeuralNetworkLayer& layer, const std::vector<spec::MaybeShape>& inputs)
             -> std::optional<std::vector<spec::MaybeShape>> {
    std::optional<std::vector<spec::MaybeShape>> bound = stated ? stated(layer, inputs) : std::nullopt;
    const std::optional<std::vector<spec::MaybeShape>> computed = plugin_shapes(layer, inputs);
    // Inference keeps to what the model and the bindings state: the plugin is the Linux implementation, not
    // the app's, so it must not clear what the device would trip on (W060); it is checked against them instead.
    if (!computed || !bound) return bound;
    for (std::size_t i = 0; i < bound->size() && i < computed->size(); ++i) {
      const spec::MaybeShape& mine = (*bound)[i];
      const spec::Shape& theirs = *(*computed)[i];
      if (!mine) continue;
      bool agree = mine->size() == theirs.size();
      for (std::size_t d = 0; agree && d < theirs.size(); ++d)
        agree = (*mine)[d] == spec::unknown_dim || (*mine)[d] == theirs[d];
      if (agree) continue;
      std::string in;
      for (const auto& shape : inputs) in += (in.empty() ? "" : ", ") + spec::shape_text(*shape);
      add_once(&layer, "E214",
               "for inputs " + in + ", the bindings file gives output " + std::to_string(i) + " the shape " +
                   spec::shape_text(*mine) + ", but " + registry_.find_custom(layer.custom().classname())->provider +
                   " computes " + spec::shape_text(theirs),
               "make the plugin's output_shapes and the binding's output rule agree (the app's outputShapes must "
               "give the same shape too)");
    }
    return bound;
  };
}

std::optional<std::vector<spec::MaybeShape>> PluginCheck::plugin_shapes(const cml::NeuralNetworkLayer& layer,
                                                                        const std::vector<spec::MaybeShape>& inputs) {
  const auto kernel = kernels_.find(&layer);
  if (kernel == kernels_.end()) return std::nullopt;
  std::vector<exec::Shape> known;
  for (const spec::MaybeShape& input : inputs) {
    if (!input || std::find(input->begin(), input->end(), spec::unknown_dim) != input->end()) return std::nullopt;
    known.push_back(*input);
  }
  try {
    const auto shapes = kernel->second->output_shapes(known);
    if (!shapes) return std::nullopt;
    return std::vector<spec::MaybeShape>(shapes->begin(), shapes->end());
  } catch (const Error& error) {
    std::string in;
    for (const auto& shape : known) in += (in.empty() ? "" : ", ") + shape_text(shape);
    inferred_refusal_ = true;
    add_once(&layer, "E212",
             registry_.find_custom(layer.custom().classname())->provider + " rejects the input shapes " + in +
                 " that shape inference gives the layer: " + error.message(),
             "make the layers before it produce the shapes the plugin expects, or make the plugin's output_shapes "
             "accept them");
    return std::nullopt;
  }
}

exec::Kernel* PluginCheck::kernel_for_class(const std::string& class_name) const {
  for (const auto& ref : layers_) {
    if (ref.layer->custom().classname() != class_name) continue;
    const auto kernel = kernels_.find(ref.layer);
    return kernel == kernels_.end() ? nullptr : kernel->second.get();
  }
  return nullptr;
}

std::vector<ReportEntry> PluginCheck::findings() {
  std::vector<ReportEntry> out = findings_;
  // A refusal already found from the inferred shapes would only repeat on zero inputs.
  if (layers_.empty() || !all_built_ || inferred_refusal_) return out;
  for (auto& entry : run_on_zero_inputs()) out.push_back(std::move(entry));
  return out;
}

std::vector<ReportEntry> PluginCheck::run_on_zero_inputs() const {
  std::vector<ReportEntry> out;
  const std::vector<validation::CustomLayerRef>& layers = layers_;
  const exec::KernelRegistry& loaded = registry_;
  const cml::Model& model = model_;
  // The shapes that reach a custom layer are known only by running what comes before it.
  exec::KernelRegistry watched = exec::KernelRegistry::with_builtin_kernels();
  auto log = std::make_shared<RunLog>();
  for (const std::string& name : loaded.custom_class_names()) {
    const exec::CustomLayerFactory inner = *loaded.find_custom(name);
    watched.add_custom(name, exec::CustomLayerFactory{
                                 inner.provider, [inner, log](const exec::Layer& layer, const exec::BuildContext& ctx) {
                                   return std::unique_ptr<exec::Kernel>(
                                       std::make_unique<WatchedKernel>(inner.make(layer, ctx), layer, log));
                                 }});
  }
  const cml::Model cut = up_to_last_custom_layer(model);
  // The cut keeps a prefix of the layers, so its custom layers are the first ones of the model, in order.
  const std::vector<validation::CustomLayerRef> cut_layers = validation::custom_layers(cut);
  const auto original = [&](const cml::NeuralNetworkLayer* layer) -> const validation::CustomLayerRef* {
    for (std::size_t i = 0; i < cut_layers.size() && i < layers.size(); ++i)
      if (cut_layers[i].layer == layer) return &layers[i];
    return nullptr;
  };
  try {
    exec::PredictorOptions options;
    options.kernels = &watched;
    options.threads = 1;
    exec::Predictor predictor(cut, options);
    (void)predictor.predict(zero_inputs(cut.description()));
  } catch (const Error& error) {
    if (log->failures.empty()) {
      // A failure after every custom layer ran is not the plugins' business: their shapes were checked.
      const bool all_ran =
          std::all_of(cut_layers.begin(), cut_layers.end(), [&](const auto& r) { return log->ran.contains(r.layer); });
      if (all_ran) return out;
      out.push_back(entry(nullptr, "W210",
                          "the model could not run on zero inputs, so the plugins' output shapes were not checked: " +
                              std::string(error.what()),
                          "run the model with `mlconv run` and real inputs to check the plugins"));
      return out;
    }
    const LayerFailure& failure = log->failures.front();
    std::string shapes;
    for (const auto& shape : failure.input_shapes) shapes += (shapes.empty() ? "" : ", ") + shape_text(shape);
    const std::string provider = loaded.find_custom(failure.layer->custom().classname())->provider;
    const bool shape_failure = failure.message.starts_with("output_shapes");
    out.push_back(entry(original(failure.layer), shape_failure ? "E212" : "E213",
                        provider + (shape_failure ? " rejects the input shapes " : " fails on zero inputs of shapes ") +
                            shapes + ": " + failure.message,
                        shape_failure ? "make the layers before it produce the shapes the plugin expects, or make "
                                        "the plugin's output_shapes accept them"
                                      : "fix the plugin's evaluate for these shapes"));
  }
  return out;
}

}  // namespace mlconv::cli
