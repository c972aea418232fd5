// Validation of whole models: the check registry, specification versions, the
// interface, classifier wiring and pipelines, and every real model. Each check
// gets a model broken in exactly one way, built here in code.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/validation/validator.h"
#include "tests/spec/validation/validation_builders.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using spec::validation::Finding;
using spec::validation::Severity;
using namespace validation_builders;

// A valid classifier: 'x' -> softmax -> 'probs', labels a and b, outputs 'label' and 'labelProbability'.
cml::Model classifier_model() {
  cml::Model model;
  model.set_specificationversion(1);
  cml::ModelDescription* description = model.mutable_description();
  add_array(description->mutable_input(), "x");
  cml::FeatureDescription* label = description->add_output();
  label->set_name("label");
  label->mutable_type()->mutable_stringtype();
  cml::FeatureDescription* probabilities = description->add_output();
  probabilities->set_name("labelProbability");
  probabilities->mutable_type()->mutable_dictionarytype()->mutable_stringkeytype();
  description->set_predictedfeaturename("label");
  description->set_predictedprobabilitiesname("labelProbability");
  cml::NeuralNetworkClassifier* classifier = model.mutable_neuralnetworkclassifier();
  classifier->mutable_stringclasslabels()->add_vector("a");
  classifier->mutable_stringclasslabels()->add_vector("b");
  cml::NeuralNetworkLayer* layer = classifier->add_layers();
  layer->set_name("softmax");
  layer->add_input("x");
  layer->add_output("probs");
  layer->mutable_softmax();
  return model;
}

}  // namespace

TEST_CASE("validation: check codes are unique, well-formed and documented in docs/troubleshooting.md") {
  // The code table there is generated from spec/validation/code_catalog.cc (tests/cli/finding_codes_doc_test.cc).
  const std::string docs = read_file(source_dir() / "docs" / "troubleshooting.md");
  std::set<std::string_view> codes;
  for (const auto& check : spec::validation::all_checks().checks()) {
    CAPTURE(check.code);
    CHECK(codes.insert(check.code).second);
    REQUIRE(check.code.size() == 4);
    CHECK(check.code[0] == (check.severity == Severity::error ? 'E' : 'W'));
    CHECK(!check.title.empty());
    CHECK(docs.find("<a id=\"" + std::string(check.code) + "\"></a>" + std::string(check.code) + " |") != std::string::npos);
  }
  CHECK(codes.size() >= 30);
  spec::validation::CheckList list;
  list.add({"E999", Severity::error, "a rule", [](const spec::validation::ModelScope&, spec::validation::Reporter&) {}});
  CHECK_THROWS_AS(list.add({"E999", Severity::error, "again", nullptr}), Error);
}

TEST_CASE("validation: the sample models built here are valid") {
  CHECK(spec::validation::validate_model(network_model()).empty());
  CHECK(spec::validation::validate_model(classifier_model()).empty());
}

TEST_CASE("validation: every real model validates without errors") {
  for (const auto& path : real_models()) {
    CAPTURE(path.filename().string());
    spec::LoadOptions options;
    options.elide_weight_values_over = 1024;
    const auto findings = spec::validation::validate_model(spec::load_model(path, options).model);
    for (const Finding& finding : findings) {
      CAPTURE(finding.where);
      CAPTURE(finding.message);
      CHECK(finding.severity == Severity::warning);
    }
  }
}

TEST_CASE("validation E001: specificationVersion must be known") {
  cml::Model model = network_model();
  model.set_specificationversion(0);
  const Finding f = only(spec::validation::validate_model(model), "E001");
  CHECK(f.severity == Severity::error);
  CHECK(f.where == "model");
  CHECK(f.message == "specificationVersion 0 is not a Core ML specification version (1 to 10)");
  CHECK(f.hint == "set specificationVersion to 1 (iOS 11), the lowest this model's content allows");
  model.set_specificationversion(11);
  CHECK(has(spec::validation::validate_model(model), "E001"));
}

TEST_CASE("validation E002: specificationVersion below what the content needs names the reason") {
  cml::Model model = network_model();
  cml::NeuralNetworkLayer* layer = model.mutable_neuralnetwork()->mutable_layers(0);
  layer->set_name("swish");
  layer->mutable_custom()->set_classname("Swish");
  const Finding f = only(spec::validation::validate_model(model), "E002");
  CHECK(f.where == "model");
  CHECK(f.message ==
        "specificationVersion 1 (iOS 11) is below 2 (iOS 11.2), the lowest the content allows: layer 'swish' (custom) "
        "needs 2 (iOS 11.2) for custom layers");
  model.set_specificationversion(2);
  CHECK(spec::validation::validate_model(model).empty());
}

TEST_CASE("validation E003: a model needs a type") {
  cml::Model model = network_model();
  model.clear_neuralnetwork();
  const Finding f = only(spec::validation::validate_model(model), "E003");
  CHECK(f.where == "model");
  CHECK(f.message == "the model has no type: none of the Model.Type fields (neuralNetwork, pipeline, ...) is set");
}

TEST_CASE("validation E010: inputs and outputs need names") {
  cml::Model model = network_model();
  model.mutable_description()->mutable_input(0)->clear_name();
  const Finding f = only(spec::validation::validate_model(model), "E010");
  CHECK(f.where == "input #0");
  CHECK(f.message == "the feature has no name; inputs and outputs are bound by name");
}

TEST_CASE("validation E011: input names and output names are unique") {
  cml::Model model = network_model();
  add_array(model.mutable_description()->mutable_output(), "y");
  const Finding f = only(spec::validation::validate_model(model), "E011");
  CHECK(f.where == "output 'y'");
  CHECK(f.message == "another output has the same name; names must be unique");
}

TEST_CASE("validation E012: inputs and outputs need a type") {
  cml::Model model = network_model();
  model.mutable_description()->mutable_input(0)->clear_type();
  const Finding f = only(spec::validation::validate_model(model), "E012");
  CHECK(f.where == "input 'x'");
  CHECK(f.message == "the feature has no type: none of the FeatureType fields is set");
}

TEST_CASE("validation E013: a neural network's inputs are arrays or images") {
  cml::Model model = network_model();
  model.mutable_description()->mutable_input(0)->mutable_type()->mutable_int64type();
  const Finding f = only(spec::validation::validate_model(model), "E013");
  CHECK(f.where == "input 'x'");
  CHECK(f.message ==
        "a neuralNetwork model cannot have an input of type int64Type; allowed: multiArrayType, imageType, stateType");
}

TEST_CASE("validation E014: a neural network's output types depend on the model type") {
  cml::Model model = network_model();
  model.mutable_description()->mutable_output(0)->mutable_type()->mutable_doubletype();
  const Finding f = only(spec::validation::validate_model(model), "E014");
  CHECK(f.where == "output 'y'");
  CHECK(f.message == "a neuralNetwork model cannot have an output of type doubleType; allowed: multiArrayType, imageType");
  // A classifier may output its label as a string; a plain network may not.
  CHECK(!has(spec::validation::validate_model(classifier_model()), "E014"));
  model = network_model();
  model.mutable_description()->mutable_output(0)->mutable_type()->mutable_stringtype();
  CHECK(has(spec::validation::validate_model(model), "E014"));
}

TEST_CASE("validation E015: a model needs inputs before specification version 9") {
  cml::Model model = network_model();
  model.mutable_description()->clear_input();
  const Finding f = only(spec::validation::validate_model(model), "E015");
  CHECK(f.where == "model");
  CHECK(f.message == "the model has no inputs; models without inputs need specificationVersion 9 or later");
  model.set_specificationversion(9);
  CHECK(!has(spec::validation::validate_model(model), "E015"));
}

TEST_CASE("validation E016: a model needs outputs") {
  cml::Model model = network_model();
  model.mutable_description()->clear_output();
  const Finding f = only(spec::validation::validate_model(model), "E016");
  CHECK(f.where == "model");
  CHECK(f.message == "the model has no outputs; every model must declare at least one");
}

TEST_CASE("validation E030: a neural network classifier needs class labels") {
  cml::Model model = classifier_model();
  model.mutable_neuralnetworkclassifier()->clear_stringclasslabels();
  const Finding f = only(spec::validation::validate_model(model), "E030");
  CHECK(f.where == "model");
  CHECK(f.message == "a neuralNetworkClassifier must list its class labels (stringClassLabels or int64ClassLabels)");
}

TEST_CASE("validation E031: predictedFeatureName names an output of the labels' type") {
  cml::Model model = classifier_model();
  model.mutable_description()->set_predictedfeaturename("classLabel");
  Finding f = only(spec::validation::validate_model(model), "E031");
  CHECK(f.where == "model");
  CHECK(f.message == "predictedFeatureName 'classLabel' is not one of the model's outputs");

  model = classifier_model();
  model.mutable_description()->mutable_output(0)->mutable_type()->mutable_int64type();
  f = only(spec::validation::validate_model(model), "E031");
  CHECK(f.where == "output 'label'");
  CHECK(f.message == "the predicted label output must have type stringType to match the class labels, not int64Type");

  model = classifier_model();
  model.mutable_description()->clear_predictedfeaturename();
  f = only(spec::validation::validate_model(model), "E031");
  CHECK(f.message == "a classifier must name the output of its predicted label in predictedFeatureName");
}

TEST_CASE("validation E032: predictedProbabilitiesName names an output") {
  cml::Model model = classifier_model();
  model.mutable_description()->set_predictedprobabilitiesname("scores");
  const Finding f = only(spec::validation::validate_model(model), "E032");
  CHECK(f.where == "model");
  CHECK(f.message == "predictedProbabilitiesName 'scores' is not one of the model's outputs");
}

TEST_CASE("validation E033: labelProbabilityLayerName is produced by a layer") {
  cml::Model model = classifier_model();
  model.mutable_neuralnetworkclassifier()->set_labelprobabilitylayername("softmax_out");
  const Finding f = only(spec::validation::validate_model(model), "E033");
  CHECK(f.where == "model");
  CHECK(f.message == "labelProbabilityLayerName 'softmax_out' is not the output of any layer");
  model.mutable_neuralnetworkclassifier()->set_labelprobabilitylayername("probs");
  CHECK(spec::validation::validate_model(model).empty());
}

namespace {

// A pipeline 'x' -> model 0 ('x' -> 'y') -> model 1 ('y' -> 'z') -> 'z'.
cml::Model pipeline_model() {
  cml::Model model;
  model.set_specificationversion(1);
  add_array(model.mutable_description()->mutable_input(), "x");
  add_array(model.mutable_description()->mutable_output(), "z");
  cml::Model* first = model.mutable_pipeline()->add_models();
  *first = network_model();
  cml::Model* second = model.mutable_pipeline()->add_models();
  *second = network_model();
  second->mutable_description()->mutable_input(0)->set_name("y");
  second->mutable_description()->mutable_output(0)->set_name("z");
  second->mutable_neuralnetwork()->mutable_layers(0)->set_input(0, "y");
  second->mutable_neuralnetwork()->mutable_layers(0)->set_output(0, "z");
  return model;
}

}  // namespace

TEST_CASE("validation: pipeline sub-models are validated, their findings prefixed") {
  cml::Model model = pipeline_model();
  CHECK(spec::validation::validate_model(model).empty());
  model.mutable_pipeline()->mutable_models(1)->mutable_neuralnetwork()->mutable_layers(0)->set_input(0, "w");
  const Finding f = only(spec::validation::validate_model(model), "E022");
  CHECK(f.where == "pipeline model 1: layer 'relu' (activation)");
  CHECK(f.layer_name == "relu");
  CHECK(f.layer_type == "activation");
}

TEST_CASE("validation E050: a pipeline needs models") {
  cml::Model model = pipeline_model();
  model.mutable_pipeline()->clear_models();
  const Finding f = only(spec::validation::validate_model(model), "E050");
  CHECK(f.where == "model");
  CHECK(f.message == "the pipeline has no models; it needs at least one");
}

TEST_CASE("validation E051: sub-model inputs come from the pipeline or earlier sub-models") {
  cml::Model model = pipeline_model();
  // Reading 'z', which only the sub-model itself produces, is not possible.
  model.mutable_pipeline()->mutable_models(1)->mutable_description()->mutable_input(0)->set_name("z");
  const Finding f = only(spec::validation::validate_model(model), "E051");
  CHECK(f.where == "pipeline model 1: input 'z'");
  CHECK(f.message == "the sub-model's input is neither a pipeline input nor an output of an earlier sub-model");
}

TEST_CASE("validation E052: pipeline outputs come from a sub-model") {
  cml::Model model = pipeline_model();
  model.mutable_description()->mutable_output(0)->set_name("result");
  const Finding f = only(spec::validation::validate_model(model), "E052");
  CHECK(f.where == "output 'result'");
  CHECK(f.message == "the pipeline output is neither a pipeline input nor an output of any sub-model");
}

}  // namespace mlconv::test
