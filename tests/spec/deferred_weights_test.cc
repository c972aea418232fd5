#include "spec/deferred_weights.h"

#include <doctest/doctest.h>
#include <google/protobuf/unknown_field_set.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spec/error.h"
#include "spec/model_io.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
using mlconv::test::read_file;
using mlconv::test::scratch_dir;

// Distinct values per tensor, so a payload written at the wrong place or from the wrong
// source changes the bytes.
std::shared_ptr<std::vector<float>> values(std::size_t count, float first) {
  auto out = std::make_shared<std::vector<float>>(count);
  for (std::size_t i = 0; i < count; ++i) (*out)[i] = first + static_cast<float>(i % 9973) * 0.5F;
  return out;
}

// Sets `params` to `data` in the expected model, or defers it in the model under test.
using WeightSetter = std::function<void(cml::WeightParams&, const std::shared_ptr<std::vector<float>>&)>;

// A model with weights in many places: before and after other fields of their message,
// two payloads back to back, inside a loop body, beside maps and unknown fields, and
// payloads that cross the 1 MiB output buffer.
cml::Model sample_model(const WeightSetter& set) {
  static const auto big = values(300000, 1.0F);    // 1.2 MB: crosses a buffer boundary
  static const auto second = values(262144, -7.0F);  // exactly 1 MiB, right after `big`
  static const auto body = values(5000, 3.0F);
  static const auto custom = values(70000, 0.25F);
  cml::Model model;
  model.set_specificationversion(4);
  auto& description = *model.mutable_description();
  description.add_input()->set_name("x");
  description.add_output()->set_name("y");
  (*description.mutable_metadata()->mutable_userdefined())["b"] = "2";
  (*description.mutable_metadata()->mutable_userdefined())["a"] = "1";
  auto& network = *model.mutable_neuralnetwork();

  auto& dense = *network.add_layers();
  dense.set_name("dense");
  dense.add_input("x");
  dense.add_output("h");
  auto& inner = *dense.mutable_innerproduct();
  inner.set_inputchannels(600);
  inner.set_outputchannels(500);
  inner.set_hasbias(true);
  set(*inner.mutable_weights(), big);
  inner.mutable_bias()->add_floatvalue(0.5F);

  auto& constant = *network.add_layers();
  constant.set_name("constant");
  constant.add_output("c");
  constant.mutable_loadconstantnd()->add_shape(second->size());
  set(*constant.mutable_loadconstantnd()->mutable_data(), second);
  constant.GetReflection()->MutableUnknownFields(&constant)->AddVarint(9999, 42);

  auto& loop = *network.add_layers();
  loop.set_name("loop");
  auto& body_layer = *loop.mutable_loop()->mutable_bodynetwork()->add_layers();
  body_layer.set_name("body_conv");
  body_layer.mutable_convolution()->set_outputchannels(5);
  set(*body_layer.mutable_convolution()->mutable_weights(), body);
  loop.mutable_loop()->set_maxloopiterations(3);

  auto& custom_layer = *network.add_layers();
  custom_layer.set_name("custom");
  auto& params = *custom_layer.mutable_custom();
  params.set_classname("Swish");
  (*params.mutable_parameters())["beta"].set_doublevalue(0.5);
  (*params.mutable_parameters())["alpha"].set_stringvalue("x");
  set(*params.add_weights(), custom);
  params.set_description("after the weights");
  return model;
}

std::string expected_bytes() {
  const cml::Model model = sample_model([](cml::WeightParams& p, const std::shared_ptr<std::vector<float>>& data) {
    p.mutable_floatvalue()->Add(data->begin(), data->end());
  });
  return mlconv::spec::serialize_model(model);
}

cml::Model deferred_model(mlconv::spec::DeferredWeights& deferred) {
  return sample_model([&](cml::WeightParams& p, const std::shared_ptr<std::vector<float>>& data) {
    deferred.defer(p, data->size(), data->data(), data);
  });
}

TEST_CASE("deferred weights: a saved model holds the deferred values at their places, byte for byte") {
  mlconv::spec::DeferredWeights deferred;
  cml::Model model = deferred_model(deferred);
  CHECK(deferred.size() == 4);
  const auto path = scratch_dir("deferred_weights") / "m.mlmodel";
  CHECK(mlconv::spec::save_model(model, path, deferred));  // written from the sources, not filled
  CHECK(read_file(path) == expected_bytes());
}

TEST_CASE("deferred weights: filling copies the values in, for callers that read them") {
  mlconv::spec::DeferredWeights deferred;
  cml::Model model = deferred_model(deferred);
  mlconv::spec::fill_deferred_weights(model, deferred);
  CHECK(mlconv::spec::serialize_model(model) == expected_bytes());
  CHECK(model.neuralnetwork().layers(0).innerproduct().weights().floatvalue(1) == 1.5F);
}

TEST_CASE("deferred weights: a model moved after deferring still saves, and a copy is refused") {
  mlconv::spec::DeferredWeights deferred;
  cml::Model original = deferred_model(deferred);
  cml::Model moved = std::move(original);
  const auto dir = scratch_dir("deferred_weights_moved");
  CHECK(mlconv::spec::save_model(moved, dir / "moved.mlmodel", deferred));
  CHECK(read_file(dir / "moved.mlmodel") == expected_bytes());

  // A copy holds the placeholders' indeterminate values, never the weights.
  cml::Model copy = moved;
  const std::string refusal =
      (dir / "copy.mlmodel").string() + ": internal error: 4 deferred weight(s) are no longer in the model being saved";
  CHECK_THROWS_WITH_AS(mlconv::spec::save_model(copy, dir / "copy.mlmodel", deferred), refusal.c_str(), mlconv::Error);
  CHECK_FALSE(std::filesystem::exists(dir / "copy.mlmodel"));
}

TEST_CASE("deferred weights: nothing deferred saves as save_model does") {
  mlconv::spec::DeferredWeights none;
  cml::Model model = sample_model([](cml::WeightParams& p, const std::shared_ptr<std::vector<float>>& data) {
    p.mutable_floatvalue()->Add(data->begin(), data->begin() + 10);
  });
  const auto path = scratch_dir("deferred_weights_none") / "m.mlmodel";
  CHECK(mlconv::spec::save_model(model, path, none));
  CHECK(read_file(path) == mlconv::spec::serialize_model(model));
}

}  // namespace
