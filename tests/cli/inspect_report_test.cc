// The inspect report in-process: a load without weight values (what inspect
// does unless --weights) must give the same report as a full load.
#include <doctest/doctest.h>

#include <sstream>

#include "cli/inspect_report.h"
#include "cli/inspect_text.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace mlconv::test {

TEST_CASE("inspect reports the same with and without weight values loaded") {
  for (const auto& path : real_models()) {
    CAPTURE(path);
    const auto full = cli::build_inspect_report(spec::load_model(path), {});
    spec::LoadOptions options;
    options.elide_weight_values_over = 1024;
    const auto elided = cli::build_inspect_report(spec::load_model(path, options), {});
    CHECK(full == elided);
  }
}

TEST_CASE("number formatting for people") {
  CHECK(cli::group_thousands(0) == "0");
  CHECK(cli::group_thousands(999) == "999");
  CHECK(cli::group_thousands(1000) == "1,000");
  CHECK(cli::group_thousands(1234567) == "1,234,567");
  CHECK(cli::human_bytes(1) == "1 byte");
  CHECK(cli::human_bytes(952) == "952 bytes");
  CHECK(cli::human_bytes(1558) == "1.56 kB");
  CHECK(cli::human_bytes(524288000) == "524 MB");
  CHECK(cli::shortest_double(0.01F) == 0.01);
  CHECK(cli::json_number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(cli::json_number(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

}  // namespace mlconv::test

namespace mlconv::test {

namespace {

namespace cml = CoreML::Specification;

cml::NeuralNetworkLayer relu(const std::string& name, const std::string& in, const std::string& out) {
  cml::NeuralNetworkLayer layer;
  layer.set_name(name);
  layer.add_input(in);
  layer.add_output(out);
  layer.mutable_activation()->mutable_relu();
  return layer;
}

}  // namespace

TEST_CASE("loop sub-networks are nested in the report and indented in the text view") {
  spec::LoadedModel loaded;
  loaded.origin = "loop.mlmodel";
  loaded.size_bytes = 100;
  cml::Model& model = loaded.model;
  model.set_specificationversion(4);
  auto* input = model.mutable_description()->add_input();
  input->set_name("x");
  input->mutable_type()->mutable_multiarraytype()->add_shape(4);
  auto* network = model.mutable_neuralnetwork();
  network->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
  *network->add_layers() = relu("first", "x", "a");
  auto* loop_layer = network->add_layers();
  loop_layer->set_name("repeat");
  loop_layer->add_input("a");
  loop_layer->add_output("b");
  loop_layer->mutable_loop()->set_maxloopiterations(3);
  *loop_layer->mutable_loop()->mutable_bodynetwork()->add_layers() = relu("inner", "a", "a2");
  auto* custom = loop_layer->mutable_loop()->mutable_bodynetwork()->add_layers();
  custom->set_name("swish_in_loop");
  custom->mutable_custom()->set_classname("Swish");

  const auto report = cli::build_inspect_report(loaded, {});
  CHECK(report["layerCount"] == 4);
  CHECK(report["layerTypes"]["activation"] == 2);
  REQUIRE(report["layers"].size() == 2);
  const auto& body = report["layers"][1]["subnetworks"]["bodyNetwork"]["layers"];
  REQUIRE(body.size() == 2);
  CHECK(body[0]["name"] == "inner");
  CHECK(body[1]["className"] == "Swish");
  REQUIRE(report["customLayers"].size() == 1);
  CHECK(report["customLayers"][0]["layers"] == nlohmann::ordered_json::array({"swish_in_loop"}));
  CHECK(report["minimumSpecificationVersion"] == 4);

  std::ostringstream text;
  cli::render_inspect_text(report, {.layers = true}, text);
  const std::string out = text.str();
  CAPTURE(out);
  CHECK(out.find("\n     1  repeat  loop        a -> b  maxLoopIterations=3\n"
                 "        bodyNetwork:\n"
                 "             0  inner          activation  a -> a2  type=ReLU\n"
                 "             1  swish_in_loop  custom       ->      className=Swish\n") != std::string::npos);
}

}  // namespace mlconv::test
