// Our NeuralNetworkLayer must number every layer case as Apple's schema does,
// or files would decode as the wrong layer type. The table is the fact list.
#include <doctest/doctest.h>

#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "NeuralNetwork.pb.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;

// The layer cases of NeuralNetworkLayer.layer as Apple's NeuralNetwork.proto
// numbers them (names and numbers only), listed once from the official file.
struct LayerCase {
  std::string_view name;
  int number;
};
constexpr LayerCase apple_layer_cases[] = {
    {"convolution", 100}, {"pooling", 120}, {"activation", 130}, {"innerProduct", 140}, {"embedding", 150},
    {"batchnorm", 160}, {"mvn", 165}, {"l2normalize", 170}, {"softmax", 175}, {"lrn", 180}, {"crop", 190},
    {"padding", 200}, {"upsample", 210}, {"resizeBilinear", 211}, {"cropResize", 212}, {"unary", 220}, {"add", 230},
    {"multiply", 231}, {"average", 240}, {"scale", 245}, {"bias", 250}, {"max", 260}, {"min", 261}, {"dot", 270},
    {"reduce", 280}, {"loadConstant", 290}, {"reshape", 300}, {"flatten", 301}, {"permute", 310}, {"concat", 320},
    {"split", 330}, {"sequenceRepeat", 340}, {"reorganizeData", 345}, {"slice", 350}, {"simpleRecurrent", 400},
    {"gru", 410}, {"uniDirectionalLSTM", 420}, {"biDirectionalLSTM", 430}, {"custom", 500}, {"copy", 600},
    {"branch", 605}, {"loop", 615}, {"loopBreak", 620}, {"loopContinue", 625}, {"rangeStatic", 635},
    {"rangeDynamic", 640}, {"clip", 660}, {"ceil", 665}, {"floor", 670}, {"sign", 680}, {"round", 685}, {"exp2", 700},
    {"sin", 710}, {"cos", 715}, {"tan", 720}, {"asin", 730}, {"acos", 735}, {"atan", 740}, {"sinh", 750},
    {"cosh", 755}, {"tanh", 760}, {"asinh", 770}, {"acosh", 775}, {"atanh", 780}, {"erf", 790}, {"gelu", 795},
    {"equal", 815}, {"notEqual", 820}, {"lessThan", 825}, {"lessEqual", 827}, {"greaterThan", 830},
    {"greaterEqual", 832}, {"logicalOr", 840}, {"logicalXor", 845}, {"logicalNot", 850}, {"logicalAnd", 855},
    {"modBroadcastable", 865}, {"minBroadcastable", 870}, {"maxBroadcastable", 875}, {"addBroadcastable", 880},
    {"powBroadcastable", 885}, {"divideBroadcastable", 890}, {"floorDivBroadcastable", 895},
    {"multiplyBroadcastable", 900}, {"subtractBroadcastable", 905}, {"tile", 920}, {"stack", 925}, {"gather", 930},
    {"scatter", 935}, {"gatherND", 940}, {"scatterND", 945}, {"softmaxND", 950}, {"gatherAlongAxis", 952},
    {"scatterAlongAxis", 954}, {"reverse", 960}, {"reverseSeq", 965}, {"splitND", 975}, {"concatND", 980},
    {"transpose", 985}, {"sliceStatic", 995}, {"sliceDynamic", 1000}, {"slidingWindows", 1005}, {"topK", 1015},
    {"argMin", 1020}, {"argMax", 1025}, {"embeddingND", 1040}, {"batchedMatmul", 1045}, {"getShape", 1065},
    {"loadConstantND", 1070}, {"fillLike", 1080}, {"fillStatic", 1085}, {"fillDynamic", 1090},
    {"broadcastToLike", 1100}, {"broadcastToStatic", 1105}, {"broadcastToDynamic", 1110}, {"squeeze", 1120},
    {"expandDims", 1125}, {"flattenTo2D", 1130}, {"reshapeLike", 1135}, {"reshapeStatic", 1140},
    {"reshapeDynamic", 1145}, {"rankPreservingReshape", 1150}, {"constantPad", 1155}, {"randomNormalLike", 1170},
    {"randomNormalStatic", 1175}, {"randomNormalDynamic", 1180}, {"randomUniformLike", 1190},
    {"randomUniformStatic", 1195}, {"randomUniformDynamic", 1200}, {"randomBernoulliLike", 1210},
    {"randomBernoulliStatic", 1215}, {"randomBernoulliDynamic", 1220}, {"categoricalDistribution", 1230},
    {"reduceL1", 1250}, {"reduceL2", 1255}, {"reduceMax", 1260}, {"reduceMin", 1265}, {"reduceSum", 1270},
    {"reduceProd", 1275}, {"reduceMean", 1280}, {"reduceLogSum", 1285}, {"reduceSumSquare", 1290},
    {"reduceLogSumExp", 1295}, {"whereNonZero", 1313}, {"matrixBandPart", 1315}, {"lowerTriangular", 1320},
    {"upperTriangular", 1325}, {"whereBroadcastable", 1330}, {"layerNormalization", 1350},
    {"NonMaximumSuppression", 1400}, {"oneHot", 1450}, {"cumSum", 1455}, {"clampedReLU", 1460}, {"argSort", 1461},
    {"pooling3d", 1465}, {"globalPooling3d", 1466}, {"sliceBySize", 1470}, {"convolution3d", 1471},
};

}  // namespace

TEST_CASE("model io: every NeuralNetworkLayer.layer case has Apple's name and field number") {
  const pb::Descriptor* layer = cml::NeuralNetworkLayer::descriptor();
  const pb::OneofDescriptor* oneof = layer->FindOneofByName("layer");
  REQUIRE(oneof != nullptr);
  CHECK(std::size(apple_layer_cases) == 158);
  CHECK(oneof->field_count() == 158);
  std::set<int> numbers;
  for (const LayerCase& apple : apple_layer_cases) {
    CAPTURE(apple.name);
    const pb::FieldDescriptor* field = layer->FindFieldByName(std::string(apple.name));
    REQUIRE_MESSAGE(field != nullptr, "no such field in our NeuralNetworkLayer");
    CHECK(field->number() == apple.number);
    CHECK(field->containing_oneof() == oneof);
    CHECK(field->type() == pb::FieldDescriptor::TYPE_MESSAGE);
    CHECK(numbers.insert(apple.number).second);
  }
  // The layer's plain fields keep Apple's numbers too.
  const std::pair<std::string_view, int> plain[] = {{"name", 1},         {"input", 2},         {"output", 3},
                                                    {"inputTensor", 4}, {"outputTensor", 5}, {"isUpdatable", 10}};
  for (const auto& entry : plain) {
    const auto& name = entry.first;
    const auto& number = entry.second;
    CAPTURE(name);
    const pb::FieldDescriptor* field = layer->FindFieldByName(std::string(name));
    REQUIRE(field != nullptr);
    CHECK(field->number() == number);
    CHECK(field->containing_oneof() == nullptr);
  }
  CHECK(layer->field_count() == 158 + 6);
}
