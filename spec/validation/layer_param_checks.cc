// Checks of one layer's wiring and parameters against the rules of its type:
// how many blobs it reads and writes, and the parameters Core ML refuses to
// load when they are missing or out of range (window sizes, groups, padding
// kinds, permutations, target shapes). The rules are facts from Core ML's
// loader; the numbers live in tables so a rule is one line, not a branch.
#include <algorithm>
#include <cstdint>
#include <string>

#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;
using Case = cml::NeuralNetworkLayer::LayerCase;

constexpr int many = -1;  // no upper bound

struct Arity {
  Case layer;
  int min_inputs;
  int max_inputs;
  int min_outputs;
  int max_outputs;
};

// Blob counts per layer type as Core ML's loader enforces them. Custom layers
// are E041's; layer types missing here take whatever they are given.
constexpr Arity arities[] = {
    {Case::kConvolution, 1, 2, 1, 1},        {Case::kConvolution3D, 1, 1, 1, 1},
    {Case::kInnerProduct, 1, 1, 1, 1},       {Case::kBatchnorm, 1, 1, 1, 1},
    {Case::kActivation, 1, 1, 1, 1},         {Case::kPooling, 1, 1, 1, 1},
    {Case::kPooling3D, 1, 1, 1, 1},          {Case::kGlobalPooling3D, 1, 1, 1, 1},
    {Case::kPadding, 1, 1, 1, 1},            {Case::kConcat, 2, many, 1, 1},
    {Case::kLrn, 1, 1, 1, 1},                {Case::kSoftmax, 1, 1, 1, 1},
    {Case::kSplit, 1, 1, 2, many},           {Case::kAdd, 1, many, 1, 1},
    {Case::kMultiply, 1, many, 1, 1},        {Case::kUnary, 1, 1, 1, 1},
    {Case::kUpsample, 1, 1, 1, 1},           {Case::kBias, 1, 1, 1, 1},
    {Case::kL2Normalize, 1, 1, 1, 1},        {Case::kReshape, 1, 1, 1, 1},
    {Case::kFlatten, 1, 1, 1, 1},            {Case::kPermute, 1, 1, 1, 1},
    {Case::kReduce, 1, 1, 1, 1},             {Case::kLoadConstant, 0, 0, 1, 1},
    {Case::kScale, 1, 1, 1, 1},              {Case::kSimpleRecurrent, 2, 2, 2, 2},
    {Case::kGru, 1, 2, 2, 2},                {Case::kUniDirectionalLSTM, 1, 3, 3, 3},
    {Case::kBiDirectionalLSTM, 1, 5, 5, 5},  {Case::kCrop, 1, 2, 1, 1},
    {Case::kAverage, 1, many, 1, 1},         {Case::kMax, 1, many, 1, 1},
    {Case::kMin, 1, many, 1, 1},             {Case::kDot, 2, 2, 1, 1},
    {Case::kMvn, 1, 1, 1, 1},                {Case::kEmbedding, 1, 1, 1, 1},
    {Case::kSequenceRepeat, 1, 1, 1, 1},     {Case::kReorganizeData, 1, 1, 1, 1},
    {Case::kSlice, 1, 1, 1, 1},              {Case::kResizeBilinear, 1, 1, 1, 1},
    {Case::kCropResize, 2, 2, 1, 1},         {Case::kBranch, 1, 1, 0, 0},
    {Case::kTranspose, 1, 1, 1, 1},          {Case::kCopy, 1, 1, 1, 1},
    {Case::kBatchedMatmul, 1, 2, 1, 1},      {Case::kConcatND, 2, many, 1, 1},
    {Case::kSoftmaxND, 1, 1, 1, 1},          {Case::kReverse, 1, 1, 1, 1},
    {Case::kFillLike, 1, 1, 1, 1},           {Case::kFillStatic, 0, 0, 1, 1},
    {Case::kFillDynamic, 1, 1, 1, 1},        {Case::kWhereBroadcastable, 3, 3, 1, 1},
    {Case::kSin, 1, 1, 1, 1},                {Case::kCos, 1, 1, 1, 1},
    {Case::kTan, 1, 1, 1, 1},                {Case::kAsin, 1, 1, 1, 1},
    {Case::kAcos, 1, 1, 1, 1},               {Case::kAtan, 1, 1, 1, 1},
    {Case::kSinh, 1, 1, 1, 1},               {Case::kCosh, 1, 1, 1, 1},
    {Case::kTanh, 1, 1, 1, 1},               {Case::kAsinh, 1, 1, 1, 1},
    {Case::kAcosh, 1, 1, 1, 1},              {Case::kAtanh, 1, 1, 1, 1},
    {Case::kExp2, 1, 1, 1, 1},               {Case::kMatrixBandPart, 1, 1, 1, 1},
    {Case::kUpperTriangular, 1, 1, 1, 1},    {Case::kLowerTriangular, 1, 1, 1, 1},
    {Case::kPowBroadcastable, 2, 2, 1, 1},   {Case::kGreaterThan, 1, 2, 1, 1},
    {Case::kGreaterEqual, 1, 2, 1, 1},       {Case::kLessThan, 1, 2, 1, 1},
    {Case::kLessEqual, 1, 2, 1, 1},          {Case::kEqual, 1, 2, 1, 1},
    {Case::kNotEqual, 1, 2, 1, 1},           {Case::kLogicalAnd, 2, 2, 1, 1},
    {Case::kLogicalOr, 2, 2, 1, 1},          {Case::kLogicalXor, 2, 2, 1, 1},
    {Case::kLogicalNot, 1, 1, 1, 1},         {Case::kLoop, 0, 1, 0, 0},
    {Case::kLoopBreak, 0, 0, 0, 0},          {Case::kLoopContinue, 0, 0, 0, 0},
    {Case::kErf, 1, 1, 1, 1},                {Case::kGelu, 1, 1, 1, 1},
    {Case::kClampedReLU, 1, 1, 1, 1},        {Case::kRankPreservingReshape, 1, 1, 1, 1},
    {Case::kExpandDims, 1, 1, 1, 1},         {Case::kFlattenTo2D, 1, 1, 1, 1},
    {Case::kReshapeLike, 2, 2, 1, 1},        {Case::kReshapeStatic, 1, 1, 1, 1},
    {Case::kReshapeDynamic, 2, 2, 1, 1},     {Case::kSqueeze, 1, 1, 1, 1},
    {Case::kBroadcastToLike, 2, 2, 1, 1},    {Case::kBroadcastToStatic, 1, 1, 1, 1},
    {Case::kBroadcastToDynamic, 2, 2, 1, 1}, {Case::kAddBroadcastable, 2, 2, 1, 1},
    {Case::kSubtractBroadcastable, 2, 2, 1, 1}, {Case::kMultiplyBroadcastable, 2, 2, 1, 1},
    {Case::kDivideBroadcastable, 2, 2, 1, 1},   {Case::kMaxBroadcastable, 2, 2, 1, 1},
    {Case::kMinBroadcastable, 2, 2, 1, 1},      {Case::kFloorDivBroadcastable, 2, 2, 1, 1},
    {Case::kModBroadcastable, 2, 2, 1, 1},   {Case::kGather, 2, 2, 1, 1},
    {Case::kScatter, 3, 3, 1, 1},            {Case::kGatherND, 2, 2, 1, 1},
    {Case::kScatterND, 3, 3, 1, 1},          {Case::kGatherAlongAxis, 2, 2, 1, 1},
    {Case::kScatterAlongAxis, 3, 3, 1, 1},   {Case::kWhereNonZero, 1, 1, 1, 1},
    {Case::kStack, 2, many, 1, 1},           {Case::kSplitND, 1, 1, 2, many},
    {Case::kCeil, 1, 1, 1, 1},               {Case::kFloor, 1, 1, 1, 1},
    {Case::kRound, 1, 1, 1, 1},              {Case::kSign, 1, 1, 1, 1},
    {Case::kClip, 1, 1, 1, 1},               {Case::kSliceStatic, 1, 1, 1, 1},
    {Case::kSliceDynamic, 2, 7, 1, 1},       {Case::kGetShape, 1, 1, 1, 1},
    {Case::kTile, 1, 2, 1, 1},               {Case::kRangeStatic, 0, 0, 1, 1},
    {Case::kRangeDynamic, 0, 3, 1, 1},       {Case::kLoadConstantND, 0, 0, 1, 1},
    {Case::kEmbeddingND, 1, 1, 1, 1},        {Case::kSlidingWindows, 1, 1, 1, 1},
    {Case::kRandomNormalLike, 1, 1, 1, 1},   {Case::kRandomNormalStatic, 0, 0, 1, 1},
    {Case::kRandomNormalDynamic, 1, 1, 1, 1}, {Case::kRandomUniformLike, 1, 1, 1, 1},
    {Case::kRandomUniformStatic, 0, 0, 1, 1}, {Case::kRandomUniformDynamic, 1, 1, 1, 1},
    {Case::kRandomBernoulliLike, 1, 1, 1, 1}, {Case::kRandomBernoulliStatic, 0, 0, 1, 1},
    {Case::kRandomBernoulliDynamic, 1, 1, 1, 1}, {Case::kTopK, 1, 2, 2, 2},
    {Case::kArgMax, 1, 1, 1, 1},             {Case::kArgMin, 1, 1, 1, 1},
    {Case::kCategoricalDistribution, 1, 1, 1, 1}, {Case::kReduceL1, 1, 1, 1, 1},
    {Case::kReduceL2, 1, 1, 1, 1},           {Case::kReduceMax, 1, 1, 1, 1},
    {Case::kReduceMin, 1, 1, 1, 1},          {Case::kReduceSum, 1, 1, 1, 1},
    {Case::kReduceProd, 1, 1, 1, 1},         {Case::kReduceMean, 1, 1, 1, 1},
    {Case::kReduceLogSum, 1, 1, 1, 1},       {Case::kReduceSumSquare, 1, 1, 1, 1},
    {Case::kReduceLogSumExp, 1, 1, 1, 1},    {Case::kReverseSeq, 2, 2, 1, 1},
    {Case::kLayerNormalization, 1, 1, 1, 1}, {Case::kConstantPad, 1, 2, 1, 1},
    {Case::kNonMaximumSuppression, 2, 5, 4, 4}, {Case::kOneHot, 1, 2, 1, 1},
    {Case::kCumSum, 1, 2, 1, 1},             {Case::kArgSort, 1, 1, 1, 1},
    {Case::kSliceBySize, 2, 2, 1, 1},
};

const Arity* arity_of(Case layer_case) {
  const auto* it = std::find_if(std::begin(arities), std::end(arities),
                                [&](const Arity& a) { return a.layer == layer_case; });
  return it == std::end(arities) ? nullptr : it;
}

// "1 input", "1 to 3 inputs", "at least 2 inputs", "no inputs".
std::string count_rule(int min, int max, const std::string& noun) {
  const auto n = [&](int v) { return std::to_string(v) + " " + noun + (v == 1 ? "" : "s"); };
  if (max == 0) return "no " + noun + "s";
  if (max == many) return "at least " + n(min);
  if (min == max) return n(min);
  return std::to_string(min) + " to " + n(max);
}

void for_each_network_layer(const ModelScope& scope, const LayerVisitor& visit) {
  if (const auto network = network_of(scope.model)) for_each_layer(network->layers, visit);
}

void check_count(const std::string& where, const cml::NeuralNetworkLayer& layer, int actual, int min, int max,
                 const std::string& noun, Reporter& reporter) {
  if (actual >= min && (max == many || actual <= max)) return;
  const std::string type(layer_type_name(layer));
  reporter.report_layer(where, layer,
                        "layer type " + type + " takes " + count_rule(min, max, noun) + "; this layer has " +
                            std::to_string(actual),
                        "give the layer " + count_rule(min, max, noun) + ", or use a layer type that takes " +
                            std::to_string(actual));
}

void check_input_count(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (const Arity* a = arity_of(layer.layer_case())) {
      check_count(where, layer, layer.input_size(), a->min_inputs, a->max_inputs, "input", reporter);
    }
  });
}

void check_output_count(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (const Arity* a = arity_of(layer.layer_case())) {
      check_count(where, layer, layer.output_size(), a->min_outputs, a->max_outputs, "output", reporter);
    }
  });
}

// A [height, width] pair of a window parameter: empty (the default applies) or two values >= 1.
void check_pair(const std::string& where, const cml::NeuralNetworkLayer& layer,
                const google::protobuf::RepeatedField<std::uint64_t>& values, const std::string& field,
                Reporter& reporter) {
  if (values.empty()) return;
  const bool positive = std::all_of(values.begin(), values.end(), [](std::uint64_t v) { return v >= 1; });
  if (values.size() == 2 && positive) return;
  std::string listed;
  for (const auto v : values) listed += (listed.empty() ? "" : ", ") + std::to_string(v);
  reporter.report_layer(where, layer,
                        field + " is [" + listed + "]; it must be empty (the default) or two values [height, width], "
                        "each at least 1",
                        "set " + field + " to two positive values, e.g. [3, 3]");
}

void check_windows(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (layer.has_convolution()) {
      check_pair(where, layer, layer.convolution().kernelsize(), "kernelSize", reporter);
      check_pair(where, layer, layer.convolution().stride(), "stride", reporter);
      check_pair(where, layer, layer.convolution().dilationfactor(), "dilationFactor", reporter);
    } else if (layer.has_pooling() && !layer.pooling().globalpooling()) {
      check_pair(where, layer, layer.pooling().kernelsize(), "kernelSize", reporter);
      check_pair(where, layer, layer.pooling().stride(), "stride", reporter);
    }
  });
}

void check_groups(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (!layer.has_convolution()) return;
    const cml::ConvolutionLayerParams& conv = layer.convolution();
    const std::uint64_t groups = std::max<std::uint64_t>(conv.ngroups(), 1);
    if (conv.outputchannels() >= 1 && conv.kernelchannels() >= 1 && conv.outputchannels() % groups == 0) return;
    if (conv.outputchannels() == 0 || conv.kernelchannels() == 0) {
      reporter.report_layer(where, layer,
                            "outputChannels is " + std::to_string(conv.outputchannels()) + " and kernelChannels " +
                                std::to_string(conv.kernelchannels()) + "; both must be at least 1",
                            "set outputChannels to the number of filters and kernelChannels to the input channels "
                            "each filter sees");
      return;
    }
    reporter.report_layer(where, layer,
                          "nGroups " + std::to_string(groups) + " does not divide outputChannels " +
                              std::to_string(conv.outputchannels()) + "; every group needs the same number of filters",
                          "set nGroups to a divisor of outputChannels (and of the input channels)");
  });
}

void check_padding_kind(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    std::string missing;
    if (layer.has_convolution() && layer.convolution().ConvolutionPaddingType_case() ==
                                       cml::ConvolutionLayerParams::CONVOLUTIONPADDINGTYPE_NOT_SET) {
      missing = "valid or same";
    } else if (layer.has_pooling() &&
               layer.pooling().PoolingPaddingType_case() == cml::PoolingLayerParams::POOLINGPADDINGTYPE_NOT_SET) {
      missing = "valid, same or includeLastPixel";
    } else if (layer.has_padding() &&
               layer.padding().PaddingType_case() == cml::PaddingLayerParams::PADDINGTYPE_NOT_SET) {
      missing = "constant, reflection or replication";
    }
    if (missing.empty()) return;
    reporter.report_layer(where, layer, "the layer does not say how to pad: none of " + missing + " is set",
                          "set one of " + missing + " (valid means no padding)");
  });
}

void check_permutation(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (!layer.has_permute() || layer.permute().axis().empty()) return;
    const auto& axis = layer.permute().axis();
    std::string listed;
    for (const auto v : axis) listed += (listed.empty() ? "" : ", ") + std::to_string(v);
    std::vector<std::uint64_t> sorted(axis.begin(), axis.end());
    std::sort(sorted.begin(), sorted.end());
    if (sorted == std::vector<std::uint64_t>{0, 1, 2, 3}) return;
    reporter.report_layer(where, layer,
                          "axis is [" + listed + "]; a permute layer's axis must be a permutation of [0, 1, 2, 3] "
                          "(sequence, channel, height, width)",
                          "list each of 0, 1, 2 and 3 once, e.g. [0, 2, 3, 1] for channels-last");
  });
}

// Classic layers that take a rank-5 shape parameter: how many entries it may have.
void check_shape_parameters(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    const auto report = [&](const std::string& field, int size, const std::string& allowed) {
      reporter.report_layer(where, layer,
                            field + " has " + std::to_string(size) + " entries; it must have " + allowed,
                            "give " + field + " as " + allowed + " ([C, H, W] in rank-5 terms)");
    };
    if (layer.has_reshape()) {
      const int n = layer.reshape().targetshape_size();
      if (n != 3 && n != 4) report("targetShape", n, "3 ([C, H, W]) or 4 ([S, C, H, W])");
    } else if (layer.has_loadconstant()) {
      const int n = layer.loadconstant().shape_size();
      if (n != 3) report("shape", n, "3 ([C, H, W])");
    } else if (layer.has_scale()) {
      const int n = layer.scale().shapescale_size();
      if (n != 1 && n != 3) report("shapeScale", n, "1 ([C] or [1]) or 3 ([C, H, W])");
      const int b = layer.scale().shapebias_size();
      if (layer.scale().hasbias() && b != 1 && b != 3) report("shapeBias", b, "1 ([C] or [1]) or 3 ([C, H, W])");
    } else if (layer.has_bias()) {
      const int n = layer.bias().shape_size();
      if (n != 1 && n != 3) report("shape", n, "1 ([C] or [1]) or 3 ([C, H, W])");
    }
  });
}

void check_steps(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (layer.has_slice() && layer.slice().stride() < 1) {
      reporter.report_layer(where, layer, "stride is 0; a slice takes every stride-th element, so stride must be at least 1",
                            "set stride to 1 to take every element");
    } else if (layer.has_reorganizedata() && layer.reorganizedata().blocksize() < 2) {
      reporter.report_layer(where, layer,
                            "blockSize is " + std::to_string(layer.reorganizedata().blocksize()) +
                                "; space/depth reorganization needs a block of at least 2",
                            "set blockSize to the block edge, e.g. 2");
    }
  });
}

}  // namespace

void register_layer_param_checks(CheckList& list) {
  list.add({"E060", Severity::error, "a layer has as many inputs as its type takes", check_input_count});
  list.add({"E061", Severity::error, "a layer has as many outputs as its type takes", check_output_count});
  list.add({"E062", Severity::error, "convolution and pooling kernelSize, stride and dilationFactor are empty or two "
            "values >= 1", check_windows});
  list.add({"E063", Severity::error, "a convolution has outputChannels and kernelChannels >= 1, and nGroups divides "
            "outputChannels", check_groups});
  list.add({"E064", Severity::error, "convolution, pooling and padding layers set their padding kind", check_padding_kind});
  list.add({"E065", Severity::error, "a permute layer's axis is a permutation of [0, 1, 2, 3]", check_permutation});
  list.add({"E066", Severity::error, "rank-5 shape parameters have the number of entries the layer takes (reshape "
            "targetShape 3 or 4, loadConstant shape 3, scale and bias shapes 1 or 3)", check_shape_parameters});
  list.add({"E067", Severity::error, "a slice's stride is >= 1 and a reorganizeData blockSize is >= 2", check_steps});
}

}  // namespace mlconv::spec::validation
