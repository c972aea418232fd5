// LayerWeights::view: float32 weights are read in place (the pointer is the
// model's own storage), other storage is decoded into the caller's vector, and
// both get get()'s checks.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "executor/layer_weights.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

Layer inner_product_layer() {
  Layer layer;
  layer.set_name("fc");
  auto* p = layer.mutable_innerproduct();
  p->set_inputchannels(2);
  p->set_outputchannels(2);
  for (float v : {1.0F, -2.0F, 3.5F, 0.25F}) p->mutable_weights()->add_floatvalue(v);
  // Half floats 1.0 and -2.0, little-endian.
  p->set_hasbias(true);
  p->mutable_bias()->set_float16value(std::string("\x00\x3c\x00\xc0", 4));
  return layer;
}

TEST_CASE("LayerWeights::view reads float32 in place and decodes other storage") {
  const Layer layer = inner_product_layer();
  const LayerWeights weights(layer);
  std::vector<float> decoded;
  const std::span<const float> plain = weights.view("weights", 4, decoded);
  CHECK(plain.data() == layer.innerproduct().weights().floatvalue().data());
  CHECK(plain.size() == 4);
  CHECK(decoded.empty());
  CHECK(plain[2] == 3.5F);

  const std::span<const float> bias = weights.view("bias", 2, decoded);
  CHECK(bias.data() == decoded.data());
  REQUIRE(bias.size() == 2);
  CHECK(bias[0] == 1.0F);
  CHECK(bias[1] == -2.0F);
}

TEST_CASE("LayerWeights::view checks the count and the values like get()") {
  Layer layer = inner_product_layer();
  std::vector<float> decoded;
  CHECK_THROWS_WITH_AS((void)LayerWeights(layer).view("weights", 6, decoded),
                       "weights 'weights' hold 4 values; expected 6", Error);
  layer.mutable_innerproduct()->mutable_weights()->set_floatvalue(1, std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_WITH_AS((void)LayerWeights(layer).view("weights", 4, decoded),
                       "weights 'weights' hold NaN at element 1; the model's weights are corrupt", Error);
  CHECK_THROWS_WITH_AS((void)LayerWeights(layer).view("absent", -1, decoded), "weights 'absent' are missing", Error);
}

TEST_CASE("LayerWeights keeps infinities: a -inf additive mask is a deliberate value") {
  Layer layer = inner_product_layer();
  layer.mutable_innerproduct()->mutable_weights()->set_floatvalue(1, -std::numeric_limits<float>::infinity());
  std::vector<float> decoded;
  const std::span<const float> weights = LayerWeights(layer).view("weights", 4, decoded);
  REQUIRE(weights.size() == 4);
  CHECK(weights[1] == -std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace mlconv::exec
