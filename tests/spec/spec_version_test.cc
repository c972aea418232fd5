#include "spec/spec_version.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
using mlconv::spec::minimum_spec_version;
using mlconv::spec::version_requirements;
using mlconv::spec::VersionRequirement;
using Layer = cml::NeuralNetworkLayer;

std::string listing(const std::vector<VersionRequirement>& requirements) {
  std::ostringstream out;
  for (const auto& r : requirements) out << "\n  " << r.version << " | " << r.where << " | " << r.feature;
  return out.str();
}

bool has(const std::vector<VersionRequirement>& requirements, int version, const std::string& where,
         const std::string& feature) {
  return std::ranges::any_of(requirements, [&](const VersionRequirement& r) {
    return r.version == version && r.where == where && r.feature == feature;
  });
}

// Checks the minimum and that `where`/`feature` is among the reasons, printing all reasons on failure.
void check_needs(const cml::Model& model, int version, const std::string& where, const std::string& feature) {
  const auto requirements = version_requirements(model);
  INFO("requirements:" << listing(requirements));
  CHECK(minimum_spec_version(model) == version);
  CHECK(has(requirements, version, where, feature));
}

void set_array(cml::FeatureDescription* feature, const std::string& name,
               cml::ArrayFeatureType::ArrayDataType type = cml::ArrayFeatureType::FLOAT32) {
  feature->set_name(name);
  feature->mutable_type()->mutable_multiarraytype()->add_shape(3);
  feature->mutable_type()->mutable_multiarraytype()->set_datatype(type);
}

// One FLOAT32 input and output: an interface every Core ML release reads.
void give_plain_interface(cml::Model& model) {
  set_array(model.mutable_description()->add_input(), "data");
  set_array(model.mutable_description()->add_output(), "out");
}

cml::Model network_model() {
  cml::Model model;
  model.set_specificationversion(1);
  give_plain_interface(model);
  model.mutable_neuralnetwork();
  return model;
}

Layer* add_layer(pb::RepeatedPtrField<Layer>* layers, const std::string& name) {
  Layer* layer = layers->Add();
  layer->set_name(name);
  layer->add_input("data");
  layer->add_output(name + "_out");
  return layer;
}

Layer* add_layer(cml::Model& model, const std::string& name) {
  return add_layer(model.mutable_neuralnetwork()->mutable_layers(), name);
}

void add_float_weights(cml::WeightParams* weights, int count) {
  for (int i = 0; i < count; ++i) weights->add_floatvalue(0.5f);
}

cml::Model classic_conv_net() {
  cml::Model model = network_model();
  auto* conv = add_layer(model, "conv1")->mutable_convolution();
  conv->set_outputchannels(2);
  conv->set_kernelchannels(3);
  add_float_weights(conv->mutable_weights(), 2 * 3 * 3 * 3);
  add_layer(model, "relu1")->mutable_activation()->mutable_relu();
  add_layer(model, "pool1")->mutable_pooling()->set_type(cml::PoolingLayerParams::MAX);
  auto* dense = add_layer(model, "fc1")->mutable_innerproduct();
  add_float_weights(dense->mutable_weights(), 6);
  add_layer(model, "prob")->mutable_softmax();
  return model;
}

}  // namespace

TEST_CASE("spec version: OS names for every known version and a clear answer for others") {
  using mlconv::spec::long_os_for_spec_version;
  using mlconv::spec::os_for_spec_version;
  const std::vector<std::string> short_names = {"iOS 11", "iOS 11.2", "iOS 12", "iOS 13", "iOS 14",
                                                "iOS 15", "iOS 16",   "iOS 17", "iOS 18", "iOS 26"};
  for (int version = 1; version <= mlconv::spec::newest_known_spec_version; ++version) {
    INFO("version " << version);
    CHECK(os_for_spec_version(version) == short_names[static_cast<std::size_t>(version - 1)]);
    CHECK(long_os_for_spec_version(version).starts_with(short_names[static_cast<std::size_t>(version - 1)] +
                                                        ", macOS "));
  }
  CHECK(long_os_for_spec_version(1) == "iOS 11, macOS 10.13, tvOS 11, watchOS 4");
  CHECK(long_os_for_spec_version(2) == "iOS 11.2, macOS 10.13.2, tvOS 11.2, watchOS 4.2");
  CHECK(long_os_for_spec_version(5) == "iOS 14, macOS 11, tvOS 14, watchOS 7");
  CHECK(long_os_for_spec_version(9) == "iOS 18, macOS 15, tvOS 18, watchOS 11");
  CHECK(long_os_for_spec_version(10) == "iOS 26, macOS 26, tvOS 26, watchOS 26, visionOS 26");
  for (int unknown : {0, -1, 11, 1000}) {
    CHECK(os_for_spec_version(unknown) == "unknown");
    CHECK(long_os_for_spec_version(unknown) == "unknown");
  }
}

TEST_CASE("spec version: a classic float32 conv net needs version 1 and gives no reasons") {
  const cml::Model model = classic_conv_net();
  const auto requirements = version_requirements(model);
  INFO("requirements:" << listing(requirements));
  CHECK(requirements.empty());
  CHECK(minimum_spec_version(model) == 1);
}

TEST_CASE("spec version: iOS 11.2 custom layers and float16 weights") {
  SUBCASE("custom layer") {
    cml::Model model = classic_conv_net();
    add_layer(model, "swish1")->mutable_custom()->set_classname("Swish");
    check_needs(model, 2, "layer 'swish1' (custom)", "custom layers");
    CHECK(version_requirements(model).size() == 1);
  }
  SUBCASE("float16 convolution weights") {
    cml::Model model = classic_conv_net();
    auto* conv = model.mutable_neuralnetwork()->mutable_layers(0)->mutable_convolution();
    conv->mutable_weights()->clear_floatvalue();
    conv->mutable_weights()->set_float16value(std::string(2 * 2 * 3 * 3 * 3, '\0'));
    check_needs(model, 2, "layer 'conv1' (convolution)", "float16 weights");
  }
  SUBCASE("float16 deep inside a layer: the backward LSTM's peephole vector") {
    cml::Model model = network_model();
    auto* lstm = add_layer(model, "bilstm")->mutable_bidirectionallstm();
    add_float_weights(lstm->add_weightparams()->mutable_inputgateweightmatrix(), 4);
    lstm->add_weightparams()->mutable_outputgatepeepholevector()->set_float16value(std::string(8, '\0'));
    check_needs(model, 2, "layer 'bilstm' (biDirectionalLSTM)", "float16 weights");
  }
  SUBCASE("float16 weights handed to a custom layer count once per layer; its opaque bytes are not quantized") {
    cml::Model model = network_model();
    auto* custom = add_layer(model, "c1")->mutable_custom();
    custom->add_weights()->set_float16value(std::string(4, '\0'));
    custom->add_weights()->set_float16value(std::string(4, '\0'));
    custom->add_weights()->set_rawvalue("opaque");
    const auto requirements = version_requirements(model);
    INFO("requirements:" << listing(requirements));
    REQUIRE(requirements.size() == 2);
    CHECK(has(requirements, 2, "layer 'c1' (custom)", "custom layers"));
    CHECK(has(requirements, 2, "layer 'c1' (custom)", "float16 weights"));
  }
}

TEST_CASE("spec version: iOS 12 layers, quantized weights and flexible shapes") {
  SUBCASE("resizeBilinear") {
    cml::Model model = classic_conv_net();
    add_layer(model, "up")->mutable_resizebilinear();
    check_needs(model, 3, "layer 'up' (resizeBilinear)", "the 'resizeBilinear' layer");
  }
  SUBCASE("linearly quantized 8-bit weights") {
    cml::Model model = network_model();
    auto* weights = add_layer(model, "fc")->mutable_innerproduct()->mutable_weights();
    weights->set_rawvalue(std::string(6, '\x7f'));
    weights->mutable_quantization()->set_numberofbits(8);
    weights->mutable_quantization()->mutable_linearquantization()->add_scale(0.1f);
    weights->mutable_quantization()->mutable_linearquantization()->add_bias(0.0f);
    check_needs(model, 3, "layer 'fc' (innerProduct)", "quantized weights");
  }
  SUBCASE("lookup-table quantized weights inside a GRU") {
    cml::Model model = network_model();
    auto* weights = add_layer(model, "gru")->mutable_gru()->mutable_resetgaterecursionmatrix();
    weights->set_rawvalue(std::string(2, '\x0f'));
    weights->mutable_quantization()->set_numberofbits(4);
    auto* table = weights->mutable_quantization()->mutable_lookuptablequantization();
    for (int i = 0; i < 16; ++i) table->add_floatvalue(static_cast<float>(i));
    check_needs(model, 3, "layer 'gru' (gru)", "quantized weights");
  }
  SUBCASE("enumerated array shapes") {
    cml::Model model = classic_conv_net();
    auto* array = model.mutable_description()->mutable_input(0)->mutable_type()->mutable_multiarraytype();
    array->mutable_enumeratedshapes()->add_shapes()->add_shape(3);
    check_needs(model, 3, "input 'data'", "flexible shapes (enumeratedShapes)");
  }
  SUBCASE("image size range") {
    cml::Model model = classic_conv_net();
    auto* image = model.mutable_description()->mutable_input(0)->mutable_type()->mutable_imagetype();
    image->set_colorspace(cml::ImageFeatureType::RGB);
    image->mutable_imagesizerange()->mutable_widthrange()->set_lowerbound(1);
    image->mutable_imagesizerange()->mutable_widthrange()->set_upperbound(-1);
    check_needs(model, 3, "input 'data'", "flexible image sizes (imageSizeRange)");
  }
  SUBCASE("sequence features") {
    cml::Model model = classic_conv_net();
    auto* output = model.mutable_description()->mutable_output(0);
    output->mutable_type()->mutable_sequencetype()->mutable_stringtype();
    check_needs(model, 3, "output 'out'", "sequence features");
  }
}

TEST_CASE("spec version: iOS 13 rank-N layers, shape mappings and layer options") {
  SUBCASE("batchedMatmul") {
    cml::Model model = network_model();
    add_layer(model, "mm")->mutable_batchedmatmul();
    check_needs(model, 4, "layer 'mm' (batchedMatmul)", "the 'batchedMatmul' layer");
  }
  SUBCASE("exact array mapping on a plain network") {
    cml::Model model = classic_conv_net();
    model.mutable_neuralnetwork()->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
    check_needs(model, 4, "model", "arrayInputShapeMapping EXACT_ARRAY_MAPPING");
  }
  SUBCASE("rank-4 image mapping on a classifier") {
    cml::Model model = network_model();
    auto* classifier = model.mutable_neuralnetworkclassifier();
    classifier->set_imageinputshapemapping(cml::RANK4_IMAGE_MAPPING);
    classifier->mutable_stringclasslabels()->add_vector("cat");
    add_layer(classifier->mutable_layers(), "prob")->mutable_softmax();
    check_needs(model, 4, "model", "imageInputShapeMapping RANK4_IMAGE_MAPPING");
  }
  SUBCASE("rank-N layer in a regressor") {
    cml::Model model = network_model();
    add_layer(model.mutable_neuralnetworkregressor()->mutable_layers(), "sq")->mutable_squeeze();
    check_needs(model, 4, "layer 'sq' (squeeze)", "the 'squeeze' layer");
  }
  SUBCASE("convolution whose weights arrive as a second input") {
    cml::Model model = network_model();
    Layer* conv = add_layer(model, "dynconv");
    conv->add_input("kernel");
    conv->mutable_convolution();
    check_needs(model, 4, "layer 'dynconv' (convolution)", "convolution weights given as a second input");
  }
}

TEST_CASE("spec version: an ND layer in a loop body inside a pipeline is found and located") {
  cml::Model pipeline_model;
  pipeline_model.set_specificationversion(4);
  give_plain_interface(pipeline_model);
  cml::Pipeline* pipeline = pipeline_model.mutable_pipeline();
  *pipeline->add_models() = classic_conv_net();
  cml::Model* stage = pipeline->add_models();
  *stage = network_model();
  auto* loop = add_layer(*stage, "loop1")->mutable_loop();
  loop->set_maxloopiterations(3);
  add_layer(loop->mutable_bodynetwork()->mutable_layers(), "mm")->mutable_batchedmatmul();
  pipeline->add_names("features");
  pipeline->add_names("net");

  const auto requirements = version_requirements(pipeline_model);
  INFO("requirements:" << listing(requirements));
  CHECK(minimum_spec_version(pipeline_model) == 4);
  CHECK(has(requirements, 4, "pipeline model 1 'net': layer 'loop1' (loop)", "the 'loop' layer"));
  CHECK(has(requirements, 4, "pipeline model 1 'net': layer 'loop1' (loop), bodyNetwork: layer 'mm' (batchedMatmul)",
            "the 'batchedMatmul' layer"));
  CHECK(requirements.size() == 2);
}

TEST_CASE("spec version: sub-networks are walked in every pipeline kind, with or without stage names") {
  SUBCASE("iOS 14 layer in a branch's else network of a pipeline classifier without names") {
    cml::Model model;
    give_plain_interface(model);
    cml::Model* stage = model.mutable_pipelineclassifier()->mutable_pipeline()->add_models();
    *stage = network_model();
    auto* branch = add_layer(*stage, "br")->mutable_branch();
    add_layer(branch->mutable_ifbranch()->mutable_layers(), "copy")->mutable_copy();
    add_layer(branch->mutable_elsebranch()->mutable_layers(), "oh")->mutable_onehot();
    check_needs(model, 5, "pipeline model 0: layer 'br' (branch), elseBranch: layer 'oh' (oneHot)",
                "the 'oneHot' layer");
    CHECK(has(version_requirements(model), 4, "pipeline model 0: layer 'br' (branch), ifBranch: layer 'copy' (copy)",
              "the 'copy' layer"));
  }
  SUBCASE("float16 weights in a loop's condition network of a nested pipeline regressor") {
    cml::Model model;
    give_plain_interface(model);
    cml::Pipeline* outer = model.mutable_pipelineregressor()->mutable_pipeline();
    outer->add_names("outer");
    cml::Model* inner_model = outer->add_models();
    give_plain_interface(*inner_model);
    cml::Pipeline* inner = inner_model->mutable_pipeline();
    cml::Model* stage = inner->add_models();
    *stage = network_model();
    auto* loop = add_layer(*stage, "loop")->mutable_loop();
    auto* scale = add_layer(loop->mutable_conditionnetwork()->mutable_layers(), "s")->mutable_scale();
    scale->mutable_scale()->set_float16value(std::string(2, '\0'));
    const std::string where =
        "pipeline model 0 'outer': pipeline model 0: layer 'loop' (loop), conditionNetwork: layer 's' (scale)";
    CHECK(has(version_requirements(model), 2, where, "float16 weights"));
    CHECK(minimum_spec_version(model) == 4);
  }
}

TEST_CASE("spec version: iOS 14 layers and options") {
  SUBCASE("cumSum") {
    cml::Model model = network_model();
    add_layer(model, "cs")->mutable_cumsum();
    check_needs(model, 5, "layer 'cs' (cumSum)", "the 'cumSum' layer");
  }
  SUBCASE("align-corners upsampling on an iOS 11 layer") {
    cml::Model model = classic_conv_net();
    auto* upsample = add_layer(model, "up")->mutable_upsample();
    upsample->set_mode(cml::UpsampleLayerParams::BILINEAR);
    upsample->set_linearupsamplemode(cml::UpsampleLayerParams::ALIGN_CORNERS_TRUE);
    check_needs(model, 5, "layer 'up' (upsample)", "linearUpsampleMode ALIGN_CORNERS_TRUE");
  }
  SUBCASE("int8 dynamically quantized inner product") {
    cml::Model model = network_model();
    auto* dense = add_layer(model, "fc")->mutable_innerproduct();
    dense->set_int8dynamicquantize(true);
    dense->mutable_weights()->set_int8rawvalue(std::string(6, '\x01'));
    dense->mutable_weights()->mutable_quantization()->mutable_linearquantization()->add_scale(0.5f);
    const auto requirements = version_requirements(model);
    INFO("requirements:" << listing(requirements));
    CHECK(minimum_spec_version(model) == 5);
    CHECK(has(requirements, 5, "layer 'fc' (innerProduct)", "int8 dynamic quantization"));
    CHECK(has(requirements, 5, "layer 'fc' (innerProduct)", "int8 weights (int8RawValue)"));
    CHECK_FALSE(has(requirements, 3, "layer 'fc' (innerProduct)", "quantized weights"));
  }
  SUBCASE("default value for an optional input, but only when it is optional") {
    cml::Model model = classic_conv_net();
    auto* type = model.mutable_description()->mutable_input(0)->mutable_type();
    type->mutable_multiarraytype()->set_floatdefaultvalue(1.0f);
    CHECK(minimum_spec_version(model) == 1);
    type->set_isoptional(true);
    check_needs(model, 5, "input 'data'", "a default value for an optional input (floatDefaultValue)");
  }
}

TEST_CASE("spec version: updatable models need iOS 13, with each part named") {
  cml::Model model = classic_conv_net();
  model.set_isupdatable(true);
  Layer* dense = model.mutable_neuralnetwork()->mutable_layers(3);
  dense->set_isupdatable(true);
  dense->mutable_innerproduct()->mutable_weights()->set_isupdatable(true);
  auto* loss = model.mutable_neuralnetwork()->mutable_updateparams()->add_losslayers();
  loss->set_name("loss");
  loss->mutable_categoricalcrossentropylosslayer()->set_input("prob_out");
  auto* target = model.mutable_description()->add_traininginput();
  target->set_name("label");
  target->mutable_type()->mutable_int64type();

  const auto requirements = version_requirements(model);
  INFO("requirements:" << listing(requirements));
  CHECK(minimum_spec_version(model) == 4);
  CHECK(has(requirements, 4, "model", "updatable models (isUpdatable)"));
  CHECK(has(requirements, 4, "model", "training parameters (updateParams)"));
  CHECK(has(requirements, 4, "training input 'label'", "training inputs"));
  CHECK(has(requirements, 4, "layer 'fc1' (innerProduct)", "updatable layers"));
  CHECK(has(requirements, 4, "layer 'fc1' (innerProduct)", "updatable weights"));
  CHECK(requirements.size() == 5);
}

TEST_CASE("spec version: model types by release") {
  struct Case {
    const char* label;
    void (*build)(cml::Model&);
    int version;
    std::string feature;
  };
  const Case cases[] = {
      {"customModel", [](cml::Model& m) { m.mutable_custommodel()->set_classname("Mine"); }, 3,
       "the 'customModel' model type"},
      {"scene print", [](cml::Model& m) { m.mutable_visionfeatureprint()->mutable_scene()->set_version(
                                              cml::CoreMLModels::VisionFeaturePrint::Scene::SCENE_VERSION_1); },
       3, "the 'visionFeaturePrint' model type"},
      {"object print", [](cml::Model& m) { m.mutable_visionfeatureprint()->mutable_objects(); }, 5,
       "the object feature print (objects)"},
      {"scene print 2", [](cml::Model& m) { m.mutable_visionfeatureprint()->mutable_scene()->set_version(
                                                cml::CoreMLModels::VisionFeaturePrint::Scene::SCENE_VERSION_2); },
       8, "scene feature print version 2"},
      {"kNN", [](cml::Model& m) { m.mutable_knearestneighborsclassifier(); }, 4,
       "the 'kNearestNeighborsClassifier' model type"},
      {"gazetteer", [](cml::Model& m) { m.mutable_gazetteer()->set_revision(2); }, 4, "the 'gazetteer' model type"},
      {"recommender", [](cml::Model& m) { m.mutable_itemsimilarityrecommender(); }, 4,
       "the 'itemSimilarityRecommender' model type"},
      {"text classifier rev 1", [](cml::Model& m) { m.mutable_textclassifier()->set_revision(1); }, 3,
       "the 'textClassifier' model type"},
      {"text classifier rev 2", [](cml::Model& m) { m.mutable_textclassifier()->set_revision(2); }, 4,
       "textClassifier revision 2"},
      {"word tagger rev 3", [](cml::Model& m) { m.mutable_wordtagger()->set_revision(3); }, 5,
       "wordTagger revision 3"},
      {"word tagger rev 5", [](cml::Model& m) { m.mutable_wordtagger()->set_revision(5); }, 9,
       "wordTagger revision 5"},
      {"serialized", [](cml::Model& m) { m.mutable_serializedmodel()->set_identifier("x"); }, 5,
       "the 'serializedModel' model type"},
      {"audio print", [](cml::Model& m) { m.mutable_audiofeatureprint()->mutable_sound(); }, 6,
       "the 'audioFeaturePrint' model type"},
      {"thresholding", [](cml::Model& m) { m.mutable_classconfidencethresholding(); }, 8,
       "the 'classConfidenceThresholding' model type"},
      {"glm", [](cml::Model& m) { m.mutable_glmregressor(); }, 1, ""},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    cml::Model model;
    give_plain_interface(model);
    c.build(model);
    if (c.version == 1) {
      CHECK(version_requirements(model).empty());
      CHECK(minimum_spec_version(model) == 1);
    } else {
      check_needs(model, c.version, "model", c.feature);
    }
  }
}

TEST_CASE("spec version: non-maximum suppression with FLOAT32 arrays needs iOS 14, with DOUBLE iOS 12") {
  cml::Model model;
  set_array(model.mutable_description()->add_input(), "boxes", cml::ArrayFeatureType::DOUBLE);
  set_array(model.mutable_description()->add_output(), "kept", cml::ArrayFeatureType::DOUBLE);
  model.mutable_nonmaximumsuppression();
  check_needs(model, 3, "model", "the 'nonMaximumSuppression' model type");
  model.mutable_description()->mutable_output(0)->mutable_type()->mutable_multiarraytype()->set_datatype(
      cml::ArrayFeatureType::FLOAT32);
  check_needs(model, 5, "output 'kept'", "FLOAT32 multi-arrays in nonMaximumSuppression");
}

TEST_CASE("spec version: ML programs, opsets, functions, states and newer array types") {
  SUBCASE("an ML program needs iOS 15; its opset can raise that") {
    cml::Model model;
    give_plain_interface(model);
    auto& functions = *model.mutable_mlprogram()->mutable_functions();
    functions["main"].set_opset("CoreML5");
    check_needs(model, 6, "model", "the 'mlProgram' model type");
    functions["main"].set_opset("CoreML7");
    check_needs(model, 8, "function 'main'", "the CoreML7 opset");
    functions["main"].set_opset("CoreML9");
    check_needs(model, 10, "function 'main'", "the CoreML9 opset");
  }
  SUBCASE("multi-function description") {
    cml::Model model;
    auto* function = model.mutable_description()->add_functions();
    function->set_name("encode");
    set_array(function->add_input(), "x", cml::ArrayFeatureType::FLOAT16);
    set_array(function->add_output(), "y");
    model.mutable_description()->set_defaultfunctionname("encode");
    model.mutable_mlprogram();
    check_needs(model, 9, "model", "multiple functions");
    CHECK(has(version_requirements(model), 7, "function 'encode': input 'x'", "FLOAT16 multi-arrays"));
    CHECK_FALSE(has(version_requirements(model), 9, "model", "a model without inputs"));
  }
  SUBCASE("a model without inputs") {
    cml::Model model = network_model();
    model.mutable_description()->clear_input();
    check_needs(model, 9, "model", "a model without inputs");
  }
  SUBCASE("state") {
    cml::Model model;
    give_plain_interface(model);
    auto* state = model.mutable_description()->add_state();
    state->set_name("cache");
    state->mutable_type()->mutable_statetype()->mutable_arraytype()->set_datatype(cml::ArrayFeatureType::FLOAT16);
    model.mutable_mlprogram();
    check_needs(model, 9, "state 'cache'", "state features");
    CHECK(has(version_requirements(model), 7, "state 'cache'", "FLOAT16 multi-arrays"));
  }
  SUBCASE("FLOAT16 and INT8 arrays, GRAYSCALE_FLOAT16 images") {
    cml::Model model = classic_conv_net();
    model.mutable_description()->mutable_output(0)->mutable_type()->mutable_multiarraytype()->set_datatype(
        cml::ArrayFeatureType::FLOAT16);
    check_needs(model, 7, "output 'out'", "FLOAT16 multi-arrays");
    model.mutable_description()->mutable_input(0)->mutable_type()->mutable_imagetype()->set_colorspace(
        cml::ImageFeatureType::GRAYSCALE_FLOAT16);
    CHECK(has(version_requirements(model), 7, "input 'data'", "GRAYSCALE_FLOAT16 images"));
    model.mutable_description()->mutable_output(0)->mutable_type()->mutable_multiarraytype()->set_datatype(
        cml::ArrayFeatureType::INT8);
    check_needs(model, 10, "output 'out'", "INT8 multi-arrays");
  }
}

// Every layer case the schema knows is classified: a case missing from the
// version tables would silently count as iOS 11 and fail here.
TEST_CASE("spec version: every layer case in the schema has the release Apple documents") {
  const std::set<std::string> ios11 = {
      "convolution", "pooling", "activation", "innerProduct", "embedding", "batchnorm", "mvn", "l2normalize",
      "softmax", "lrn", "crop", "padding", "upsample", "unary", "add", "multiply", "average", "scale", "bias",
      "max", "min", "dot", "reduce", "loadConstant", "reshape", "flatten", "permute", "concat", "split",
      "sequenceRepeat", "reorganizeData", "slice", "simpleRecurrent", "gru", "uniDirectionalLSTM",
      "biDirectionalLSTM"};
  const std::set<std::string> ios11_2 = {"custom"};
  const std::set<std::string> ios12 = {"resizeBilinear", "cropResize"};
  const std::set<std::string> ios14 = {"oneHot", "cumSum", "clampedReLU", "argSort", "pooling3d",
                                       "globalPooling3d", "sliceBySize", "convolution3d"};
  const pb::OneofDescriptor* oneof = Layer::descriptor()->FindOneofByName("layer");
  REQUIRE(oneof != nullptr);
  int counted_ios13 = 0;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const pb::FieldDescriptor* field = oneof->field(i);
    const std::string name = field->name();
    cml::Model model = network_model();
    Layer* layer = add_layer(model, "only");
    layer->GetReflection()->MutableMessage(layer, field);
    const int expected = ios11.contains(name) ? 1 : ios11_2.contains(name) ? 2 : ios12.contains(name) ? 3
                         : ios14.contains(name) ? 5 : 4;
    if (expected == 4) ++counted_ios13;
    INFO("layer case " << name << "; requirements:" << listing(version_requirements(model)));
    CHECK(minimum_spec_version(model) == expected);
    if (expected > 2) {
      CHECK(has(version_requirements(model), expected, "layer 'only' (" + name + ")", "the '" + name + "' layer"));
    }
  }
  // Core ML 3's NeuralNetwork.proto added 111 layer cases (copy ... NonMaximumSuppression).
  CHECK(counted_ios13 == 111);
  CHECK(oneof->field_count() == 36 + 1 + 2 + 111 + 8);
}

TEST_CASE("spec version: real models declare at least what their content needs") {
  // Computed from what each file holds (protoc --decode) and Apple's release notes:
  // custom layers and float16 weights are iOS 11.2; resizeBilinear, image size
  // ranges and scene prints iOS 12; rank-N layers, EXACT/RANK4 mappings and
  // updatable networks iOS 13.
  const std::map<std::string, int> expected = {
      {"JacopoMangiavacchi_CoreML-TransferLearning-Demo__s4tf_house_trainable_updatable.mlmodel", 4},
      {"Kautenja_ios-semantic-segmentation__Tiramisu45.mlmodel", 1},
      {"PacktPublishing_ML-with-CoreML__FastStyleTransferVanGoghStarryNight.mlmodel", 2},
      {"Vadbeg_colorization-coreml__colorizer_tail.mlmodel", 4},
      {"afsaredrisy_ios-semantic-segmentation-coreml__deeplab_dm05_float32_fp16.mlmodel", 3},
      {"apple_coremltools__TinyDrawingEmbedding.mlmodel", 1},
      {"hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel", 2},
      {"kodeco_mlt-materials__Es2EnBidirGruCharEncoder16Bit.mlmodel", 2},
      {"kodeco_mlt-materials__Es2EnCharDecoder16Bit.mlmodel", 2},
      {"kodeco_mlt-materials__GestureClassifier.mlmodel", 1},
      {"kodeco_mlt-materials__HealthySnacks_pipeline.mlmodel", 3},
      {"lauriebyrum_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish_then_reshape.mlmodel", 2},
      {"mariozusag_activity-prediction-app__live_coreml_model_BiLSTM.mlmodel", 1},
      {"vincentfpgarcia_from-pytorch-to-coreml__my_network.mlmodel", 1},
  };
  std::set<std::string> seen;
  for (const std::filesystem::path& path : mlconv::test::real_models()) {
    const auto loaded = mlconv::spec::load_model(path);
    const auto requirements = version_requirements(loaded.model);
    const int computed = minimum_spec_version(loaded.model);
    INFO(path.filename().string() << " declares " << loaded.model.specificationversion() << ", computed " << computed
                                  << listing(requirements));
    CHECK(computed <= loaded.model.specificationversion());
    if (const auto found = expected.find(path.filename().string()); found != expected.end()) {
      CHECK(computed == found->second);
      seen.insert(found->first);
    }
  }
  CHECK(seen.size() == expected.size());
}

TEST_CASE("spec version: reasons given for real models name the layer, input or stage") {
  const auto load = [](const std::string& name) {
    return mlconv::spec::load_model(mlconv::test::realmodels_dir() / name).model;
  };
  {
    const auto model = load("hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel");
    const auto requirements = version_requirements(model);
    INFO(listing(requirements));
    REQUIRE(requirements.size() == 1);
    CHECK(has(requirements, 2, "layer 'swish_1' (custom)", "custom layers"));
  }
  {
    // coremltools 6.2 wrote 5, but nothing in this graph is newer than iOS 13.
    const auto model = load("Vadbeg_colorization-coreml__colorizer_tail.mlmodel");
    const auto requirements = version_requirements(model);
    INFO(listing(requirements));
    CHECK(has(requirements, 3, "input 'image'", "flexible image sizes (imageSizeRange)"));
    CHECK(has(requirements, 3, "input 'ab'", "flexible image sizes (imageSizeRange)"));
    CHECK(has(requirements, 4, "model", "arrayInputShapeMapping EXACT_ARRAY_MAPPING"));
    CHECK(has(requirements, 4, "model", "imageInputShapeMapping RANK4_IMAGE_MAPPING"));
    CHECK(std::ranges::none_of(requirements, [](const VersionRequirement& r) { return r.version > 4; }));
  }
  {
    const auto model = load("kodeco_mlt-materials__HealthySnacks_pipeline.mlmodel");
    const auto requirements = version_requirements(model);
    INFO(listing(requirements));
    CHECK(has(requirements, 3, "pipeline model 0", "the 'visionFeaturePrint' model type"));
  }
  {
    const auto model = load("afsaredrisy_ios-semantic-segmentation-coreml__deeplab_dm05_float32_fp16.mlmodel");
    const auto requirements = version_requirements(model);
    INFO(listing(requirements));
    CHECK(std::ranges::count_if(requirements, [](const VersionRequirement& r) {
            return r.feature == "the 'resizeBilinear' layer";
          }) == 3);
    CHECK(std::ranges::any_of(requirements, [](const VersionRequirement& r) {
      return r.version == 2 && r.feature == "float16 weights" && r.where.starts_with("layer '");
    }));
  }
}
