// Validation of weight presence, counts and precision (E070-E072): the sizes a
// layer's parameters imply, for each layer family that stores weights.
#include <doctest/doctest.h>

#include <functional>

#include "spec/validation/validator.h"
#include "tests/spec/validation/validation_builders.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using spec::validation::Finding;
using namespace validation_builders;

std::vector<Finding> validate(const cml::Model& model) { return spec::validation::validate_model(model); }

cml::NeuralNetworkLayer& layer0(cml::Model& model) { return *model.mutable_neuralnetwork()->mutable_layers(0); }

void fill(cml::WeightParams* weights, int n) {
  for (int i = 0; i < n; ++i) weights->add_floatvalue(0.25F);
}

void fill_half(cml::WeightParams* weights, int n) { weights->set_float16value(std::string(2 * n, '\0')); }

// A one-layer network of the given version whose layer `set_up` configures; 'x' -> 'y'.
cml::Model one_layer(int version, const std::function<void(cml::NeuralNetworkLayer&)>& set_up) {
  cml::Model model = network_model(version);
  cml::NeuralNetworkLayer& layer = layer0(model);
  layer.clear_activation();
  layer.set_name("l");
  set_up(layer);
  return model;
}

// 'x' [3, 8, 8] -> 3x3 valid (de)convolution with 6 filters -> 'y' [6, 6, 6] ([6, 10, 10] transposed).
cml::Model conv(int weights, bool deconv = false) {
  cml::Model model = one_layer(1, [&](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_convolution();
    p->set_outputchannels(6);
    p->set_kernelchannels(3);
    p->set_ngroups(deconv ? 2 : 1);
    p->set_isdeconvolution(deconv);
    p->mutable_valid();
    fill(p->mutable_weights(), weights);
    p->set_hasbias(true);
    fill(p->mutable_bias(), 6);
  });
  set_shape(input_feature(model), {3, 8, 8});
  if (deconv) {
    set_shape(output_feature(model), {6, 10, 10});
  } else {
    set_shape(output_feature(model), {6, 6, 6});
  }
  return model;
}

// 'x' [3] -> innerProduct with 2 outputs -> 'y' [2].
cml::Model inner_product(const std::function<void(cml::InnerProductLayerParams&)>& change = {}) {
  cml::Model model = one_layer(1, [&](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_innerproduct();
    p->set_inputchannels(3);
    p->set_outputchannels(2);
    p->set_hasbias(true);
    fill(p->mutable_weights(), 6);
    fill(p->mutable_bias(), 2);
    if (change) change(*p);
  });
  set_shape(output_feature(model), {2});
  return model;
}

}  // namespace

TEST_CASE("validation E070-E072: layers with the weights their parameters imply pass") {
  CHECK(validate(conv(6 * 3 * 3 * 3)).empty());
  CHECK(validate(conv(3 * 3 * 3 * 3, true)).empty());
  CHECK(validate(inner_product()).empty());
}

TEST_CASE("validation E070: required weights are present") {
  const cml::Model model = inner_product([](cml::InnerProductLayerParams& p) { p.clear_weights(); });
  const Finding f = only(validate(model), "E070");
  CHECK(f.where == "layer 'l' (innerProduct)");
  CHECK(f.message ==
        "weight blob 'weights' is missing or empty; this layer needs it (outputChannels 2 x inputChannels 3 = 6 values)");
  CHECK(f.hint == "store the values of 'weights', or turn off the flag that asks for it");

  const cml::Model bias = inner_product([](cml::InnerProductLayerParams& p) { p.clear_bias(); });
  CHECK(only(validate(bias), "E070").message ==
        "weight blob 'bias' is missing or empty; this layer needs it (outputChannels 2 values)");
  const cml::Model no_bias = inner_product([](cml::InnerProductLayerParams& p) {
    p.clear_bias();
    p.set_hasbias(false);
  });
  CHECK(validate(no_bias).empty());
}

TEST_CASE("validation E071: convolution weights by filter count, channels and kernel") {
  const Finding f = only(validate(conv(53)), "E071");
  CHECK(f.where == "layer 'l' (convolution)");
  CHECK(f.message == "weight blob 'weights' holds 53 values; outputChannels 6 x kernelChannels 3 x kernelHeight 3 x "
                     "kernelWidth 3 = 162");
  CHECK(f.hint == "re-export the layer so that 'weights' holds 162 values, or correct the sizes in its parameters");
  // Deconvolution keeps [kernelChannels, outputChannels / nGroups, kH, kW].
  CHECK(only(validate(conv(162, true)), "E071").message ==
        "weight blob 'weights' holds 162 values; kernelChannels 3 x outputChannels / nGroups 3 x kernelHeight 3 x "
        "kernelWidth 3 = 81");
}

TEST_CASE("validation E071: inner product, batchnorm, embedding, scale, bias and constants") {
  const cml::Model ip = inner_product([](cml::InnerProductLayerParams& p) { fill(p.mutable_bias(), 1); });
  CHECK(only(validate(ip), "E071").message == "weight blob 'bias' holds 3 values; outputChannels 2");

  const cml::Model bn = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_batchnorm();
    p->set_channels(3);
    fill(p->mutable_gamma(), 3);
    fill(p->mutable_beta(), 3);
    fill(p->mutable_mean(), 3);
    fill(p->mutable_variance(), 4);
  });
  CHECK(only(validate(bn), "E071").message == "weight blob 'variance' holds 4 values; channels 3");

  const cml::Model stats = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_batchnorm();
    p->set_channels(3);
    p->set_computemeanvar(true);  // mean and variance come from the data
    fill(p->mutable_gamma(), 3);
    fill(p->mutable_beta(), 3);
  });
  CHECK(validate(stats).empty());

  const cml::Model embedding = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    layer.mutable_embedding()->set_inputdim(10);
    layer.mutable_embedding()->set_outputchannels(4);
    fill(layer.mutable_embedding()->mutable_weights(), 39);
  });
  CHECK(only(validate(embedding), "E071").message ==
        "weight blob 'weights' holds 39 values; outputChannels 4 x inputDim 10 = 40");

  const cml::Model scale = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    for (const int d : {3, 1, 1}) layer.mutable_scale()->add_shapescale(d);
    fill(layer.mutable_scale()->mutable_scale(), 1);
  });
  CHECK(only(validate(scale), "E071").message ==
        "weight blob 'scale' holds 1 value; shapeScale[0] 3 x shapeScale[1] 1 x shapeScale[2] 1 = 3");

  const cml::Model constant = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    layer.clear_input();
    for (const int d : {3, 2, 2}) layer.mutable_loadconstant()->add_shape(d);
    fill(layer.mutable_loadconstant()->mutable_data(), 3);
  });
  CHECK(only(validate(constant), "E071").message ==
        "weight blob 'data' holds 3 values; shape[0] 3 x shape[1] 2 x shape[2] 2 = 12");
}

TEST_CASE("validation E071: recurrent matrices and vectors by input and hidden size") {
  const cml::Model gru = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_gru();
    layer.add_output("h");
    p->set_inputvectorsize(3);
    p->set_outputvectorsize(2);
    for (auto* w : {p->mutable_updategateweightmatrix(), p->mutable_resetgateweightmatrix(),
                    p->mutable_outputgateweightmatrix()}) {
      fill(w, 6);
    }
    for (auto* r : {p->mutable_updategaterecursionmatrix(), p->mutable_resetgaterecursionmatrix(),
                    p->mutable_outputgaterecursionmatrix()}) {
      fill(r, 4);
    }
    fill(p->mutable_resetgaterecursionmatrix(), 1);  // now 5
  });
  CHECK(only(validate(gru), "E071").message ==
        "weight blob 'resetGateRecursionMatrix' holds 5 values; outputVectorSize 2 x outputVectorSize 2 = 4");

  cml::Model lstm = one_layer(1, [](cml::NeuralNetworkLayer& layer) {
    auto* p = layer.mutable_bidirectionallstm();
    for (const char* o : {"h1", "c1", "h2", "c2"}) layer.add_output(o);
    p->set_inputvectorsize(3);
    p->set_outputvectorsize(2);
    p->mutable_params()->set_hasbiasvectors(true);
    for (int d = 0; d < 2; ++d) {
      auto* w = p->add_weightparams();
      for (auto* m : {w->mutable_inputgateweightmatrix(), w->mutable_forgetgateweightmatrix(),
                      w->mutable_blockinputweightmatrix(), w->mutable_outputgateweightmatrix()}) {
        fill(m, 6);
      }
      for (auto* m : {w->mutable_inputgaterecursionmatrix(), w->mutable_forgetgaterecursionmatrix(),
                      w->mutable_blockinputrecursionmatrix(), w->mutable_outputgaterecursionmatrix()}) {
        fill(m, 4);
      }
      for (auto* b : {w->mutable_inputgatebiasvector(), w->mutable_forgetgatebiasvector(),
                      w->mutable_blockinputbiasvector(), w->mutable_outputgatebiasvector()}) {
        fill(b, 2);
      }
    }
  });
  set_shape(output_feature(lstm), {4});  // both directions' hidden states
  CHECK(validate(lstm).empty());
  cml::Model broken = lstm;
  fill(layer0(broken).mutable_bidirectionallstm()->mutable_weightparams(1)->mutable_forgetgatebiasvector(), 1);
  CHECK(only(validate(broken), "E071").message ==
        "weight blob 'weightParams[1].forgetGateBiasVector' holds 3 values; outputVectorSize 2");
}

TEST_CASE("validation E071: float16 and quantized blobs are counted in values, quantized by their bytes") {
  cml::Model half = inner_product([](cml::InnerProductLayerParams& p) {
    p.clear_weights();
    p.clear_bias();
    fill_half(p.mutable_weights(), 5);
    fill_half(p.mutable_bias(), 2);
  });
  half.set_specificationversion(2);
  CHECK(only(validate(half), "E071").message == "weight blob 'weights' holds 5 values; outputChannels 2 x inputChannels 3 = 6");

  cml::Model quantized = inner_product([](cml::InnerProductLayerParams& p) {
    p.clear_weights();
    p.mutable_weights()->set_rawvalue(std::string(2, '\0'));  // 6 4-bit codes need 3 bytes
    auto* q = p.mutable_weights()->mutable_quantization();
    q->set_numberofbits(4);
    q->mutable_linearquantization()->add_scale(1.0F);
    q->mutable_linearquantization()->add_bias(0.0F);
  });
  quantized.set_specificationversion(3);
  CHECK(only(validate(quantized), "E071").message ==
        "weight blob 'weights' holds 2 bytes of 4-bit codes; outputChannels 2 x inputChannels 3 = 6 values need 3 bytes");
  layer0(quantized).mutable_innerproduct()->mutable_weights()->set_rawvalue(std::string(3, '\0'));
  CHECK_FALSE(has(validate(quantized), "E071"));
}

TEST_CASE("validation E072: a layer does not mix float16 and float32 weights") {
  cml::Model model = inner_product([](cml::InnerProductLayerParams& p) {
    p.clear_weights();
    fill_half(p.mutable_weights(), 6);
  });
  model.set_specificationversion(2);
  const Finding f = only(validate(model), "E072");
  CHECK(f.message == "weight blob 'weights' is float16 but 'bias' is float32; a layer's float weights must all have "
                     "the same precision");
  layer0(model).mutable_innerproduct()->clear_bias();
  fill_half(layer0(model).mutable_innerproduct()->mutable_bias(), 2);
  CHECK(validate(model).empty());
}

}  // namespace mlconv::test
