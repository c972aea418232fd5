// Validation of a neural network's graph and layers: data flow (including loop
// and branch sub-networks), names, custom layers and weight storage. Each check
// gets a network broken in exactly one way, built here in code.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include "spec/validation/validator.h"
#include "tests/spec/validation/validation_builders.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using spec::validation::Finding;
using spec::validation::Severity;
using namespace validation_builders;

cml::NeuralNetworkLayer& layer0(cml::Model& model) { return *model.mutable_neuralnetwork()->mutable_layers(0); }

// A spec-3 network whose only layer is an innerProduct with the given weights: 'x' -> 'y'.
cml::Model weights_model(const std::function<void(cml::WeightParams&)>& set_weights) {
  cml::Model model = network_model(3);
  cml::NeuralNetworkLayer& layer = layer0(model);
  layer.set_name("fc");
  layer.mutable_innerproduct()->set_inputchannels(3);
  layer.mutable_innerproduct()->set_outputchannels(3);
  set_weights(*layer.mutable_innerproduct()->mutable_weights());
  return model;
}

std::vector<Finding> validate(const cml::Model& model) { return spec::validation::validate_model(model); }

}  // namespace

TEST_CASE("validation E020: a neural network needs layers") {
  cml::Model model = network_model();
  model.mutable_neuralnetwork()->clear_layers();
  const Finding f = only(validate(model), "E020");
  CHECK(f.where == "model");
  CHECK(f.message == "the neural network has no layers; it needs at least one");
}

TEST_CASE("validation E021: every layer has a type") {
  cml::Model model = network_model();
  layer0(model).clear_activation();
  const Finding f = only(validate(model), "E021");
  CHECK(f.where == "layer 'relu' (no type)");
  CHECK(f.layer_name == "relu");
  CHECK(f.layer_type == "");
  CHECK(f.message == "the layer has no type: none of the layer fields (convolution, custom, ...) is set");
}

TEST_CASE("validation E022: layer inputs are produced before use") {
  cml::Model model = network_model();
  add_relu(model.mutable_neuralnetwork()->mutable_layers(), "late", "x", "t");
  layer0(model).set_input(0, "t");  // reads what the next layer writes
  const Finding f = only(validate(model), "E022");
  CHECK(f.severity == Severity::error);
  CHECK(f.where == "layer 'relu' (activation)");
  CHECK(f.layer_name == "relu");
  CHECK(f.layer_type == "activation");
  CHECK(f.message == "input 't' is neither a model input nor produced by an earlier layer");
  CHECK(f.hint == "order the layers so that 't' is produced before this layer, or fix the name");
}

TEST_CASE("validation E022: loop and branch sub-networks see the enclosing blobs") {
  cml::Model model = network_model(4);
  auto* layers = model.mutable_neuralnetwork()->mutable_layers();
  layers->Clear();
  add_relu(layers, "pre", "x", "a");
  cml::NeuralNetworkLayer* loop = layers->Add();
  loop->set_name("loop1");
  loop->mutable_loop()->set_maxloopiterations(2);
  auto* body = loop->mutable_loop()->mutable_bodynetwork()->mutable_layers();
  add_relu(body, "inner", "a", "b");  // 'a' comes from the enclosing network
  cml::NeuralNetworkLayer* copy = body->Add();
  copy->set_name("write_back");
  copy->add_input("b");
  copy->add_output("a");  // a copy layer may write an existing blob
  copy->mutable_copy();
  add_relu(layers, "post", "b", "y");  // what the body produced is visible after the loop
  CHECK(!has(validate(model), "E022"));
  CHECK(!has(validate(model), "E023"));

  body->Mutable(0)->set_input(0, "missing");
  const Finding f = only(validate(model), "E022");
  CHECK(f.where == "layer 'loop1' (loop), bodyNetwork: layer 'inner' (activation)");
  CHECK(f.layer_name == "inner");
}

TEST_CASE("validation E023: a blob has one producer, except for copy layers") {
  cml::Model model = network_model();
  add_relu(model.mutable_neuralnetwork()->mutable_layers(), "again", "x", "y");
  const Finding f = only(validate(model), "E023");
  CHECK(f.where == "layer 'again' (activation)");
  CHECK(f.message ==
        "output 'y' is already a model input or produced by an earlier layer; only copy layers may write a blob again");
  cml::NeuralNetworkLayer& again = *model.mutable_neuralnetwork()->mutable_layers(1);
  again.mutable_copy();
  CHECK(!has(validate(model), "E023"));
}

TEST_CASE("validation E024: every model output is produced by a layer") {
  cml::Model model = network_model();
  add_array(model.mutable_description()->mutable_output(), "extra");
  const Finding f = only(validate(model), "E024");
  CHECK(f.where == "output 'extra'");
  CHECK(f.message == "no layer produces this model output");
}

TEST_CASE("validation W020: layers have names") {
  cml::Model model = network_model();
  layer0(model).clear_name();
  const Finding f = only(validate(model), "W020");
  CHECK(f.severity == Severity::warning);
  CHECK(f.where == "layer #0 (activation)");
  CHECK(f.message == "the layer has no name; errors and profiles from Core ML cannot point at it");
}

TEST_CASE("validation W021: layer names are unique") {
  cml::Model model = network_model();
  add_relu(model.mutable_neuralnetwork()->mutable_layers(), "relu", "y", "z");
  add_array(model.mutable_description()->mutable_output(), "z");
  const auto findings = validate(model);
  const Finding f = only(findings, "W021");
  CHECK(f.where == "layer 'relu' (activation)");
  CHECK(f.message == "an earlier layer has the same name; layer names should be unique");
  CHECK(!has(findings, "W023"));
}

TEST_CASE("validation W022: every model input is read") {
  cml::Model model = network_model();
  add_array(model.mutable_description()->mutable_input(), "unused");
  const Finding f = only(validate(model), "W022");
  CHECK(f.severity == Severity::warning);
  CHECK(f.where == "input 'unused'");
  CHECK(f.message == "no layer reads this model input");
}

TEST_CASE("validation W023: a layer whose outputs nobody reads is dead") {
  cml::Model model = network_model();
  add_relu(model.mutable_neuralnetwork()->mutable_layers(), "side", "x", "t");
  const Finding f = only(validate(model), "W023");
  CHECK(f.where == "layer 'side' (activation)");
  CHECK(f.layer_name == "side");
  CHECK(f.message == "no layer reads this layer's outputs and none of them is a model output");
}

TEST_CASE("validation E040 and E041: custom layers name their class and are wired") {
  cml::Model model = network_model(2);
  layer0(model).set_name("swish");
  layer0(model).mutable_custom();
  Finding f = only(validate(model), "E040");
  CHECK(f.where == "layer 'swish' (custom)");
  CHECK(f.layer_type == "custom");
  CHECK(f.message == "a custom layer must name the class that implements it (className is empty)");

  layer0(model).mutable_custom()->set_classname("Swish");
  CHECK(validate(model).empty());
  layer0(model).clear_output();
  f = only(validate(model), "E041");
  CHECK(f.where == "layer 'swish' (custom)");
  CHECK(f.message == "a custom layer needs at least one input and one output; this one has no outputs");
}

TEST_CASE("validation E042: a weight blob uses one storage field") {
  const cml::Model model = weights_model([](cml::WeightParams& w) {
    for (int i = 0; i < 9; ++i) w.add_floatvalue(1.0F);
    w.set_float16value(std::string(18, '\0'));
  });
  const Finding f = only(validate(model), "E042");
  CHECK(f.where == "layer 'fc' (innerProduct)");
  CHECK(f.message ==
        "weight blob 'weights' stores values in more than one of floatValue, float16Value, rawValue and int8RawValue; "
        "exactly one may be set");
}

TEST_CASE("validation E043: float16 weights have an even byte length") {
  cml::Model model = weights_model([](cml::WeightParams& w) { w.set_float16value(std::string(17, '\0')); });
  const Finding f = only(validate(model), "E043");
  CHECK(f.where == "layer 'fc' (innerProduct)");
  CHECK(f.message ==
        "weight blob 'weights' holds 17 bytes of float16Value; half floats take 2 bytes each, so the length must be "
        "even");
  model = weights_model([](cml::WeightParams& w) { w.set_float16value(std::string(18, '\0')); });
  CHECK(validate(model).empty());
}

TEST_CASE("validation E044: quantized weights use 1 to 8 bits") {
  const cml::Model model = weights_model([](cml::WeightParams& w) {
    w.set_rawvalue(std::string(9, '\0'));
    w.mutable_quantization()->set_numberofbits(9);
    w.mutable_quantization()->mutable_linearquantization()->add_scale(1.0F);
    w.mutable_quantization()->mutable_linearquantization()->add_bias(0.0F);
  });
  const Finding f = only(validate(model), "E044");
  CHECK(f.where == "layer 'fc' (innerProduct)");
  CHECK(f.message == "weight blob 'weights' is quantized with numberOfBits 9; quantized weights use 1 to 8 bits");
}

TEST_CASE("validation E045: a lookup table has 2^bits entries") {
  const auto lut_model = [](int entries) {
    return weights_model([entries](cml::WeightParams& w) {
      w.set_rawvalue(std::string(3, '\0'));  // 9 codes of 2 bits, padded
      w.mutable_quantization()->set_numberofbits(2);
      for (int i = 0; i < entries; ++i) w.mutable_quantization()->mutable_lookuptablequantization()->add_floatvalue(1.0F);
    });
  };
  const Finding f = only(validate(lut_model(3)), "E045");
  CHECK(f.where == "layer 'fc' (innerProduct)");
  CHECK(f.message == "weight blob 'weights' has a lookup table of 3 entries; with 2-bit codes it must have 2^2 = 4");
  CHECK(validate(lut_model(4)).empty());
}

}  // namespace mlconv::test
