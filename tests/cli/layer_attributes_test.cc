#include "cli/layer_attributes.h"

#include <doctest/doctest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "spec/model_io.h"
#include "spec/names.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;
using mlconv::cli::format_layer_attributes;
using mlconv::cli::layer_attributes;
using Json = nlohmann::ordered_json;

std::string json_of(const cml::NeuralNetworkLayer& layer) { return layer_attributes(layer).dump(); }
std::string line_of(const cml::NeuralNetworkLayer& layer) { return format_layer_attributes(layer_attributes(layer)); }

// inspect promises numbers, strings, bools and arrays of them: nothing a JSON reader must special-case.
void check_plain_values(const Json& attributes, const std::string& where) {
  INFO(where);
  REQUIRE(attributes.is_object());
  for (const auto& entry : attributes.items()) {
    const auto& key = entry.key();
    const auto& value = entry.value();
    INFO("key " << key);
    CHECK(!key.empty());
    CHECK(!value.is_null());
    CHECK(!value.is_object());
    if (value.is_array()) {
      for (const Json& item : value) CHECK((item.is_number() || item.is_string() || item.is_boolean()));
    }
  }
  CHECK(Json::parse(attributes.dump()) == attributes);
}

cml::NeuralNetworkLayer convolution(std::uint64_t kernel_channels, std::uint64_t output_channels) {
  cml::NeuralNetworkLayer layer;
  auto* conv = layer.mutable_convolution();
  conv->set_kernelchannels(kernel_channels);
  conv->set_outputchannels(output_channels);
  return layer;
}

}  // namespace

TEST_CASE("layer attributes: convolution with every field set") {
  cml::NeuralNetworkLayer layer = convolution(3, 64);
  auto* conv = layer.mutable_convolution();
  conv->add_kernelsize(3);
  conv->add_kernelsize(3);
  conv->add_stride(2);
  conv->add_stride(2);
  conv->add_dilationfactor(1);
  conv->add_dilationfactor(1);
  conv->set_ngroups(1);
  conv->mutable_same();
  conv->set_hasbias(true);
  CHECK(json_of(layer) ==
        R"({"kernel":[3,3],"stride":[2,2],"dilation":[1,1],"groups":1,"inputChannels":3,"outputChannels":64,)"
        R"("padding":"same","hasBias":true})");
  CHECK(line_of(layer) == "kernel=3x3 stride=2x2 dilation=1x1 groups=1 channels=3->64 padding=same bias");
}

TEST_CASE("layer attributes: convolution shows documented defaults and per-group channels as whole input") {
  // Empty kernel/stride/dilation and nGroups 0 mean 3x3, 1x1, 1x1 and 1 in the spec.
  cml::NeuralNetworkLayer plain = convolution(16, 8);
  plain.mutable_convolution()->mutable_valid();
  CHECK(line_of(plain) == "kernel=3x3 stride=1x1 dilation=1x1 groups=1 channels=16->8 padding=valid");

  // Depthwise: kernelChannels is 1 per group, the layer still reads 32 channels.
  cml::NeuralNetworkLayer depthwise = convolution(1, 32);
  auto* conv = depthwise.mutable_convolution();
  conv->set_ngroups(32);
  conv->add_dilationfactor(2);
  conv->add_dilationfactor(2);
  auto* borders = conv->mutable_valid()->mutable_paddingamounts();
  auto* height = borders->add_borderamounts();
  height->set_startedgesize(1);
  height->set_endedgesize(2);
  borders->add_borderamounts();
  CHECK(json_of(depthwise) ==
        R"({"kernel":[3,3],"stride":[1,1],"dilation":[2,2],"groups":32,"inputChannels":32,"outputChannels":32,)"
        R"("padding":"valid","paddingAmounts":[1,2,0,0]})");
  CHECK(line_of(depthwise) ==
        "kernel=3x3 stride=1x1 dilation=2x2 groups=32 channels=32->32 padding=valid paddingAmounts=[1,2,0,0]");

  cml::NeuralNetworkLayer top_left = convolution(4, 4);
  top_left.mutable_convolution()->mutable_same()->set_asymmetrymode(cml::SamePadding::TOP_LEFT_HEAVY);
  CHECK(line_of(top_left) ==
        "kernel=3x3 stride=1x1 dilation=1x1 groups=1 channels=4->4 padding=same asymmetryMode=TOP_LEFT_HEAVY");
}

TEST_CASE("layer attributes: deconvolution drops the ignored dilation and shows its output shape") {
  cml::NeuralNetworkLayer layer = convolution(48, 24);
  auto* conv = layer.mutable_convolution();
  conv->set_isdeconvolution(true);
  conv->set_ngroups(2);  // kernelChannels is already the whole input for a deconvolution
  conv->add_kernelsize(4);
  conv->add_kernelsize(4);
  conv->add_stride(2);
  conv->add_stride(2);
  conv->add_outputshape(88);
  conv->add_outputshape(120);
  conv->mutable_same();
  CHECK(json_of(layer) ==
        R"({"kernel":[4,4],"stride":[2,2],"groups":2,"inputChannels":48,"outputChannels":24,"padding":"same",)"
        R"("deconvolution":true,"outputShape":[88,120]})");
  CHECK(line_of(layer) ==
        "kernel=4x4 stride=2x2 groups=2 channels=48->24 padding=same deconvolution outputShape=[88,120]");
}

TEST_CASE("layer attributes: 3-D convolution and pooling") {
  cml::NeuralNetworkLayer conv3d;
  auto* conv = conv3d.mutable_convolution3d();
  conv->set_inputchannels(3);
  conv->set_outputchannels(8);
  conv->set_ngroups(1);
  conv->set_kerneldepth(3);
  conv->set_kernelheight(5);
  conv->set_kernelwidth(5);
  conv->set_stridedepth(1);
  conv->set_strideheight(2);
  conv->set_stridewidth(2);
  conv->set_dilationdepth(1);
  conv->set_dilationheight(1);
  conv->set_dilationwidth(1);
  conv->set_paddingtype(cml::Convolution3DLayerParams::CUSTOM);
  conv->set_custompaddingtop(1);
  conv->set_custompaddingbottom(1);
  CHECK(line_of(conv3d) ==
        "kernel=3x5x5 stride=1x2x2 dilation=1x1x1 groups=1 channels=3->8 padding=custom paddingAmounts=[0,0,1,1,0,0]");

  cml::NeuralNetworkLayer pool3d;
  auto* pool = pool3d.mutable_pooling3d();
  pool->set_type(cml::Pooling3DLayerParams::AVERAGE);
  pool->set_kerneldepth(2);
  pool->set_kernelheight(2);
  pool->set_kernelwidth(2);
  pool->set_stridedepth(2);
  pool->set_strideheight(2);
  pool->set_stridewidth(2);
  pool->set_paddingtype(cml::Pooling3DLayerParams::VALID);
  pool->set_countexcludepadding(true);
  CHECK(json_of(pool3d) ==
        R"({"type":"AVERAGE","kernel":[2,2,2],"stride":[2,2,2],"padding":"valid","countExcludePadding":true})");
}

TEST_CASE("layer attributes: pooling") {
  cml::NeuralNetworkLayer max_pool;
  auto* pool = max_pool.mutable_pooling();
  pool->set_type(cml::PoolingLayerParams::MAX);
  pool->add_kernelsize(2);
  pool->add_kernelsize(2);
  pool->add_stride(2);
  pool->add_stride(2);
  pool->mutable_valid();
  pool->set_avgpoolexcludepadding(true);  // meaningless for MAX, so not shown
  CHECK(json_of(max_pool) == R"({"type":"MAX","kernel":[2,2],"stride":[2,2],"padding":"valid"})");
  CHECK(line_of(max_pool) == "type=MAX kernel=2x2 stride=2x2 padding=valid");

  cml::NeuralNetworkLayer global;
  global.mutable_pooling()->set_type(cml::PoolingLayerParams::AVERAGE);
  global.mutable_pooling()->set_globalpooling(true);
  global.mutable_pooling()->set_avgpoolexcludepadding(true);
  global.mutable_pooling()->mutable_valid();
  CHECK(json_of(global) == R"({"type":"AVERAGE","globalPooling":true,"avgPoolExcludePadding":true})");
  CHECK(line_of(global) == "type=AVERAGE globalPooling avgPoolExcludePadding");

  cml::NeuralNetworkLayer last_pixel;
  last_pixel.mutable_pooling()->set_type(cml::PoolingLayerParams::L2);
  auto* include = last_pixel.mutable_pooling()->mutable_includelastpixel();
  include->add_paddingamounts(1);
  include->add_paddingamounts(0);
  CHECK(line_of(last_pixel) == "type=L2 kernel=3x3 stride=1x1 padding=includeLastPixel paddingAmounts=[1,0]");
}

TEST_CASE("layer attributes: activation functions by their schema names") {
  cml::NeuralNetworkLayer relu;
  relu.mutable_activation()->mutable_relu();
  CHECK(json_of(relu) == R"({"type":"ReLU"})");
  CHECK(line_of(relu) == "type=ReLU");

  cml::NeuralNetworkLayer leaky;
  leaky.mutable_activation()->mutable_leakyrelu()->set_alpha(0.01F);
  CHECK(json_of(leaky) == R"({"type":"leakyReLU","alpha":0.01})");
  CHECK(line_of(leaky) == "type=leakyReLU alpha=0.01");

  cml::NeuralNetworkLayer linear;  // beta 0 is a coefficient like any other
  linear.mutable_activation()->mutable_linear()->set_alpha(2.0F);
  CHECK(line_of(linear) == "type=linear alpha=2 beta=0");

  cml::NeuralNetworkLayer hard;
  hard.mutable_activation()->mutable_sigmoidhard()->set_alpha(0.2F);
  hard.mutable_activation()->mutable_sigmoidhard()->set_beta(0.5F);
  CHECK(json_of(hard) == R"({"type":"sigmoidHard","alpha":0.2,"beta":0.5})");

  cml::NeuralNetworkLayer prelu;
  for (int i = 0; i < 3; ++i) prelu.mutable_activation()->mutable_prelu()->mutable_alpha()->add_floatvalue(0.25F);
  CHECK(json_of(prelu) == R"({"type":"PReLU","alphaCount":3})");

  cml::NeuralNetworkLayer softplus;
  auto* parametric = softplus.mutable_activation()->mutable_parametricsoftplus();
  parametric->mutable_alpha()->add_floatvalue(1.0F);
  parametric->mutable_beta()->set_float16value(std::string(8, '\0'));  // four half floats
  CHECK(line_of(softplus) == "type=parametricSoftplus alphaCount=1 betaCount=4");

  cml::NeuralNetworkLayer elu;
  elu.mutable_activation()->mutable_elu()->set_alpha(1.0F);
  CHECK(line_of(elu) == "type=ELU alpha=1");

  cml::NeuralNetworkLayer unset;
  unset.mutable_activation();
  CHECK(json_of(unset) == "{}");
}

TEST_CASE("layer attributes: inner product, batched matmul and embedding") {
  cml::NeuralNetworkLayer dense;
  auto* inner = dense.mutable_innerproduct();
  inner->set_inputchannels(512);
  inner->set_outputchannels(10);
  inner->set_hasbias(true);
  inner->mutable_weights()->add_floatvalue(1.0F);
  CHECK(json_of(dense) == R"({"inputChannels":512,"outputChannels":10,"hasBias":true})");
  CHECK(line_of(dense) == "channels=512->10 bias");
  inner->set_int8dynamicquantize(true);
  CHECK(line_of(dense) == "channels=512->10 bias int8DynamicQuantize");

  cml::NeuralNetworkLayer matmul;
  matmul.mutable_batchedmatmul()->set_transposeb(true);
  CHECK(json_of(matmul) == R"({"transposeB":true})");
  matmul.mutable_batchedmatmul()->set_weightmatrixfirstdimension(64);
  matmul.mutable_batchedmatmul()->set_weightmatrixseconddimension(128);
  matmul.mutable_batchedmatmul()->set_hasbias(true);
  CHECK(line_of(matmul) == "transposeB weightMatrix=[64,128] bias");

  cml::NeuralNetworkLayer embedding;
  embedding.mutable_embeddingnd()->set_vocabsize(1000);
  embedding.mutable_embeddingnd()->set_embeddingsize(64);
  CHECK(json_of(embedding) == R"({"vocabSize":1000,"embeddingSize":64})");
}

TEST_CASE("layer attributes: recurrent layers") {
  cml::NeuralNetworkLayer lstm;
  auto* uni = lstm.mutable_unidirectionallstm();
  uni->set_inputvectorsize(6);
  uni->set_outputvectorsize(200);
  uni->add_activations()->mutable_sigmoid();
  uni->add_activations()->mutable_tanh();
  uni->add_activations()->mutable_tanh();
  uni->mutable_params()->set_sequenceoutput(true);
  uni->mutable_params()->set_hasbiasvectors(true);
  uni->mutable_params()->set_forgetbias(true);
  CHECK(json_of(lstm) ==
        R"({"inputVectorSize":6,"outputVectorSize":200,"activations":["sigmoid","tanh","tanh"],)"
        R"("sequenceOutput":true,"hasBiasVectors":true,"forgetBias":true})");
  CHECK(line_of(lstm) == "vectorSize=6->200 activations=[sigmoid,tanh,tanh] sequenceOutput biasVectors forgetBias");
  uni->mutable_params()->set_cellclipthreshold(10.0F);
  uni->set_reverseinput(true);
  CHECK(line_of(lstm) ==
        "vectorSize=6->200 activations=[sigmoid,tanh,tanh] sequenceOutput biasVectors forgetBias cellClipThreshold=10 "
        "reverseInput");

  cml::NeuralNetworkLayer bidirectional;
  auto* bi = bidirectional.mutable_bidirectionallstm();
  bi->set_inputvectorsize(3);
  bi->set_outputvectorsize(4);
  bi->add_activationsforwardlstm()->mutable_sigmoid();
  bi->add_activationsbackwardlstm()->mutable_sigmoid();
  CHECK(json_of(bidirectional) == R"({"inputVectorSize":3,"outputVectorSize":4,"activations":["sigmoid"]})");
  bi->mutable_activationsbackwardlstm(0)->mutable_sigmoidhard();
  CHECK(json_of(bidirectional) ==
        R"({"inputVectorSize":3,"outputVectorSize":4,"activationsForwardLSTM":["sigmoid"],)"
        R"("activationsBackwardLSTM":["sigmoidHard"]})");

  cml::NeuralNetworkLayer gru;
  gru.mutable_gru()->set_inputvectorsize(32);
  gru.mutable_gru()->set_outputvectorsize(16);
  gru.mutable_gru()->add_activations()->mutable_sigmoid();
  gru.mutable_gru()->add_activations();  // no function set: malformed, and said so
  gru.mutable_gru()->set_reverseinput(true);
  CHECK(line_of(gru) == "vectorSize=32->16 activations=[sigmoid,unset] reverseInput");

  cml::NeuralNetworkLayer simple;
  simple.mutable_simplerecurrent()->set_inputvectorsize(2);
  simple.mutable_simplerecurrent()->set_outputvectorsize(2);
  simple.mutable_simplerecurrent()->mutable_activation()->mutable_tanh();
  simple.mutable_simplerecurrent()->set_hasbiasvector(true);
  CHECK(json_of(simple) == R"({"inputVectorSize":2,"outputVectorSize":2,"activation":"tanh","hasBiasVector":true})");
}

TEST_CASE("layer attributes: element-wise layers show alpha only when it is an operand") {
  cml::NeuralNetworkLayer add;
  add.add_input("x");
  add.mutable_add()->set_alpha(0.0F);
  CHECK(json_of(add) == R"({"alpha":0.0})");
  CHECK(line_of(add) == "alpha=0");
  add.add_input("y");
  CHECK(json_of(add) == "{}");

  cml::NeuralNetworkLayer greater;
  greater.add_input("x");
  greater.mutable_greaterthan()->set_alpha(0.5F);
  CHECK(line_of(greater) == "alpha=0.5");

  cml::NeuralNetworkLayer power;
  power.mutable_unary()->set_type(cml::UnaryFunctionLayerParams::POWER);
  power.mutable_unary()->set_alpha(2.0F);
  power.mutable_unary()->set_epsilon(0.5F);  // unused by POWER
  CHECK(json_of(power) == R"({"type":"POWER","alpha":2.0})");

  cml::NeuralNetworkLayer rsqrt;  // epsilon 0 and scale 0 stand for 1e-6 and 1
  rsqrt.mutable_unary()->set_type(cml::UnaryFunctionLayerParams::RSQRT);
  CHECK(line_of(rsqrt) == "type=RSQRT epsilon=1e-06");
  rsqrt.mutable_unary()->set_shift(1.5F);
  rsqrt.mutable_unary()->set_scale(3.0F);
  CHECK(line_of(rsqrt) == "type=RSQRT epsilon=1e-06 shift=1.5 scale=3");

  cml::NeuralNetworkLayer threshold;
  threshold.mutable_unary()->set_type(cml::UnaryFunctionLayerParams::THRESHOLD);
  CHECK(line_of(threshold) == "type=THRESHOLD alpha=0");
}

TEST_CASE("layer attributes: padding, upsample and custom layers") {
  cml::NeuralNetworkLayer constant;
  constant.mutable_padding()->mutable_constant();
  auto* borders = constant.mutable_padding()->mutable_paddingamounts();
  borders->add_borderamounts()->set_endedgesize(1);
  borders->add_borderamounts()->set_endedgesize(1);
  CHECK(json_of(constant) == R"({"padding":"constant","value":0.0,"paddingAmounts":[0,1,0,1]})");
  CHECK(line_of(constant) == "padding=constant value=0 paddingAmounts=[0,1,0,1]");

  cml::NeuralNetworkLayer reflection;
  reflection.mutable_padding()->mutable_reflection();
  CHECK(line_of(reflection) == "padding=reflection");

  cml::NeuralNetworkLayer upsample;
  upsample.mutable_upsample()->add_scalingfactor(2);
  upsample.mutable_upsample()->add_scalingfactor(2);
  CHECK(line_of(upsample) == "scalingFactor=2x2 mode=NN");
  upsample.mutable_upsample()->set_mode(cml::UpsampleLayerParams::BILINEAR);
  upsample.mutable_upsample()->set_linearupsamplemode(cml::UpsampleLayerParams::ALIGN_CORNERS_TRUE);
  CHECK(json_of(upsample) == R"({"scalingFactor":[2,2],"mode":"BILINEAR","linearUpsampleMode":"ALIGN_CORNERS_TRUE"})");
  upsample.mutable_upsample()->add_fractionalscalingfactor(1.5F);
  upsample.mutable_upsample()->add_fractionalscalingfactor(2.5F);
  CHECK(line_of(upsample) == "fractionalScalingFactor=1.5x2.5 mode=BILINEAR linearUpsampleMode=ALIGN_CORNERS_TRUE");

  cml::NeuralNetworkLayer custom;
  custom.mutable_custom()->set_classname("Swish");
  custom.mutable_custom()->set_description("x * sigmoid(beta * x)");
  (*custom.mutable_custom()->mutable_parameters())["beta"].set_doublevalue(1.0);
  custom.mutable_custom()->add_weights();
  CHECK(json_of(custom) == R"({"className":"Swish","parameters":1,"weights":1})");
}

TEST_CASE("layer attributes: the generic formatter shows set fields of any other layer") {
  cml::NeuralNetworkLayer batchnorm;  // epsilon 0 is documented as 1e-5
  batchnorm.mutable_batchnorm()->set_channels(64);
  batchnorm.mutable_batchnorm()->mutable_gamma()->add_floatvalue(1.0F);
  CHECK(json_of(batchnorm) == R"({"channels":64,"epsilon":1e-05})");
  batchnorm.mutable_batchnorm()->set_epsilon(0.001F);
  batchnorm.mutable_batchnorm()->set_instancenormalization(true);
  CHECK(line_of(batchnorm) == "channels=64 instanceNormalization epsilon=0.001");

  cml::NeuralNetworkLayer reshape;
  for (const std::int64_t dim : {1, 3, 224, 224}) reshape.mutable_reshape()->add_targetshape(dim);
  CHECK(json_of(reshape) == R"({"targetShape":[1,3,224,224],"mode":"CHANNEL_FIRST"})");
  CHECK(line_of(reshape) == "targetShape=[1,3,224,224] mode=CHANNEL_FIRST");

  cml::NeuralNetworkLayer gather;  // axis 0 is a choice, not an absence
  gather.mutable_gather();
  CHECK(line_of(gather) == "axis=0");

  cml::NeuralNetworkLayer reduce;
  for (int axis = 0; axis < 12; ++axis) reduce.mutable_reducemean()->add_axes(axis);
  reduce.mutable_reducemean()->set_keepdims(true);
  CHECK(json_of(reduce) == R"({"axes":"12 values","keepDims":true})");
  CHECK(line_of(reduce) == R"(axes="12 values" keepDims)");

  cml::NeuralNetworkLayer slice;  // all-false masks say nothing
  auto* slice_params = slice.mutable_slicestatic();
  for (const std::int64_t begin : {0, 1}) slice_params->add_beginids(begin);
  for (const bool mask : {false, false}) slice_params->add_beginmasks(mask);
  for (const std::int64_t end : {-1, 3}) slice_params->add_endids(end);
  for (const bool mask : {true, false}) slice_params->add_endmasks(mask);
  for (const std::int64_t stride : {1, 2}) slice_params->add_strides(stride);
  CHECK(line_of(slice) == "beginIds=[0,1] endIds=[-1,3] endMasks=[true,false] strides=[1,2]");

  cml::NeuralNetworkLayer resize;  // SamplingMode wraps one enum: shown under its field's name
  resize.mutable_resizebilinear()->add_targetsize(513);
  resize.mutable_resizebilinear()->add_targetsize(513);
  resize.mutable_resizebilinear()->mutable_mode()->set_samplingmethod(cml::SamplingMode::ALIGN_ENDPOINTS_MODE);
  CHECK(json_of(resize) == R"({"targetSize":[513,513],"mode":"ALIGN_ENDPOINTS_MODE"})");
  CHECK(line_of(resize) == "targetSize=513x513 mode=ALIGN_ENDPOINTS_MODE");

  cml::NeuralNetworkLayer crop;
  crop.mutable_crop()->mutable_cropamounts()->add_borderamounts()->set_startedgesize(2);
  crop.mutable_crop()->mutable_cropamounts()->add_borderamounts();
  CHECK(json_of(crop) == R"({"cropAmounts":[2,0,0,0]})");

  cml::NeuralNetworkLayer loop;  // sub-networks are shown by inspect as nested layers, not here
  loop.mutable_loop()->set_maxloopiterations(10);
  loop.mutable_loop()->set_conditionvar("keep_going");
  loop.mutable_loop()->mutable_bodynetwork()->add_layers()->mutable_activation()->mutable_relu();
  CHECK(json_of(loop) == R"({"maxLoopIterations":10,"conditionVar":"keep_going"})");

  cml::NeuralNetworkLayer branch;
  branch.mutable_branch()->mutable_ifbranch()->add_layers();
  CHECK(json_of(branch) == "{}");

  cml::NeuralNetworkLayer top_k;
  top_k.mutable_topk()->set_axis(-1);
  top_k.mutable_topk()->set_k(5);
  CHECK(line_of(top_k) == "axis=-1 K=5");

  cml::NeuralNetworkLayer clip;
  clip.mutable_clip()->set_maxval(6.0F);
  CHECK(json_of(clip) == R"({"minVal":0.0,"maxVal":6.0})");
}

TEST_CASE("layer attributes: text formatting of values") {
  Json attributes;
  attributes["kernel"] = {3, 3, 3};
  attributes["stride"] = {1, 2};
  attributes["shape"] = {1, 2};
  attributes["ratio"] = 0.1;                                 // a double: printed as its shortest form
  attributes["alpha"] = static_cast<double>(0.01F);          // a float32 widened without care
  attributes["label"] = "two words";
  attributes["name"] = "plain";
  attributes["outputChannels"] = 8;                          // paired even when it comes first
  attributes["inputChannels"] = 2;
  attributes["hasPeepholeVectors"] = true;
  attributes["off"] = false;
  attributes["names"] = {"a", "b"};
  CHECK(format_layer_attributes(attributes) ==
        R"(kernel=3x3x3 stride=1x2 shape=[1,2] ratio=0.1 alpha=0.01 label="two words" name=plain channels=2->8 )"
        R"(peepholeVectors names=[a,b])");
  CHECK(format_layer_attributes(Json::object()).empty());
  CHECK(format_layer_attributes(Json()).empty());

  cml::NeuralNetworkLayer odd;  // values that are not finite cannot be JSON numbers
  odd.mutable_activation()->mutable_leakyrelu()->set_alpha(std::numeric_limits<float>::infinity());
  CHECK(json_of(odd) == R"({"type":"leakyReLU","alpha":"inf"})");
}

TEST_CASE("layer attributes: every layer type gives plain JSON from default params") {
  const pb::OneofDescriptor* cases = cml::NeuralNetworkLayer::descriptor()->FindOneofByName("layer");
  REQUIRE(cases != nullptr);
  CHECK(cases->field_count() == 158);  // a new layer type is a reason to look at its attributes
  for (int i = 0; i < cases->field_count(); ++i) {
    const pb::FieldDescriptor* field = cases->field(i);
    cml::NeuralNetworkLayer layer;
    layer.GetReflection()->MutableMessage(&layer, field);
    REQUIRE(mlconv::spec::layer_type_name(layer) == field->name());
    Json attributes;
    REQUIRE_NOTHROW(attributes = layer_attributes(layer));
    check_plain_values(attributes, field->name());
    CHECK_NOTHROW(format_layer_attributes(attributes));
  }
  CHECK(layer_attributes(cml::NeuralNetworkLayer()) == Json::object());
}

namespace {

// Every layer anywhere in a model: in pipelines, classifiers, and loop/branch bodies.
void collect_layers(const pb::Message& message, std::vector<const cml::NeuralNetworkLayer*>& layers) {
  if (message.GetDescriptor() == cml::NeuralNetworkLayer::descriptor()) {
    layers.push_back(static_cast<const cml::NeuralNetworkLayer*>(&message));
  }
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->message_type() == cml::WeightParams::descriptor()) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        collect_layers(reflection->GetRepeatedMessage(message, field, i), layers);
      }
    } else {
      collect_layers(reflection->GetMessage(message, field), layers);
    }
  }
}

}  // namespace

TEST_CASE("layer attributes: every layer of every real model") {
  const std::set<std::string> must_have_attributes{"convolution", "pooling", "activation", "innerProduct",
                                                   "simpleRecurrent", "gru", "uniDirectionalLSTM",
                                                   "biDirectionalLSTM"};
  std::set<std::string> seen_types;
  std::size_t deconvolutions = 0;
  std::size_t dilated = 0;
  const auto models = mlconv::test::real_models();
  REQUIRE(!models.empty());
  for (const auto& path : models) {
    const auto loaded = mlconv::spec::load_model(path);
    std::vector<const cml::NeuralNetworkLayer*> layers;
    collect_layers(loaded.model, layers);
    for (const cml::NeuralNetworkLayer* layer : layers) {
      const std::string type(mlconv::spec::layer_type_name(*layer));
      const std::string where = path.filename().string() + ": " + layer->name() + " (" + type + ")";
      INFO(where);
      Json attributes;
      REQUIRE_NOTHROW(attributes = layer_attributes(*layer));
      check_plain_values(attributes, where);
      std::string line;
      REQUIRE_NOTHROW(line = format_layer_attributes(attributes));
      if (must_have_attributes.contains(type)) {
        CHECK(!attributes.empty());
        CHECK(!line.empty());
      }
      seen_types.insert(type);
      if (attributes.contains("deconvolution")) ++deconvolutions;
      if (attributes.contains("dilation") && attributes["dilation"] != Json::array({1, 1})) ++dilated;
    }
  }
  // The README promises these in the collection; if they vanish the checks above test less.
  CHECK(seen_types.contains("convolution"));
  CHECK(seen_types.contains("uniDirectionalLSTM"));
  CHECK(seen_types.contains("biDirectionalLSTM"));
  CHECK(seen_types.contains("gru"));
  CHECK(deconvolutions == 5);  // Tiramisu45's transposed convolutions
  CHECK(dilated > 0);          // DeepLabV3's atrous convolutions
}
