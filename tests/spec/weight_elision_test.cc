// Loading without weight values must describe every weight blob exactly as a
// full load does, and must reject what a full load rejects.
#include <doctest/doctest.h>

#include <google/protobuf/util/message_differencer.h>

#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/model_parts.h"
#include "spec/weight_elision.h"
#include "spec/weights.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

void collect_blobs(const google::protobuf::RepeatedPtrField<cml::NeuralNetworkLayer>& layers,
                   std::vector<spec::WeightBlob>& out) {
  for (const auto& layer : layers) {
    for (auto& blob : spec::layer_weights(layer)) out.push_back(blob);
    if (layer.has_loop()) {
      collect_blobs(layer.loop().conditionnetwork().layers(), out);
      collect_blobs(layer.loop().bodynetwork().layers(), out);
    }
    if (layer.has_branch()) {
      collect_blobs(layer.branch().ifbranch().layers(), out);
      collect_blobs(layer.branch().elsebranch().layers(), out);
    }
  }
}

std::vector<spec::WeightBlob> all_blobs(const cml::Model& model) {
  std::vector<spec::WeightBlob> blobs;
  if (const auto network = spec::network_of(model)) collect_blobs(network->layers, blobs);
  if (const auto* pipeline = spec::pipeline_of(model)) {
    for (const auto& sub : pipeline->models()) {
      auto inner = all_blobs(sub);
      blobs.insert(blobs.end(), inner.begin(), inner.end());
    }
  }
  return blobs;
}

}  // namespace

TEST_CASE("elided loads describe every weight blob of every real model like full loads") {
  for (const auto& path : real_models()) {
    CAPTURE(path);
    const spec::LoadedModel full = spec::load_model(path);
    spec::LoadOptions options;
    options.elide_weight_values_over = 16;
    const spec::LoadedModel elided = spec::load_model(path, options);
    CHECK(elided.weight_values_elided);
    CHECK(elided.size_bytes == full.size_bytes);
    CHECK(elided.unknown.empty());
    const auto full_blobs = all_blobs(full.model);
    const auto elided_blobs = all_blobs(elided.model);
    REQUIRE(full_blobs.size() == elided_blobs.size());
    std::size_t elided_count = 0;  // every model but the tiny colorizer has some
    for (std::size_t i = 0; i < full_blobs.size(); ++i) {
      CAPTURE(full_blobs[i].field);
      CHECK(elided_blobs[i].field == full_blobs[i].field);
      CHECK(elided_blobs[i].storage == full_blobs[i].storage);
      CHECK(elided_blobs[i].count == full_blobs[i].count);
      CHECK(elided_blobs[i].bytes == full_blobs[i].bytes);
      CHECK(elided_blobs[i].bits == full_blobs[i].bits);
      // Exactly the values longer than the threshold stay in the file.
      CHECK(elided_blobs[i].values_elided == (full_blobs[i].bytes > 16));
      elided_count += elided_blobs[i].values_elided;
    }
    CHECK((elided_count > 0) == (path.filename().string().find("colorizer") == std::string::npos));
  }
}

TEST_CASE("an elided blob cannot be decoded") {
  cml::NeuralNetworkLayer layer;
  layer.set_name("dense");
  auto* inner = layer.mutable_innerproduct();
  for (int i = 0; i < 100; ++i) inner->mutable_weights()->add_floatvalue(static_cast<float>(i));
  cml::Model model;
  model.set_specificationversion(1);
  *model.mutable_neuralnetwork()->add_layers() = layer;
  const std::string stripped = spec::strip_weight_values(spec::serialize_model(model), 64, 100);
  cml::Model reparsed;
  REQUIRE(reparsed.ParseFromString(stripped));
  CHECK(stripped.size() < 100);
  const auto blobs = spec::layer_weights(reparsed.neuralnetwork().layers(0));
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].values_elided);
  CHECK(blobs[0].storage == spec::WeightStorage::float32);
  CHECK(blobs[0].count == 100);
  CHECK_THROWS_WITH_AS(spec::decode_weights(blobs[0]),
                       "weights: weight values were not loaded (the model was read without them)", Error);
  // Below the threshold nothing is elided and the message is unchanged.
  const std::string kept = spec::strip_weight_values(spec::serialize_model(model), 1000, 100);
  cml::Model same;
  REQUIRE(same.ParseFromString(kept));
  CHECK(google::protobuf::util::MessageDifferencer::Equals(same, model));
}

TEST_CASE("stripping rejects truncated and over-deep input") {
  const std::string swish = read_file(realmodels_dir() / "hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel");
  for (const std::size_t cut : {std::size_t{1}, swish.size() / 3, swish.size() / 2, swish.size() - 1}) {
    CAPTURE(cut);
    CHECK_THROWS_AS(spec::strip_weight_values(std::string_view(swish).substr(0, cut), 16, 200), Error);
  }
  // Pipelines nested deeper than the limit allows (each level is two messages: Model, Pipeline).
  cml::Model deep;
  cml::Model* cursor = &deep;
  for (int i = 0; i < 150; ++i) {
    cursor->set_specificationversion(1);
    cursor = cursor->mutable_pipeline()->add_models();
  }
  cursor->set_specificationversion(1);
  const std::string nested = spec::serialize_model(deep);
  CHECK_THROWS_WITH_AS(spec::strip_weight_values(nested, 16, 200),
                       "not a valid protobuf message (truncated, corrupt, or with messages nested more than 200 deep); "
                       "expected a Core ML model (.mlmodel)",
                       Error);
}

}  // namespace mlconv::test
