// Validation of per-layer wiring and parameters (E060-E067): each check gets a
// one-layer network broken in exactly one way, and the unbroken layer passes.
#include <doctest/doctest.h>

#include "spec/validation/validator.h"
#include "tests/spec/validation/validation_builders.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using spec::validation::Finding;
using namespace validation_builders;

std::vector<Finding> validate(const cml::Model& model) { return spec::validation::validate_model(model); }

cml::NeuralNetworkLayer& layer0(cml::Model& model) { return *model.mutable_neuralnetwork()->mutable_layers(0); }

// 'x' [3, 8, 8] -> a valid 3x3 same-padded convolution with 4 filters -> 'y' [4, 8, 8].
cml::Model conv_model() {
  cml::Model model = network_model(1);
  auto* shape = model.mutable_description()->mutable_input(0)->mutable_type()->mutable_multiarraytype();
  shape->clear_shape();
  for (const int d : {3, 8, 8}) shape->add_shape(d);
  cml::NeuralNetworkLayer& layer = layer0(model);
  layer.set_name("conv");
  auto* conv = layer.mutable_convolution();
  conv->set_outputchannels(4);
  conv->set_kernelchannels(3);
  conv->add_kernelsize(3);
  conv->add_kernelsize(3);
  conv->mutable_same();
  for (int i = 0; i < 4 * 3 * 3 * 3; ++i) conv->mutable_weights()->add_floatvalue(0.5F);
  set_shape(output_feature(model), {4, 8, 8});
  return model;
}

}  // namespace

TEST_CASE("validation E060/E061: the unbroken one-layer networks pass") {
  CHECK(validate(network_model()).empty());
  CHECK(validate(conv_model()).empty());
}

TEST_CASE("validation E060: a layer has as many inputs as its type takes") {
  cml::Model model = network_model();
  layer0(model).add_input("x");
  const Finding f = only(validate(model), "E060");
  CHECK(f.where == "layer 'relu' (activation)");
  CHECK(f.message == "layer type activation takes 1 input; this layer has 2");
  CHECK(f.hint == "give the layer 1 input, or use a layer type that takes 2");

  cml::Model concat = network_model();
  layer0(concat).mutable_concat();
  CHECK(only(validate(concat), "E060").message == "layer type concat takes at least 2 inputs; this layer has 1");

  cml::Model constant = network_model();
  layer0(constant).mutable_loadconstant()->add_shape(3);
  layer0(constant).mutable_loadconstant()->add_shape(1);
  layer0(constant).mutable_loadconstant()->add_shape(1);
  for (int i = 0; i < 3; ++i) layer0(constant).mutable_loadconstant()->mutable_data()->add_floatvalue(1.0F);
  CHECK(only(validate(constant), "E060").message == "layer type loadConstant takes no inputs; this layer has 1");
}

TEST_CASE("validation E060: a multi-input add passes") {
  cml::Model model = network_model();
  layer0(model).mutable_add();
  layer0(model).add_input("x");
  layer0(model).add_input("x");
  CHECK_FALSE(has(validate(model), "E060"));
}

TEST_CASE("validation E061: a layer has as many outputs as its type takes") {
  cml::Model model = network_model();
  layer0(model).mutable_split()->set_noutputs(1);
  const Finding f = only(validate(model), "E061");
  CHECK(f.message == "layer type split takes at least 2 outputs; this layer has 1");
  layer0(model).add_output("y2");
  CHECK_FALSE(has(validate(model), "E061"));
}

TEST_CASE("validation E062: window parameters are empty or two values >= 1") {
  cml::Model model = conv_model();
  layer0(model).mutable_convolution()->add_stride(0);
  layer0(model).mutable_convolution()->add_stride(1);
  const Finding f = only(validate(model), "E062");
  CHECK(f.where == "layer 'conv' (convolution)");
  CHECK(f.message == "stride is [0, 1]; it must be empty (the default) or two values [height, width], each at least 1");
  CHECK(f.hint == "set stride to two positive values, e.g. [3, 3]");
  layer0(model).mutable_convolution()->set_stride(0, 2);
  CHECK_FALSE(has(validate(model), "E062"));

  cml::Model pool = network_model();
  layer0(pool).mutable_pooling()->mutable_valid();
  layer0(pool).mutable_pooling()->add_kernelsize(2);
  CHECK(only(validate(pool), "E062").message ==
        "kernelSize is [2]; it must be empty (the default) or two values [height, width], each at least 1");
  layer0(pool).mutable_pooling()->set_globalpooling(true);  // the window is the whole plane
  CHECK_FALSE(has(validate(pool), "E062"));
}

TEST_CASE("validation E063: convolution channels and groups") {
  cml::Model model = conv_model();
  layer0(model).mutable_convolution()->set_ngroups(3);
  const Finding f = only(validate(model), "E063");
  CHECK(f.message == "nGroups 3 does not divide outputChannels 4; every group needs the same number of filters");
  layer0(model).mutable_convolution()->set_ngroups(2);
  CHECK_FALSE(has(validate(model), "E063"));

  cml::Model zero = conv_model();
  layer0(zero).mutable_convolution()->set_kernelchannels(0);
  CHECK(only(validate(zero), "E063").message ==
        "outputChannels is 4 and kernelChannels 0; both must be at least 1");
}

TEST_CASE("validation E064: padding kind is set") {
  cml::Model model = conv_model();
  layer0(model).mutable_convolution()->clear_same();
  const Finding f = only(validate(model), "E064");
  CHECK(f.message == "the layer does not say how to pad: none of valid or same is set");
  CHECK(f.hint == "set one of valid or same (valid means no padding)");

  cml::Model padding = network_model();
  layer0(padding).mutable_padding();
  CHECK(only(validate(padding), "E064").message ==
        "the layer does not say how to pad: none of constant, reflection or replication is set");
  layer0(padding).mutable_padding()->mutable_constant();
  CHECK_FALSE(has(validate(padding), "E064"));
}

TEST_CASE("validation E065: permute axis is a permutation of 0..3") {
  cml::Model model = network_model();
  for (const int a : {0, 2, 2, 1}) layer0(model).mutable_permute()->add_axis(a);
  const Finding f = only(validate(model), "E065");
  CHECK(f.message == "axis is [0, 2, 2, 1]; a permute layer's axis must be a permutation of [0, 1, 2, 3] (sequence, "
                     "channel, height, width)");
  layer0(model).mutable_permute()->set_axis(2, 3);
  CHECK_FALSE(has(validate(model), "E065"));
}

TEST_CASE("validation E066: rank-5 shape parameters have 1, 3 or 4 entries as the layer takes") {
  cml::Model model = network_model();
  layer0(model).mutable_reshape()->add_targetshape(3);
  layer0(model).mutable_reshape()->add_targetshape(1);
  const Finding f = only(validate(model), "E066");
  CHECK(f.message == "targetShape has 2 entries; it must have 3 ([C, H, W]) or 4 ([S, C, H, W])");
  layer0(model).mutable_reshape()->add_targetshape(1);
  CHECK_FALSE(has(validate(model), "E066"));

  cml::Model scale = network_model();
  auto* p = layer0(scale).mutable_scale();
  p->add_shapescale(1);
  p->add_shapescale(1);
  p->mutable_scale()->add_floatvalue(2.0F);
  CHECK(only(validate(scale), "E066").message ==
        "shapeScale has 2 entries; it must have 1 ([C] or [1]) or 3 ([C, H, W])");
}

TEST_CASE("validation E067: slice stride and reorganizeData block size") {
  cml::Model model = network_model();
  layer0(model).mutable_slice()->set_endindex(2);
  CHECK(only(validate(model), "E067").message ==
        "stride is 0; a slice takes every stride-th element, so stride must be at least 1");
  layer0(model).mutable_slice()->set_stride(1);
  CHECK_FALSE(has(validate(model), "E067"));

  cml::Model reorg = network_model();
  layer0(reorg).mutable_reorganizedata()->set_blocksize(1);
  CHECK(only(validate(reorg), "E067").message ==
        "blockSize is 1; space/depth reorganization needs a block of at least 2");
}

}  // namespace mlconv::test
