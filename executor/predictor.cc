#include "executor/predictor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>
#include <vector>

#include "executor/memory_estimate.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/weight_elision.h"

namespace mlconv::exec {

namespace cml = CoreML::Specification;

namespace {

std::string array_type_name(cml::ArrayFeatureType::ArrayDataType type) {
  switch (type) {
    case cml::ArrayFeatureType::FLOAT32: return "Float32";
    case cml::ArrayFeatureType::DOUBLE: return "Double";
    case cml::ArrayFeatureType::FLOAT16: return "Float16";
    case cml::ArrayFeatureType::INT32: return "Int32";
    default: return "invalid element type";
  }
}

std::string color_space_name(cml::ImageFeatureType::ColorSpace space) {
  return std::string(spec::enum_value_name(cml::ImageFeatureType::ColorSpace_descriptor(), space));
}

std::vector<std::string> declared_names(const google::protobuf::RepeatedPtrField<cml::FeatureDescription>& features) {
  std::vector<std::string> names;
  for (const auto& feature : features) names.push_back(feature.name());
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

bool dim_in_range(std::int64_t dim, const cml::SizeRange& range) {
  return dim >= static_cast<std::int64_t>(range.lowerbound()) &&
         (range.upperbound() < 0 || dim <= range.upperbound());
}

}  // namespace

std::string describe_feature_type(const cml::FeatureType& type) {
  std::string text;
  switch (type.Type_case()) {
    case cml::FeatureType::kMultiArrayType: text = "MultiArray"; break;
    case cml::FeatureType::kImageType: text = "Image"; break;
    case cml::FeatureType::kInt64Type: text = "Int64"; break;
    case cml::FeatureType::kDoubleType: text = "Double"; break;
    case cml::FeatureType::kStringType: text = "String"; break;
    case cml::FeatureType::kDictionaryType: text = "Dictionary"; break;
    case cml::FeatureType::kSequenceType: text = "Sequence"; break;
    case cml::FeatureType::kStateType: text = "State"; break;
    default: text = std::string(spec::feature_type_name(type));
  }
  if (type.has_multiarraytype()) {
    text += " (" + array_type_name(type.multiarraytype().datatype());
    const auto& shape = type.multiarraytype().shape();
    for (int i = 0; i < shape.size(); ++i) text += (i == 0 ? " " : " x ") + std::to_string(shape[i]);
    text += ")";
  } else if (type.has_imagetype()) {
    text += " (" + color_space_name(type.imagetype().colorspace()) + " " + std::to_string(type.imagetype().width()) +
            " x " + std::to_string(type.imagetype().height()) + ")";
  }
  return text;
}

Shape default_array_shape(const cml::ArrayFeatureType& array) {
  Shape shape(array.shape().begin(), array.shape().end());
  if (shape.empty() && array.has_enumeratedshapes() && array.enumeratedshapes().shapes_size() > 0)
    shape.assign(array.enumeratedshapes().shapes(0).shape().begin(), array.enumeratedshapes().shapes(0).shape().end());
  if (shape.empty() && array.has_shaperange())
    for (const auto& range : array.shaperange().sizeranges()) shape.push_back(static_cast<std::int64_t>(range.lowerbound()));
  return shape;
}

void check_array_input_shape(const cml::FeatureDescription& input, const Shape& given) {
  const cml::ArrayFeatureType& array = input.type().multiarraytype();
  const Shape declared(array.shape().begin(), array.shape().end());
  auto refuse = [&](const std::string& accepted) {
    throw Error(describe_named("input", input.name()) + " has shape " + shape_to_string(given) + "; the model accepts " +
                accepted);
  };
  switch (array.ShapeFlexibility_case()) {
    case cml::ArrayFeatureType::kEnumeratedShapes: {
      std::string accepted;
      for (const auto& shape : array.enumeratedshapes().shapes()) {
        const Shape option(shape.shape().begin(), shape.shape().end());
        if (option == given) return;
        accepted += (accepted.empty() ? "" : " or ") + shape_to_string(option);
      }
      refuse(accepted);
      break;
    }
    case cml::ArrayFeatureType::kShapeRange: {
      const auto& ranges = array.shaperange().sizeranges();
      std::string accepted = "[";
      for (int i = 0; i < ranges.size(); ++i) {
        accepted += (i ? ", " : "") + std::to_string(ranges[i].lowerbound()) + ".." +
                    (ranges[i].upperbound() < 0 ? std::string("inf") : std::to_string(ranges[i].upperbound()));
      }
      accepted += "]";
      if (static_cast<int>(given.size()) != ranges.size()) refuse(accepted);
      for (int i = 0; i < ranges.size(); ++i)
        if (!dim_in_range(given[static_cast<std::size_t>(i)], ranges[i])) refuse(accepted);
      return;
    }
    default:
      if (!declared.empty() && declared != given) refuse(shape_to_string(declared));
  }
}

// One runnable model: a network or a pipeline of models.
class Predictor::Stage {
 public:
  virtual ~Stage() = default;
  // Reads the features it needs from `produced` (earlier stages' outputs) or else
  // `given` (the caller's inputs, not copied), and adds its outputs to `produced`.
  virtual void run(const FeatureMap& given, FeatureMap& produced, RunContext& ctx) = 0;
  virtual void set_observer(const LayerObserver& observer) = 0;
};

namespace {

using KernelMade = std::function<void(const Layer& layer, const Kernel& kernel)>;

std::unique_ptr<Predictor::Stage> make_stage(const cml::Model& model, const KernelRegistry& kernels,
                                             const KernelMade& kernel_made);

class NetworkStage final : public Predictor::Stage {
 public:
  NetworkStage(const cml::Model& model, const spec::NetworkView& network, const KernelRegistry& kernels,
               const KernelMade& kernel_made)
      : model_(model), view_(network) {
    build_.kernels = &kernels;
    build_.kernel_made = kernel_made;
    build_.array_mapping = network.array_input_shape_mapping == cml::EXACT_ARRAY_MAPPING ? ShapeMapping::exact
                                                                                          : ShapeMapping::rank5;
    build_.compile_network = [this](const cml::NeuralNetwork& body, const std::string& where) {
      return std::make_unique<Network>(body.layers(), build_, where, std::set<std::string>{}, false);
    };
    std::set<std::string> keep;
    for (const auto& output : model.description().output()) keep.insert(output.name());
    if (model.has_neuralnetworkclassifier()) {
      probability_blob_ = model.neuralnetworkclassifier().labelprobabilitylayername();
      if (probability_blob_.empty() && !network.layers.empty() && network.layers.rbegin()->output_size() > 0)
        probability_blob_ = network.layers.rbegin()->output(0);
      if (probability_blob_.empty()) throw Error("the classifier names no probability blob and has no layers");
      keep.insert(probability_blob_);
    }
    network_ = std::make_unique<Network>(network.layers, build_, "", keep, true);
  }

  void set_observer(const LayerObserver& observer) override { network_->set_observer(observer); }

  void run(const FeatureMap& given, FeatureMap& features, RunContext& ctx) override {
    Environment blobs;
    blobs.add_spares(std::move(spares_));
    spares_.clear();
    for (const auto& input : model_.description().input()) bind_input(input, given, features, blobs);
    RunContext local = ctx;
    local.blobs = &blobs;
    local.loop_signal = LoopSignal::none;
    network_->run(local);
    for (const auto& output : model_.description().output()) collect_output(output, blobs, features);
    spares_ = blobs.take_all();
  }

 private:
  void bind_input(const cml::FeatureDescription& input, const FeatureMap& given, const FeatureMap& produced,
                  Environment& blobs) const {
    const FeatureValue* found = nullptr;
    if (auto item = produced.find(input.name()); item != produced.end()) found = &item->second;
    else if (item = given.find(input.name()); item != given.end()) found = &item->second;
    const cml::FeatureType& type = input.type();
    if (found == nullptr) {
      if (type.isoptional() && type.has_multiarraytype()) {
        blobs.put(input.name(), to_blob(default_array(type.multiarraytype()), type));
        return;
      }
      throw Error("missing " + describe_named("input", input.name()) + " (" + describe_feature_type(type) + ")");
    }
    const FeatureValue& value = *found;
    if (type.has_multiarraytype() && value.kind == FeatureValue::Kind::array)
      check_array_input_shape(input, value.tensor.shape());
    try {
      if (type.has_multiarraytype()) {
        if (value.kind != FeatureValue::Kind::array)
          throw Error(std::string("expected a MultiArray, got ") + feature_kind_name(value.kind));
        Tensor blob = blobs.take_spare(static_cast<std::size_t>(value.tensor.size()));
        blob = value.tensor;  // into the reused storage when it is large enough
        blobs.put(input.name(), to_blob(std::move(blob), type));
      } else if (type.has_imagetype()) {
        if (value.kind != FeatureValue::Kind::image)
          throw Error(std::string("expected an Image, got ") + feature_kind_name(value.kind));
        blobs.put(input.name(), image_blob(input, value));
      } else {
        throw Error("a " + std::string(spec::feature_type_name(type)) +
                    " input cannot feed a neural network (only MultiArray and Image can)");
      }
    } catch (Error& error) {
      throw error.within(describe_named("input", input.name()));
    }
  }

  static Tensor default_array(const cml::ArrayFeatureType& array) {
    double fill = 0;
    if (array.has_intdefaultvalue()) fill = array.intdefaultvalue();
    if (array.has_floatdefaultvalue()) fill = array.floatdefaultvalue();
    if (array.has_doubledefaultvalue()) fill = array.doubledefaultvalue();
    Tensor tensor;
    tensor.assign(default_array_shape(array), static_cast<float>(fill));
    return tensor;
  }

  // Places an array input into a blob as the network's shape mapping says.
  Tensor to_blob(Tensor tensor, const cml::FeatureType& type) const {
    if (build_.array_mapping == ShapeMapping::exact) return tensor;
    Shape shape = tensor.shape();
    switch (shape.size()) {
      case 1: shape = {1, 1, shape[0], 1, 1}; break;
      case 3: shape = {1, 1, shape[0], shape[1], shape[2]}; break;
      case 5: break;
      default:
        throw Error("shape " + shape_to_string(shape) + " has rank " + std::to_string(shape.size()) +
                    "; with RANK5_ARRAY_MAPPING an array input must have rank 1 ([C]), 3 ([C, H, W]) or 5 "
                    "([Seq, Batch, C, H, W]) (declared " + describe_feature_type(type) + ")");
    }
    tensor.reshape(shape);
    return tensor;
  }

  Tensor image_blob(const cml::FeatureDescription& input, const FeatureValue& value) const {
    const cml::ImageFeatureType& image = input.type().imagetype();
    const Tensor& pixels = value.tensor;
    const std::int64_t channels = image.colorspace() == cml::ImageFeatureType::RGB ||
                                          image.colorspace() == cml::ImageFeatureType::BGR
                                      ? 3
                                      : 1;
    if (pixels.rank() != 3 || pixels.dim(0) != channels)
      throw Error("expected pixels of shape [" + std::to_string(channels) + ", H, W] for a " +
                  color_space_name(image.colorspace()) + " image, got " + shape_to_string(pixels.shape()));
    check_image_size(input, pixels.dim(2), pixels.dim(1));
    Tensor blob = pixels;
    for (const auto& step : view_.preprocessing) {
      if (step.featurename() != input.name() && !(step.featurename().empty() && model_.description().input_size() == 1))
        continue;
      apply_preprocessing(step, image.colorspace(), blob);
    }
    const std::int64_t h = blob.dim(1);
    const std::int64_t w = blob.dim(2);
    if (view_.image_input_shape_mapping == cml::RANK4_IMAGE_MAPPING)
      blob.reshape({1, channels, h, w});
    else
      blob.reshape({1, 1, channels, h, w});
    return blob;
  }

  static void check_image_size(const cml::FeatureDescription& input, std::int64_t width, std::int64_t height) {
    const cml::ImageFeatureType& image = input.type().imagetype();
    const std::string given = std::to_string(width) + " x " + std::to_string(height);
    switch (image.SizeFlexibility_case()) {
      case cml::ImageFeatureType::kEnumeratedSizes: {
        std::string accepted;
        for (const auto& size : image.enumeratedsizes().sizes()) {
          if (static_cast<std::int64_t>(size.width()) == width && static_cast<std::int64_t>(size.height()) == height) return;
          accepted += (accepted.empty() ? "" : ", ") + std::to_string(size.width()) + " x " + std::to_string(size.height());
        }
        throw Error("image is " + given + "; the model accepts " + accepted);
      }
      case cml::ImageFeatureType::kImageSizeRange:
        if (dim_in_range(width, image.imagesizerange().widthrange()) &&
            dim_in_range(height, image.imagesizerange().heightrange()))
          return;
        throw Error("image is " + given + ", outside the model's size range");
      default:
        if (width != image.width() || height != image.height())
          throw Error("image is " + given + "; the model expects " + std::to_string(image.width()) + " x " +
                      std::to_string(image.height()));
    }
  }

  static void apply_preprocessing(const cml::NeuralNetworkPreprocessing& step, cml::ImageFeatureType::ColorSpace space,
                                  Tensor& blob) {
    const std::int64_t plane = blob.dim(1) * blob.dim(2);
    float* data = blob.data();
    if (step.has_scaler()) {
      const auto& scaler = step.scaler();
      std::vector<float> biases;
      if (space == cml::ImageFeatureType::RGB) biases = {scaler.redbias(), scaler.greenbias(), scaler.bluebias()};
      else if (space == cml::ImageFeatureType::BGR) biases = {scaler.bluebias(), scaler.greenbias(), scaler.redbias()};
      else biases = {scaler.graybias()};
      for (std::size_t c = 0; c < biases.size(); ++c)
        for (std::int64_t i = 0; i < plane; ++i) {
          float& x = data[static_cast<std::int64_t>(c) * plane + i];
          x = x * scaler.channelscale() + biases[c];
        }
    } else if (step.has_meanimage()) {
      const auto& mean = step.meanimage().meanimage();
      if (mean.size() != blob.size())
        throw Error("the mean image has " + std::to_string(mean.size()) + " values; the image has " +
                    std::to_string(blob.size()));
      for (std::int64_t i = 0; i < blob.size(); ++i) data[i] -= mean[static_cast<int>(i)];
    }
  }

  void collect_output(const cml::FeatureDescription& output, Environment& blobs, FeatureMap& features) const {
    const cml::FeatureType& type = output.type();
    const bool is_classifier = model_.has_neuralnetworkclassifier();
    try {
      if (is_classifier && (output.name() == model_.description().predictedfeaturename() ||
                            output.name() == model_.description().predictedprobabilitiesname())) {
        classify(output, blobs, features);
        return;
      }
      Tensor* blob = blobs.find(output.name());
      if (blob == nullptr) throw Error("no layer produces it");
      if (type.has_imagetype()) {
        features[output.name()] = image_output(*blob, type.imagetype());
        return;
      }
      if (!type.has_multiarraytype())
        throw Error("a " + std::string(spec::feature_type_name(type)) + " output cannot come from a network blob");
      Tensor tensor = *blob;
      const Shape declared(type.multiarraytype().shape().begin(), type.multiarraytype().shape().end());
      if (build_.array_mapping == ShapeMapping::rank5 && !declared.empty() && element_count(declared) == tensor.size())
        tensor.reshape(declared);
      features[output.name()] = FeatureValue::array(std::move(tensor), type.multiarraytype().datatype());
    } catch (Error& error) {
      throw error.within(describe_named("output", output.name()));
    }
  }

  static FeatureValue image_output(const Tensor& blob, const cml::ImageFeatureType& image) {
    Shape shape = blob.shape();
    while (shape.size() > 3 && shape.front() == 1) shape.erase(shape.begin());
    if (shape.size() != 3) throw Error("blob of shape " + shape_to_string(blob.shape()) + " is not an image [C, H, W]");
    Tensor pixels = blob;
    pixels.reshape(shape);
    return FeatureValue::image(std::move(pixels), image.colorspace());
  }

  void classify(const cml::FeatureDescription& output, Environment& blobs, FeatureMap& features) const {
    const Tensor* probabilities = blobs.find(probability_blob_);
    if (probabilities == nullptr) throw Error("the probability blob '" + probability_blob_ + "' was not produced");
    const std::optional<spec::ClassLabels> labels = spec::class_labels_of(model_);
    if (!labels || labels->size() == 0) throw Error("the classifier has no class labels");
    if (probabilities->size() != labels->size())
      throw Error("the probability blob '" + probability_blob_ + "' has " + std::to_string(probabilities->size()) +
                  " values for " + std::to_string(labels->size()) + " class labels");
    const auto values = probabilities->values();
    const auto best = static_cast<int>(std::max_element(values.begin(), values.end()) - values.begin());
    if (output.name() == model_.description().predictedfeaturename()) {
      features[output.name()] = labels->is_int64 ? FeatureValue::int64_value(labels->ints->Get(best))
                                                 : FeatureValue::string_value(labels->strings->Get(best));
      return;
    }
    FeatureValue dictionary;
    dictionary.kind = FeatureValue::Kind::dictionary;
    dictionary.int64_keys = labels->is_int64;
    for (int i = 0; i < labels->size(); ++i) {
      const double p = values[static_cast<std::size_t>(i)];
      if (labels->is_int64) dictionary.int_entries.emplace_back(labels->ints->Get(i), p);
      else dictionary.string_entries.emplace_back(labels->strings->Get(i), p);
    }
    features[output.name()] = std::move(dictionary);
  }

  const cml::Model& model_;
  spec::NetworkView view_;
  BuildContext build_;
  std::unique_ptr<Network> network_;
  std::vector<Tensor> spares_;  // the last run's blobs, reused by the next
  std::string probability_blob_;
};

class PipelineStage final : public Predictor::Stage {
 public:
  PipelineStage(const cml::Pipeline& pipeline, const KernelRegistry& kernels, const KernelMade& kernel_made) {
    for (int i = 0; i < pipeline.models_size(); ++i) {
      try {
        stages_.push_back(make_stage(pipeline.models(i), kernels, kernel_made));
      } catch (Error& error) {
        throw error.within("pipeline model " + std::to_string(i));
      }
    }
  }
  void set_observer(const LayerObserver& observer) override {
    for (auto& stage : stages_) stage->set_observer(observer);
  }
  void run(const FeatureMap& given, FeatureMap& produced, RunContext& ctx) override {
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      try {
        stages_[i]->run(given, produced, ctx);
      } catch (Error& error) {
        throw error.within("pipeline model " + std::to_string(i));
      }
    }
  }

 private:
  std::vector<std::unique_ptr<Predictor::Stage>> stages_;
};

std::unique_ptr<Predictor::Stage> make_stage(const cml::Model& model, const KernelRegistry& kernels,
                                             const KernelMade& kernel_made) {
  if (const std::optional<spec::NetworkView> network = spec::network_of(model))
    return std::make_unique<NetworkStage>(model, *network, kernels, kernel_made);
  if (const cml::Pipeline* pipeline = spec::pipeline_of(model))
    return std::make_unique<PipelineStage>(*pipeline, kernels, kernel_made);
  const std::string type(spec::model_type_name(model));
  std::string why = "mlconv run executes neuralNetwork, neuralNetworkClassifier, neuralNetworkRegressor and pipelines "
                    "of them";
  if (type == "visionFeaturePrint" || type == "soundAnalysisPreprocessing" || type == "textClassifier" ||
      type == "wordTagger" || type == "gazetteer" || type == "wordEmbedding")
    why = "it is an Apple-only model whose implementation ships with Apple's OS; " + why;
  throw Error("model type '" + type + "' cannot run: " + why);
}

// Every layer of the model (pipeline stages and loop/branch bodies included), by
// address: kernels see layers through const references, the release needs them writable.
void index_layers(google::protobuf::Message& message, std::unordered_map<const Layer*, Layer*>& layers) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    auto visit = [&](google::protobuf::Message& item) {
      if (item.GetDescriptor() == Layer::descriptor()) {
        auto* layer = static_cast<Layer*>(&item);
        layers.emplace(layer, layer);
      }
      index_layers(item, layers);
    };
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) visit(*reflection->MutableRepeatedMessage(&message, field, i));
    } else {
      visit(*reflection->MutableMessage(&message, field));
    }
  }
}

}  // namespace

Predictor::Predictor(const cml::Model& model, const PredictorOptions& options)
    : model_(&model), pool_(options.threads), options_(options) {
  build();
}

Predictor::Predictor(cml::Model&& model, const PredictorOptions& options)
    : owned_model_(std::make_unique<cml::Model>(std::move(model))),
      model_(owned_model_.get()),
      pool_(options.threads),
      options_(options) {
  build();
}

void Predictor::build() {
  if (options_.kernels == nullptr) throw Error("internal: Predictor needs a kernel registry");
  check_model_fits_memory(*model_, options_.max_memory);
  set_tensor_memory_limit(options_.max_memory);
  KernelMade release;
  std::unordered_map<const Layer*, Layer*> writable;
  if (owned_model_) {
    index_layers(*owned_model_, writable);
    // Layer by layer, so the model's copy and the kernels' copies never add up to twice the weights.
    release = [&](const Layer& layer, const Kernel& kernel) {
      if (kernel.reads_stored_weights()) return;
      if (const auto found = writable.find(&layer); found != writable.end())
        released_weight_bytes_ += spec::release_weight_values(*found->second);
    };
  }
  root_ = make_stage(*model_, *options_.kernels, release);
}

Predictor::~Predictor() = default;

void Predictor::set_layer_observer(const LayerObserver& observer) { root_->set_observer(observer); }

FeatureMap Predictor::predict(const FeatureMap& inputs) {
  const std::vector<std::string> names = declared_names(model_->description().input());
  for (const auto& [name, value] : inputs) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw Error("the model has no input '" + name + "'; its inputs are: " + join(names));
  }
  FeatureMap features;  // what the stages produce; the inputs are read in place
  RunContext ctx;
  ctx.pool = &pool_;
  ctx.seed = options_.seed;
  ctx.max_loop_iterations = options_.max_loop_iterations;
  ctx.peak_live_bytes = &peak_live_bytes_;
  root_->run(inputs, features, ctx);
  FeatureMap outputs;
  for (const auto& output : model_->description().output()) {
    if (auto found = features.find(output.name()); found != features.end()) {
      outputs[output.name()] = std::move(found->second);
    } else if (auto given = inputs.find(output.name()); given != inputs.end()) {
      outputs[output.name()] = given->second;  // an input the model hands back unchanged
    } else {
      throw Error(describe_named("output", output.name()) + " was not produced");
    }
  }
  return outputs;
}

}  // namespace mlconv::exec
