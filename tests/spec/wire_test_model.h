// A small model covering the parts of the schema that the spec tests check on the wire
// (model_wire_test.cc) and save and load (model_io_test.cc).
#pragma once

#include <string>

#include "Model.pb.h"

namespace mlconv::test {

inline CoreML::Specification::Model wire_test_model() {
  namespace cml = CoreML::Specification;
  using namespace std::string_literals;
  cml::Model model;
  model.set_specificationversion(2);
  auto* description = model.mutable_description();
  auto* input = description->add_input();
  input->set_name("image");
  auto* image = input->mutable_type()->mutable_imagetype();
  image->set_width(64);
  image->set_height(32);
  image->set_colorspace(cml::ImageFeatureType::RGB);
  auto* output = description->add_output();
  output->set_name("classProbability");
  output->mutable_type()->mutable_dictionarytype()->mutable_stringkeytype();
  description->set_predictedprobabilitiesname("classProbability");
  auto* metadata = description->mutable_metadata();
  metadata->set_author("mlconv tests");
  (*metadata->mutable_userdefined())["zeta"] = "last";
  (*metadata->mutable_userdefined())["alpha"] = "first";

  auto* classifier = model.mutable_neuralnetworkclassifier();
  auto* conv_layer = classifier->add_layers();
  conv_layer->set_name("conv1");
  conv_layer->add_input("image");
  conv_layer->add_output("features");
  auto* conv = conv_layer->mutable_convolution();
  conv->set_outputchannels(2);
  conv->set_kernelchannels(3);
  conv->set_ngroups(1);
  conv->add_kernelsize(1);
  conv->add_kernelsize(1);
  conv->mutable_valid();
  conv->set_hasbias(true);
  for (const float w : {1.0F, -1.0F, 0.5F, 2.0F, 0.25F, -4.0F}) conv->mutable_weights()->add_floatvalue(w);
  conv->mutable_bias()->add_floatvalue(0.5F);
  conv->mutable_bias()->add_floatvalue(-0.5F);

  auto* custom_layer = classifier->add_layers();
  custom_layer->set_name("swish1");
  custom_layer->add_input("features");
  custom_layer->add_output("classProbability");
  auto* custom = custom_layer->mutable_custom();
  custom->set_classname("Swish");
  custom->add_weights()->set_float16value("\x00\x3c"s);  // 1.0 as a little-endian half
  (*custom->mutable_parameters())["beta"].set_doublevalue(1.5);
  custom->set_description("x * sigmoid(beta * x)");

  classifier->mutable_stringclasslabels()->add_vector("cat");
  classifier->mutable_stringclasslabels()->add_vector("dog");
  return model;
}

}  // namespace mlconv::test
