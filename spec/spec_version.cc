// Which specificationVersion a model's content needs. The facts (which layer,
// model type and feature arrived with which Core ML release) follow Apple's
// published specification; each rule below names the release it belongs to so
// that a reader can check it against the release notes.
#include "spec/spec_version.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/weight_elision.h"
#include "spec/weights.h"

namespace mlconv::spec {
namespace {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;
using Layer = cml::NeuralNetworkLayer;
using Requirements = std::vector<VersionRequirement>;

// specificationVersion numbers, named after the OS release that brought them.
constexpr int ios11 = 1;
constexpr int ios11_2 = 2;
constexpr int ios12 = 3;
constexpr int ios13 = 4;
constexpr int ios14 = 5;
constexpr int ios15 = 6;
constexpr int ios16 = 7;
constexpr int ios17 = 8;
constexpr int ios18 = 9;
constexpr int ios26 = 10;
static_assert(ios26 == newest_known_spec_version, "a new Core ML release needs its rules and OS names here");

struct OsRelease {
  std::string_view short_name;
  std::string_view long_name;
};

// Indexed by specificationVersion; entry 0 answers for every version we do not know.
constexpr std::array<OsRelease, newest_known_spec_version + 1> os_releases = {{
    {"unknown", "unknown"},
    {"iOS 11", "iOS 11, macOS 10.13, tvOS 11, watchOS 4"},
    {"iOS 11.2", "iOS 11.2, macOS 10.13.2, tvOS 11.2, watchOS 4.2"},
    {"iOS 12", "iOS 12, macOS 10.14, tvOS 12, watchOS 5"},
    {"iOS 13", "iOS 13, macOS 10.15, tvOS 13, watchOS 6"},
    {"iOS 14", "iOS 14, macOS 11, tvOS 14, watchOS 7"},
    {"iOS 15", "iOS 15, macOS 12, tvOS 15, watchOS 8"},
    {"iOS 16", "iOS 16, macOS 13, tvOS 16, watchOS 9"},
    {"iOS 17", "iOS 17, macOS 14, tvOS 17, watchOS 10"},
    {"iOS 18", "iOS 18, macOS 15, tvOS 18, watchOS 11"},
    {"iOS 26", "iOS 26, macOS 26, tvOS 26, watchOS 26, visionOS 26"},
}};

const OsRelease& os_release(int version) {
  return version >= 1 && version <= newest_known_spec_version ? os_releases[static_cast<std::size_t>(version)]
                                                              : os_releases[0];
}

// ---- Layer cases by the release that introduced them ----

// The first Core ML release: the classic rank-5 (sequence, batch, channel, height, width) layers.
constexpr Layer::LayerCase ios11_layers[] = {
    Layer::kConvolution, Layer::kPooling, Layer::kActivation, Layer::kInnerProduct, Layer::kEmbedding,
    Layer::kBatchnorm, Layer::kMvn, Layer::kL2Normalize, Layer::kSoftmax, Layer::kLrn,
    Layer::kCrop, Layer::kPadding, Layer::kUpsample, Layer::kReshape, Layer::kFlatten, Layer::kPermute,
    Layer::kConcat, Layer::kSplit, Layer::kSequenceRepeat, Layer::kReorganizeData, Layer::kSlice,
    Layer::kUnary, Layer::kAdd, Layer::kMultiply, Layer::kAverage, Layer::kScale, Layer::kBias,
    Layer::kMax, Layer::kMin, Layer::kDot, Layer::kReduce, Layer::kLoadConstant,
    Layer::kSimpleRecurrent, Layer::kGru, Layer::kUniDirectionalLSTM, Layer::kBiDirectionalLSTM,
};

constexpr Layer::LayerCase ios11_2_layers[] = {Layer::kCustom};

constexpr Layer::LayerCase ios12_layers[] = {Layer::kResizeBilinear, Layer::kCropResize};

// Core ML 3: control flow and the rank-N ("ND") layer set.
constexpr Layer::LayerCase ios13_layers[] = {
    // control flow
    Layer::kCopy, Layer::kBranch, Layer::kLoop, Layer::kLoopBreak, Layer::kLoopContinue,
    Layer::kRangeStatic, Layer::kRangeDynamic,
    // element-wise unary
    Layer::kClip, Layer::kCeil, Layer::kFloor, Layer::kSign, Layer::kRound, Layer::kExp2,
    Layer::kSin, Layer::kCos, Layer::kTan, Layer::kAsin, Layer::kAcos, Layer::kAtan,
    Layer::kSinh, Layer::kCosh, Layer::kTanh, Layer::kAsinh, Layer::kAcosh, Layer::kAtanh,
    Layer::kErf, Layer::kGelu,
    // comparison and logic
    Layer::kEqual, Layer::kNotEqual, Layer::kLessThan, Layer::kLessEqual, Layer::kGreaterThan,
    Layer::kGreaterEqual, Layer::kLogicalOr, Layer::kLogicalXor, Layer::kLogicalNot, Layer::kLogicalAnd,
    // broadcasting arithmetic
    Layer::kModBroadcastable, Layer::kMinBroadcastable, Layer::kMaxBroadcastable, Layer::kAddBroadcastable,
    Layer::kPowBroadcastable, Layer::kDivideBroadcastable, Layer::kFloorDivBroadcastable,
    Layer::kMultiplyBroadcastable, Layer::kSubtractBroadcastable,
    // gather, scatter and rearrangement
    Layer::kTile, Layer::kStack, Layer::kGather, Layer::kScatter, Layer::kGatherND, Layer::kScatterND,
    Layer::kSoftmaxND, Layer::kGatherAlongAxis, Layer::kScatterAlongAxis, Layer::kReverse, Layer::kReverseSeq,
    Layer::kSplitND, Layer::kConcatND, Layer::kTranspose, Layer::kSliceStatic, Layer::kSliceDynamic,
    Layer::kSlidingWindows, Layer::kTopK, Layer::kArgMin, Layer::kArgMax,
    // weights, shapes and constants
    Layer::kEmbeddingND, Layer::kBatchedMatmul, Layer::kGetShape, Layer::kLoadConstantND,
    Layer::kFillLike, Layer::kFillStatic, Layer::kFillDynamic,
    Layer::kBroadcastToLike, Layer::kBroadcastToStatic, Layer::kBroadcastToDynamic,
    Layer::kSqueeze, Layer::kExpandDims, Layer::kFlattenTo2D, Layer::kReshapeLike, Layer::kReshapeStatic,
    Layer::kReshapeDynamic, Layer::kRankPreservingReshape, Layer::kConstantPad,
    // random sampling
    Layer::kRandomNormalLike, Layer::kRandomNormalStatic, Layer::kRandomNormalDynamic,
    Layer::kRandomUniformLike, Layer::kRandomUniformStatic, Layer::kRandomUniformDynamic,
    Layer::kRandomBernoulliLike, Layer::kRandomBernoulliStatic, Layer::kRandomBernoulliDynamic,
    Layer::kCategoricalDistribution,
    // reductions
    Layer::kReduceL1, Layer::kReduceL2, Layer::kReduceMax, Layer::kReduceMin, Layer::kReduceSum,
    Layer::kReduceProd, Layer::kReduceMean, Layer::kReduceLogSum, Layer::kReduceSumSquare, Layer::kReduceLogSumExp,
    // masks, normalisation, detection
    Layer::kWhereNonZero, Layer::kMatrixBandPart, Layer::kLowerTriangular, Layer::kUpperTriangular,
    Layer::kWhereBroadcastable, Layer::kLayerNormalization, Layer::kNonMaximumSuppression,
};

// Core ML 4.
constexpr Layer::LayerCase ios14_layers[] = {
    Layer::kOneHot, Layer::kCumSum, Layer::kClampedReLU, Layer::kArgSort,
    Layer::kPooling3D, Layer::kGlobalPooling3D, Layer::kSliceBySize, Layer::kConvolution3D,
};

struct LayerGeneration {
  int version;
  std::span<const Layer::LayerCase> cases;
};

constexpr LayerGeneration layer_generations[] = {
    {ios11, ios11_layers}, {ios11_2, ios11_2_layers}, {ios12, ios12_layers},
    {ios13, ios13_layers}, {ios14, ios14_layers},
};

}  // namespace

// 0 for LAYER_NOT_SET: an empty layer is a validation problem, not a version one.
int spec_version_of_layer_case(Layer::LayerCase layer_case) {
  static const std::unordered_map<int, int> version_by_case = [] {
    std::unordered_map<int, int> table;
    for (const LayerGeneration& generation : layer_generations) {
      for (Layer::LayerCase listed : generation.cases) table.emplace(listed, generation.version);
    }
    return table;
  }();
  const auto found = version_by_case.find(layer_case);
  return found == version_by_case.end() ? 0 : found->second;
}

namespace {

// ---- Model types by the release that introduced them (all others date from iOS 11) ----

struct ModelTypeGeneration {
  int version;
  std::span<const cml::Model::TypeCase> types;
};

constexpr cml::Model::TypeCase ios12_model_types[] = {
    cml::Model::kCustomModel,    cml::Model::kBayesianProbitRegressor, cml::Model::kNonMaximumSuppression,
    cml::Model::kTextClassifier, cml::Model::kWordTagger,              cml::Model::kVisionFeaturePrint,
};
constexpr cml::Model::TypeCase ios13_model_types[] = {
    cml::Model::kKNearestNeighborsClassifier, cml::Model::kItemSimilarityRecommender, cml::Model::kLinkedModel,
    cml::Model::kSoundAnalysisPreprocessing,  cml::Model::kGazetteer,                 cml::Model::kWordEmbedding,
};
constexpr cml::Model::TypeCase ios14_model_types[] = {cml::Model::kSerializedModel};
constexpr cml::Model::TypeCase ios15_model_types[] = {cml::Model::kMlProgram, cml::Model::kAudioFeaturePrint};
constexpr cml::Model::TypeCase ios17_model_types[] = {cml::Model::kClassConfidenceThresholding};

constexpr ModelTypeGeneration model_type_generations[] = {
    {ios12, ios12_model_types}, {ios13, ios13_model_types}, {ios14, ios14_model_types},
    {ios15, ios15_model_types}, {ios17, ios17_model_types},
};

int version_of_model_type(cml::Model::TypeCase type) {
  for (const ModelTypeGeneration& generation : model_type_generations) {
    if (std::ranges::find(generation.types, type) != generation.types.end()) return generation.version;
  }
  return ios11;
}

// Apple's text models keep one model type and mark newer trained formats with a
// revision number instead; each step below is the first revision of a release.
struct RevisionStep {
  unsigned revision;
  int version;
};
constexpr RevisionStep text_classifier_revisions[] = {{2, ios13}, {4, ios17}, {5, ios18}};
constexpr RevisionStep word_tagger_revisions[] = {{3, ios14}, {4, ios17}, {5, ios18}};

// ML program opsets are named after the Core ML release whose operations they allow.
struct OpsetVersion {
  std::string_view opset;
  int version;
};
constexpr OpsetVersion opset_versions[] = {
    {"CoreML5", ios15}, {"CoreML6", ios16}, {"CoreML7", ios17}, {"CoreML8", ios18}, {"CoreML9", ios26},
};

// ---- Collecting ----

void require(Requirements& out, int version, std::string where, std::string feature) {
  if (version > ios11) out.push_back({version, std::move(where), std::move(feature)});
}

// Joins locations the way Error::within prints them: outer first, ": " between.
std::string nested(const std::string& outer, std::string_view inner) {
  if (outer.empty()) return std::string(inner);
  if (inner.empty()) return outer;
  return outer + ": " + std::string(inner);
}

// A requirement of the model itself is reported at its pipeline stage, or as "model" at the top.
std::string model_where(const std::string& scope) { return scope.empty() ? "model" : scope; }

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

// ---- Weights ----

// Judged by the fields that hold values rather than by one storage kind, so a
// blob that sets several (which Core ML rejects) still reports each of them.
void weight_requirements(const Layer& layer, const std::string& where, Requirements& out) {
  bool float16 = false, quantized = false, int8 = false, updatable = false;
  for (const WeightBlob& blob : layer_weights(layer)) {
    const cml::WeightParams& weights = *blob.params;
    // A model loaded without its weight values keeps a marker of the field instead.
    const auto elided = elided_value(weights);
    const auto holds = [&elided](bool present, int field_number) {
      return present || (elided && elided->field_number == static_cast<std::uint32_t>(field_number));
    };
    float16 = float16 || holds(!weights.float16value().empty(), cml::WeightParams::kFloat16ValueFieldNumber);
    // rawValue without quantization parameters is opaque bytes for a custom layer, not quantized weights.
    quantized = quantized ||
                (holds(!weights.rawvalue().empty(), cml::WeightParams::kRawValueFieldNumber) && weights.has_quantization());
    // int8RawValue exists only for int8DynamicQuantize, an iOS 14 option.
    int8 = int8 || holds(!weights.int8rawvalue().empty(), cml::WeightParams::kInt8RawValueFieldNumber);
    updatable = updatable || weights.isupdatable();
  }
  if (float16) require(out, ios11_2, where, "float16 weights");
  if (quantized) require(out, ios12, where, "quantized weights");
  if (updatable) require(out, ios13, where, "updatable weights");
  if (int8) require(out, ios14, where, "int8 weights (int8RawValue)");
}

// ---- Layers ----

void network_layer_requirements(const pb::RepeatedPtrField<Layer>& layers, const std::string& scope,
                                Requirements& out);

// Layers that date from an older release but gained options later.
void layer_option_requirements(const Layer& layer, const std::string& where, Requirements& out) {
  switch (layer.layer_case()) {
    case Layer::kConvolution:
      if (layer.input_size() > 1) require(out, ios13, where, "convolution weights given as a second input");
      break;
    case Layer::kTile:
      if (layer.input_size() > 1) require(out, ios14, where, "tile repetitions given as a second input");
      break;
    case Layer::kUpsample:
      if (layer.upsample().linearupsamplemode() != cml::UpsampleLayerParams::DEFAULT) {
        require(out, ios14, where,
                "linearUpsampleMode " + enum_value_name(cml::UpsampleLayerParams::LinearUpsampleMode_descriptor(),
                                                        layer.upsample().linearupsamplemode()));
      }
      if (layer.upsample().fractionalscalingfactor_size() > 0) {
        require(out, ios14, where, "fractional upsampling factors");
      }
      break;
    case Layer::kReorganizeData:
      if (layer.reorganizedata().mode() == cml::ReorganizeDataLayerParams::PIXEL_SHUFFLE) {
        require(out, ios14, where, "PIXEL_SHUFFLE reorganization");
      }
      break;
    case Layer::kInnerProduct:
      if (layer.innerproduct().int8dynamicquantize()) require(out, ios14, where, "int8 dynamic quantization");
      break;
    case Layer::kBatchedMatmul:
      if (layer.batchedmatmul().int8dynamicquantize()) require(out, ios14, where, "int8 dynamic quantization");
      break;
    case Layer::kConcatND:
      if (layer.concatnd().interleave()) require(out, ios14, where, "interleaved concatenation");
      break;
    case Layer::kSliceDynamic:
      // The seventh input carries squeeze masks, the same option as the squeezeMasks field.
      if (layer.input_size() >= 7 || layer.slicedynamic().squeezemasks_size() > 0) {
        require(out, ios14, where, "squeeze masks");
      }
      break;
    default:
      break;
  }
}

void layer_requirements(const Layer& layer, const std::string& scope, Requirements& out) {
  const std::string_view type = layer_type_name(layer);
  const std::string where = nested(scope, describe_named("layer", layer.name(), type));

  const int case_version = spec_version_of_layer_case(layer.layer_case());
  require(out, case_version, where,
          layer.layer_case() == Layer::kCustom ? std::string("custom layers") : "the " + quoted(type) + " layer");
  layer_option_requirements(layer, where, out);
  if (layer.isupdatable()) require(out, ios13, where, "updatable layers");
  weight_requirements(layer, where, out);

  for (const SubNetwork& sub : sub_networks(layer)) {
    network_layer_requirements(sub.network->layers(), where + ", " + std::string(sub.field), out);
  }
}

void network_layer_requirements(const pb::RepeatedPtrField<Layer>& layers, const std::string& scope,
                                Requirements& out) {
  for (const Layer& layer : layers) layer_requirements(layer, scope, out);
}

void network_requirements(const NetworkView& network, const std::string& scope, Requirements& out) {
  const std::string where = model_where(scope);
  // The rank-5 mappings are the defaults every release understands; the others
  // hand inputs to rank-N layers as they are.
  if (network.array_input_shape_mapping != cml::RANK5_ARRAY_MAPPING) {
    require(out, ios13, where,
            "arrayInputShapeMapping " + enum_value_name(cml::NeuralNetworkMultiArrayShapeMapping_descriptor(),
                                                        network.array_input_shape_mapping));
  }
  if (network.image_input_shape_mapping != cml::RANK5_IMAGE_MAPPING) {
    require(out, ios13, where,
            "imageInputShapeMapping " + enum_value_name(cml::NeuralNetworkImageShapeMapping_descriptor(),
                                                        network.image_input_shape_mapping));
  }
  if (network.update_params != nullptr) require(out, ios13, where, "training parameters (updateParams)");
  network_layer_requirements(network.layers, scope, out);
}

// ---- Feature descriptions ----

void array_requirements(const cml::ArrayFeatureType& array, bool optional, const std::string& where,
                        Requirements& out) {
  if (array.ShapeFlexibility_case() != cml::ArrayFeatureType::SHAPEFLEXIBILITY_NOT_SET) {
    require(out, ios12, where, "flexible shapes (" + std::string(oneof_case_name(array, "ShapeFlexibility")) + ")");
  }
  if (array.datatype() == cml::ArrayFeatureType::FLOAT16) require(out, ios16, where, "FLOAT16 multi-arrays");
  if (array.datatype() == cml::ArrayFeatureType::INT8) require(out, ios26, where, "INT8 multi-arrays");
  // A default only means something for an optional input; Core ML ignores it otherwise.
  if (optional && array.defaultOptionalValue_case() != cml::ArrayFeatureType::DEFAULTOPTIONALVALUE_NOT_SET) {
    require(out, ios14, where,
            "a default value for an optional input (" + std::string(oneof_case_name(array, "defaultOptionalValue")) +
                ")");
  }
}

void feature_requirements(const cml::FeatureDescription& feature, std::string_view role, const std::string& scope,
                          Requirements& out) {
  const std::string where = nested(scope, describe_named(role, feature.name()));
  const cml::FeatureType& type = feature.type();
  // A state may only be declared with a stateType; either way it is an iOS 18 stateful model.
  if (role == "state" || type.has_statetype()) require(out, ios18, where, "state features");
  switch (type.Type_case()) {
    case cml::FeatureType::kMultiArrayType:
      array_requirements(type.multiarraytype(), type.isoptional(), where, out);
      break;
    case cml::FeatureType::kStateType: array_requirements(type.statetype().arraytype(), false, where, out); break;
    case cml::FeatureType::kImageType:
      if (type.imagetype().SizeFlexibility_case() != cml::ImageFeatureType::SIZEFLEXIBILITY_NOT_SET) {
        require(out, ios12, where,
                "flexible image sizes (" + std::string(oneof_case_name(type.imagetype(), "SizeFlexibility")) + ")");
      }
      if (type.imagetype().colorspace() == cml::ImageFeatureType::GRAYSCALE_FLOAT16) {
        require(out, ios16, where, "GRAYSCALE_FLOAT16 images");
      }
      break;
    case cml::FeatureType::kSequenceType: require(out, ios12, where, "sequence features"); break;
    default: break;
  }
}

// ModelDescription (single-function models) and FunctionDescription share these fields.
template <typename Interface>
void interface_requirements(const Interface& interface, const std::string& scope, bool check_inputs_present,
                            std::string_view without_inputs, Requirements& out) {
  if (check_inputs_present && interface.input_size() == 0) {
    require(out, ios18, model_where(scope), std::string(without_inputs));
  }
  for (const auto& feature : interface.input()) feature_requirements(feature, "input", scope, out);
  for (const auto& feature : interface.output()) feature_requirements(feature, "output", scope, out);
  for (const auto& feature : interface.state()) feature_requirements(feature, "state", scope, out);
}

void description_requirements(const cml::ModelDescription& description, const std::string& scope,
                              Requirements& out) {
  const bool multi_function = description.functions_size() > 0;
  if (multi_function || !description.defaultfunctionname().empty()) {
    require(out, ios18, model_where(scope), "multiple functions");
  }
  // Before iOS 18 every model needed at least one input; in the multi-function
  // layout the model-level lists stay empty and each function declares its own.
  interface_requirements(description, scope, !multi_function, "a model without inputs", out);
  for (const cml::FunctionDescription& function : description.functions()) {
    interface_requirements(function, nested(scope, describe_named("function", function.name())), true,
                           "a function without inputs", out);
  }
  for (const cml::FeatureDescription& feature : description.traininginput()) {
    const std::string where = nested(scope, describe_named("training input", feature.name()));
    require(out, ios13, where, "training inputs");
    feature_requirements(feature, "training input", scope, out);
  }
}

// ---- Models ----

void model_requirements(const cml::Model& model, const std::string& scope, Requirements& out);

void pipeline_requirements(const cml::Pipeline& pipeline, const std::string& scope, Requirements& out) {
  for (int i = 0; i < pipeline.models_size(); ++i) {
    std::string stage = "pipeline model " + std::to_string(i);
    if (i < pipeline.names_size() && !pipeline.names(i).empty()) stage = describe_named(stage, pipeline.names(i));
    model_requirements(pipeline.models(i), nested(scope, stage), out);
  }
}

void revision_requirements(unsigned revision, std::span<const RevisionStep> steps, std::string_view type,
                           const std::string& where, Requirements& out) {
  int version = ios11;
  for (const RevisionStep& step : steps) {
    if (revision >= step.revision) version = step.version;
  }
  require(out, version, where, std::string(type) + " revision " + std::to_string(revision));
}

void program_requirements(const CoreML::Specification::MILSpec::Program& program, const std::string& scope,
                          Requirements& out) {
  // Map order is unspecified; sorting keeps reports stable between runs.
  std::vector<std::string> names;
  for (const auto& [name, function] : program.functions()) names.push_back(name);
  std::ranges::sort(names);
  for (const std::string& name : names) {
    const std::string& opset = program.functions().at(name).opset();
    for (const OpsetVersion& known : opset_versions) {
      if (opset == known.opset) {
        require(out, known.version, nested(scope, describe_named("function", name)), "the " + opset + " opset");
      }
    }
  }
}

void model_type_requirements(const cml::Model& model, const std::string& scope, Requirements& out) {
  const std::string where = model_where(scope);
  require(out, version_of_model_type(model.Type_case()), where,
          "the " + quoted(model_type_name(model)) + " model type");
  switch (model.Type_case()) {
    case cml::Model::kTextClassifier:
      revision_requirements(model.textclassifier().revision(), text_classifier_revisions, "textClassifier", where,
                            out);
      break;
    case cml::Model::kWordTagger:
      revision_requirements(model.wordtagger().revision(), word_tagger_revisions, "wordTagger", where, out);
      break;
    case cml::Model::kVisionFeaturePrint: {
      const auto& print = model.visionfeatureprint();
      if (print.has_objects()) require(out, ios14, where, "the object feature print (objects)");
      if (print.has_scene() &&
          print.scene().version() >= cml::CoreMLModels::VisionFeaturePrint::Scene::SCENE_VERSION_2) {
        require(out, ios17, where, "scene feature print version 2");
      }
      break;
    }
    case cml::Model::kNonMaximumSuppression: {
      // Core ML 2 suppression took DOUBLE arrays only.
      const auto float32_features = [&](const auto& features, std::string_view role) {
        for (const cml::FeatureDescription& feature : features) {
          if (feature.type().has_multiarraytype() &&
              feature.type().multiarraytype().datatype() == cml::ArrayFeatureType::FLOAT32) {
            require(out, ios14, nested(scope, describe_named(role, feature.name())),
                    "FLOAT32 multi-arrays in nonMaximumSuppression");
          }
        }
      };
      float32_features(model.description().input(), "input");
      float32_features(model.description().output(), "output");
      break;
    }
    default:
      break;
  }
}

void model_requirements(const cml::Model& model, const std::string& scope, Requirements& out) {
  if (model.isupdatable()) require(out, ios13, model_where(scope), "updatable models (isUpdatable)");
  model_type_requirements(model, scope, out);
  description_requirements(model.description(), scope, out);
  if (const auto network = network_of(model)) network_requirements(*network, scope, out);
  if (const cml::Pipeline* pipeline = pipeline_of(model)) pipeline_requirements(*pipeline, scope, out);
  if (model.has_mlprogram()) program_requirements(model.mlprogram(), scope, out);
}

}  // namespace

std::string_view os_for_spec_version(int version) { return os_release(version).short_name; }

std::string_view long_os_for_spec_version(int version) { return os_release(version).long_name; }

std::vector<VersionRequirement> version_requirements(const cml::Model& model) {
  Requirements out;
  model_requirements(model, "", out);
  return out;
}

int minimum_spec_version(const cml::Model& model) {
  int minimum = ios11;
  for (const VersionRequirement& requirement : version_requirements(model)) {
    minimum = std::max(minimum, requirement.version);
  }
  return minimum;
}

}  // namespace mlconv::spec
