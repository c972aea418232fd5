#include "spec/weights.h"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/model_parts.h"
#include "tests/support/test_support.h"

namespace {

namespace cml = CoreML::Specification;
using mlconv::spec::decode_weights;
using mlconv::spec::element_type_name;
using mlconv::spec::half_to_float;
using mlconv::spec::layer_weights;
using mlconv::spec::WeightBlob;
using mlconv::spec::WeightStorage;
using Layer = cml::NeuralNetworkLayer;

// binary16 from its definition, computed in double (where every half is exact)
// and only then narrowed: an independent reference for half_to_float.
float reference_half(std::uint16_t half) {
  const bool negative = (half & 0x8000U) != 0;
  const int exponent = (half >> 10) & 0x1f;
  const int mantissa = half & 0x3ff;
  double magnitude = 0;
  if (exponent == 0x1f) {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  } else {
    magnitude = std::ldexp(static_cast<double>(1024 + mantissa), exponent - 25);
  }
  return static_cast<float>(negative ? -magnitude : magnitude);
}

// Half floats as float16Value stores them: little-endian.
std::string halves(std::initializer_list<std::uint16_t> values) {
  std::string bytes;
  for (const std::uint16_t v : values) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>(v >> 8));
  }
  return bytes;
}

std::string bytes_of(std::initializer_list<unsigned> values) {
  std::string bytes;
  for (const unsigned v : values) bytes.push_back(static_cast<char>(v));
  return bytes;
}

void check_values(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(actual[i] == expected[i]);
  }
}

struct NamedLayer {
  std::string where;
  const Layer* layer;
};

// Every layer of a model: pipeline stages and loop/branch sub-networks included.
void all_layers(const google::protobuf::RepeatedPtrField<Layer>& layers, const std::string& where,
                std::vector<NamedLayer>& out);

void all_layers(const cml::NeuralNetwork& network, const std::string& where, std::vector<NamedLayer>& out) {
  all_layers(network.layers(), where, out);
}

void all_layers(const google::protobuf::RepeatedPtrField<Layer>& layers, const std::string& where,
                std::vector<NamedLayer>& out) {
  for (const Layer& layer : layers) {
    const std::string here = where + "/" + layer.name();
    out.push_back({here, &layer});
    if (layer.has_loop()) {
      all_layers(layer.loop().conditionnetwork(), here, out);
      all_layers(layer.loop().bodynetwork(), here, out);
    }
    if (layer.has_branch()) {
      all_layers(layer.branch().ifbranch(), here, out);
      all_layers(layer.branch().elsebranch(), here, out);
    }
  }
}

void all_layers(const cml::Model& model, const std::string& where, std::vector<NamedLayer>& out) {
  if (const auto network = mlconv::spec::network_of(model)) all_layers(network->layers, where, out);
  if (const cml::Pipeline* pipeline = mlconv::spec::pipeline_of(model)) {
    for (int i = 0; i < pipeline->models_size(); ++i) {
      all_layers(pipeline->models(i), where + "/pipeline model " + std::to_string(i), out);
    }
  }
}

}  // namespace

TEST_CASE("weights: half_to_float on known bit patterns") {
  CHECK(half_to_float(0x3c00) == 1.0F);
  CHECK(half_to_float(0xc000) == -2.0F);
  CHECK(half_to_float(0x7bff) == 65504.0F);              // largest finite half
  CHECK(half_to_float(0x0001) == std::ldexp(1.0F, -24));  // smallest subnormal
  CHECK(half_to_float(0x03ff) == std::ldexp(1023.0F, -24));  // largest subnormal
  CHECK(half_to_float(0x0400) == std::ldexp(1.0F, -14));  // smallest normal
  CHECK(half_to_float(0x3555) == 0.333251953125F);        // 1365 / 4096, the half nearest 1/3
  CHECK(half_to_float(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(half_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_to_float(0x7e00)));
  CHECK(std::isnan(half_to_float(0xfc01)));
  const float negative_zero = half_to_float(0x8000);
  CHECK(negative_zero == 0.0F);
  CHECK(std::signbit(negative_zero));
  CHECK_FALSE(std::signbit(half_to_float(0x0000)));
}

TEST_CASE("weights: half_to_float agrees with the binary16 definition for all 65536 patterns") {
  int mismatches = 0;
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto half = static_cast<std::uint16_t>(bits);
    const float actual = half_to_float(half);
    const float expected = reference_half(half);
    const bool same = std::isnan(expected)
                          ? std::isnan(actual) && std::signbit(actual) == std::signbit(expected)
                          : std::bit_cast<std::uint32_t>(actual) == std::bit_cast<std::uint32_t>(expected);
    if (!same && mismatches++ < 5) FAIL_CHECK("half 0x" << std::hex << bits << ": " << actual << " vs " << expected);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("weights: a convolution's weights and bias") {
  Layer layer;
  auto* conv = layer.mutable_convolution();
  conv->set_outputchannels(2);
  conv->set_kernelchannels(3);
  conv->add_kernelsize(3);
  conv->add_kernelsize(3);
  conv->set_hasbias(true);
  for (int i = 0; i < 2 * 3 * 3 * 3; ++i) conv->mutable_weights()->add_floatvalue(static_cast<float>(i));
  conv->mutable_bias()->add_floatvalue(0.5F);
  conv->mutable_bias()->add_floatvalue(-0.5F);

  const std::vector<WeightBlob> blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 2);
  CHECK(blobs[0].field == "weights");
  CHECK(blobs[0].params == &conv->weights());
  CHECK(blobs[0].storage == WeightStorage::float32);
  CHECK(element_type_name(blobs[0]) == "float32");
  CHECK(blobs[0].bits == 32);
  CHECK(blobs[0].count == 54);
  CHECK(blobs[0].bytes == 216);
  CHECK(blobs[1].field == "bias");
  CHECK(blobs[1].params == &conv->bias());
  CHECK(blobs[1].count == 2);
  CHECK(blobs[1].bytes == 8);
  const std::vector<float> weights = decode_weights(blobs[0]);
  REQUIRE(weights.size() == 54);
  CHECK(weights.front() == 0.0F);
  CHECK(weights.back() == 53.0F);
  check_values(decode_weights(blobs[1]), {0.5F, -0.5F});
}

TEST_CASE("weights: a layer without weights, and a layer without a type") {
  Layer layer;
  CHECK(layer_weights(layer).empty());
  layer.mutable_activation()->mutable_relu();
  CHECK(layer_weights(layer).empty());
  // A weight message that is present but holds nothing is still a blob, and empty.
  layer.mutable_innerproduct()->mutable_weights();
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::empty);
  CHECK(element_type_name(blobs[0]) == "empty");
  CHECK(blobs[0].count == 0);
  CHECK(decode_weights(blobs[0]).empty());
}

TEST_CASE("weights: a custom layer's repeated weights are numbered, its parameters are not weights") {
  Layer layer;
  auto* custom = layer.mutable_custom();
  custom->set_classname("Swish");
  (*custom->mutable_parameters())["beta"].set_doublevalue(1.0);
  custom->add_weights()->add_floatvalue(2.0F);
  custom->add_weights()->set_float16value(halves({0x3c00, 0xc000}));
  custom->add_weights()->set_rawvalue(bytes_of({1, 2, 3}));

  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 3);
  CHECK(blobs[0].field == "weights[0]");
  CHECK(blobs[0].storage == WeightStorage::float32);
  CHECK(blobs[0].count == 1);
  CHECK(blobs[1].field == "weights[1]");
  CHECK(blobs[1].storage == WeightStorage::float16);
  CHECK(blobs[1].count == 2);
  CHECK(blobs[2].field == "weights[2]");
  CHECK(blobs[2].storage == WeightStorage::raw_bytes);
  CHECK(element_type_name(blobs[2]) == "bytes");
  CHECK(blobs[2].count == 3);
  CHECK(blobs[2].bytes == 3);
  check_values(decode_weights(blobs[0]), {2.0F});
  check_values(decode_weights(blobs[1]), {1.0F, -2.0F});
}

TEST_CASE("weights: PReLU alpha is found inside the activation's oneof") {
  Layer layer;
  auto* alpha = layer.mutable_activation()->mutable_prelu()->mutable_alpha();
  alpha->add_floatvalue(0.25F);
  alpha->add_floatvalue(0.5F);
  alpha->add_floatvalue(0.75F);
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].field == "PReLU.alpha");
  CHECK(blobs[0].params == alpha);
  CHECK(blobs[0].count == 3);
  check_values(decode_weights(blobs[0]), {0.25F, 0.5F, 0.75F});
}

TEST_CASE("weights: LSTM weights nested in repeated parameter messages") {
  Layer layer;
  auto* lstm = layer.mutable_bidirectionallstm();
  lstm->add_weightparams()->mutable_inputgateweightmatrix()->add_floatvalue(1.0F);
  lstm->add_weightparams()->mutable_outputgatepeepholevector()->set_float16value(halves({0x3c00}));
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 2);
  CHECK(blobs[0].field == "weightParams[0].inputGateWeightMatrix");
  CHECK(blobs[1].field == "weightParams[1].outputGatePeepholeVector");
  CHECK(blobs[1].storage == WeightStorage::float16);
}

TEST_CASE("weights: float16 storage") {
  Layer layer;
  auto* weights = layer.mutable_innerproduct()->mutable_weights();
  weights->set_float16value(halves({0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000}));
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::float16);
  CHECK(element_type_name(blobs[0]) == "float16");
  CHECK(blobs[0].bits == 16);
  CHECK(blobs[0].count == 6);
  CHECK(blobs[0].bytes == 12);
  check_values(decode_weights(blobs[0]), {1.0F, -2.0F, 0.333251953125F, 65504.0F, std::ldexp(1.0F, -24), -0.0F});
}

TEST_CASE("weights: two storage fields set at once are ambiguous") {
  Layer layer;
  auto* weights = layer.mutable_innerproduct()->mutable_weights();
  weights->add_floatvalue(1.0F);
  weights->add_floatvalue(2.0F);
  weights->set_float16value(halves({0x3c00}));
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::ambiguous);
  CHECK(element_type_name(blobs[0]) == "ambiguous");
  CHECK(blobs[0].bytes == 2 * 4 + 2);

  weights->clear_float16value();
  weights->set_int8rawvalue(bytes_of({1}));
  CHECK(layer_weights(layer)[0].storage == WeightStorage::ambiguous);
  weights->clear_floatvalue();
  CHECK(layer_weights(layer)[0].storage == WeightStorage::int8);
}

TEST_CASE("weights: 4-bit linear quantization, per output channel") {
  Layer layer;
  auto* params = layer.mutable_innerproduct();
  params->set_inputchannels(4);
  params->set_outputchannels(2);
  auto* weights = params->mutable_weights();
  // Codes, output channel 0: 0 1 15 7; channel 1: 8 3 0 12; two per byte, first in the high nibble.
  weights->set_rawvalue(bytes_of({0x01, 0xf7, 0x83, 0x0c}));
  auto* quantization = weights->mutable_quantization();
  quantization->set_numberofbits(4);
  quantization->mutable_linearquantization()->add_scale(0.5F);
  quantization->mutable_linearquantization()->add_scale(2.0F);
  quantization->mutable_linearquantization()->add_bias(1.0F);
  quantization->mutable_linearquantization()->add_bias(-3.0F);

  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::linear_quantized);
  CHECK(element_type_name(blobs[0]) == "uint4 linear");
  CHECK(blobs[0].bits == 4);
  CHECK(blobs[0].count == 8);
  CHECK(blobs[0].bytes == 4);
  // 0.5 q + 1 and 2 q - 3.
  check_values(decode_weights(blobs[0]), {1.0F, 1.5F, 8.5F, 4.5F, 13.0F, 3.0F, -3.0F, 21.0F});

  SUBCASE("one scale and bias for the whole tensor") {
    quantization->mutable_linearquantization()->mutable_scale()->Truncate(1);
    quantization->mutable_linearquantization()->mutable_bias()->Truncate(1);
    check_values(decode_weights(layer_weights(layer)[0]), {1.0F, 1.5F, 8.5F, 4.5F, 5.0F, 2.5F, 1.0F, 7.0F});
  }
  SUBCASE("scales per channel, no bias") {
    quantization->mutable_linearquantization()->clear_bias();
    check_values(decode_weights(layer_weights(layer)[0]), {0.0F, 0.5F, 7.5F, 3.5F, 16.0F, 6.0F, 0.0F, 24.0F});
  }
  SUBCASE("scale and bias counts that match no channel layout") {
    quantization->mutable_linearquantization()->add_scale(4.0F);  // 3 scales, 2 biases
    const auto blob = layer_weights(layer)[0];
    CHECK_THROWS_WITH_AS(
        decode_weights(blob),
        "weights: linear quantization has 3 scales and 2 biases, which match no channel layout of 8 values",
        mlconv::Error);
  }
}

TEST_CASE("weights: 8-bit linear quantization of a deconvolution scales along axis 1") {
  Layer layer;
  auto* conv = layer.mutable_convolution();
  conv->set_isdeconvolution(true);
  conv->set_kernelchannels(2);
  conv->set_outputchannels(3);
  conv->add_kernelsize(1);
  conv->add_kernelsize(2);
  // Weights are [kernelChannels 2, outputChannels 3, 1, 2]: every code is 1, so each
  // value is its output channel's scale.
  conv->mutable_weights()->set_rawvalue(std::string(12, '\x01'));
  auto* quantization = conv->mutable_weights()->mutable_quantization();
  quantization->set_numberofbits(8);
  for (const float scale : {1.0F, 10.0F, 100.0F}) quantization->mutable_linearquantization()->add_scale(scale);
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(element_type_name(blobs[0]) == "uint8 linear");
  CHECK(blobs[0].channel_block == 2);
  check_values(decode_weights(blobs[0]),
               {1.0F, 1.0F, 10.0F, 10.0F, 100.0F, 100.0F, 1.0F, 1.0F, 10.0F, 10.0F, 100.0F, 100.0F});
}

TEST_CASE("weights: 2-bit lookup table quantization") {
  Layer layer;
  auto* weights = layer.mutable_innerproduct()->mutable_weights();
  // Codes 3 0 2 1 | 1 1 0 3, four per byte, first in the top two bits.
  weights->set_rawvalue(bytes_of({0b11'00'10'01, 0b01'01'00'11}));
  auto* quantization = weights->mutable_quantization();
  quantization->set_numberofbits(2);
  for (const float entry : {-1.0F, 0.0F, 0.5F, 4.0F}) {
    quantization->mutable_lookuptablequantization()->add_floatvalue(entry);
  }
  const auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::lut_quantized);
  CHECK(element_type_name(blobs[0]) == "uint2 lut");
  CHECK(blobs[0].bits == 2);
  CHECK(blobs[0].count == 8);
  CHECK(blobs[0].bytes == 2);
  check_values(decode_weights(blobs[0]), {4.0F, -1.0F, 0.5F, 0.0F, 0.0F, 0.0F, -1.0F, 4.0F});

  SUBCASE("a table of the wrong size") {
    quantization->mutable_lookuptablequantization()->mutable_floatvalue()->RemoveLast();
    CHECK_THROWS_WITH_AS(decode_weights(layer_weights(layer)[0]),
                         "weights: lookup table has 3 entries; 2-bit codes need 4", mlconv::Error);
    for (int i = 0; i < 3; ++i) quantization->mutable_lookuptablequantization()->add_floatvalue(9.0F);
    CHECK_THROWS_WITH_AS(decode_weights(layer_weights(layer)[0]),
                         "weights: lookup table has 6 entries; 2-bit codes need 4", mlconv::Error);
  }
}

TEST_CASE("weights: int8 storage, raw and scaled") {
  Layer layer;
  auto* weights = layer.mutable_innerproduct()->mutable_weights();
  weights->set_int8rawvalue(bytes_of({0x7f, 0x80, 0xff, 0x01}));  // 127 -128 -1 1
  auto blobs = layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].storage == WeightStorage::int8);
  CHECK(element_type_name(blobs[0]) == "int8");
  CHECK(blobs[0].bits == 8);
  CHECK(blobs[0].count == 4);
  check_values(decode_weights(blobs[0]), {127.0F, -128.0F, -1.0F, 1.0F});

  weights->mutable_quantization()->set_numberofbits(8);
  weights->mutable_quantization()->mutable_linearquantization()->add_scale(0.25F);
  blobs = layer_weights(layer);
  CHECK(blobs[0].storage == WeightStorage::int8);
  check_values(decode_weights(blobs[0]), {31.75F, -32.0F, -0.25F, 0.25F});

  SUBCASE("per-channel scales") {
    weights->mutable_quantization()->mutable_linearquantization()->add_scale(-1.0F);
    check_values(decode_weights(layer_weights(layer)[0]), {31.75F, -32.0F, 1.0F, -1.0F});
  }
}

TEST_CASE("weights: statistics count NaN and infinity apart from the finite values") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const auto stats = mlconv::spec::weight_statistics({1.0F, nan, -2.0F, inf, -inf, 4.0F, nan});
  CHECK(stats.count == 7);
  CHECK(stats.nan == 2);
  CHECK(stats.inf == 2);
  CHECK(stats.min == -2.0);
  CHECK(stats.max == 4.0);
  CHECK(stats.mean == 1.0);

  const auto no_finite = mlconv::spec::weight_statistics({nan, inf});
  CHECK(no_finite.count == 2);
  CHECK(no_finite.nan == 1);
  CHECK(no_finite.inf == 1);
  CHECK(std::isnan(no_finite.min));
  CHECK(std::isnan(no_finite.max));
  CHECK(std::isnan(no_finite.mean));

  const auto empty = mlconv::spec::weight_statistics(std::vector<float>{});
  CHECK(empty.count == 0);
  CHECK(std::isnan(empty.mean));

  const auto single = mlconv::spec::weight_statistics({-3.5F});
  CHECK(single.min == -3.5);
  CHECK(single.max == -3.5);
  CHECK(single.mean == -3.5);
}

TEST_CASE("weights: every weight blob of every real model decodes") {
  const auto models = mlconv::test::real_models();
  REQUIRE(models.size() >= 14);
  int half_precision_models = 0;
  for (const std::filesystem::path& path : models) {
    const std::string name = path.filename().string();
    CAPTURE(name);
    const auto loaded = mlconv::spec::load_model(path);
    std::vector<NamedLayer> layers;
    all_layers(loaded.model, "", layers);
    CHECK(!layers.empty());
    // The fp16 files (by their names and the README) store their weights as half floats.
    const bool half_precision = name.find("16Bit") != std::string::npos || name.find("fp16") != std::string::npos;
    std::uint64_t blobs_seen = 0;
    std::uint64_t half_blobs = 0;
    std::uint64_t non_finite = 0;
    for (const NamedLayer& named : layers) {
      CAPTURE(named.where);
      for (const WeightBlob& blob : layer_weights(*named.layer)) {
        CAPTURE(blob.field);
        ++blobs_seen;
        std::vector<float> values;
        CHECK_NOTHROW(values = decode_weights(blob));
        CHECK(blob.storage != WeightStorage::ambiguous);
        if (blob.storage != WeightStorage::empty && blob.storage != WeightStorage::raw_bytes) {
          CHECK(values.size() == blob.count);
        }
        const auto stats = mlconv::spec::weight_statistics(values);
        non_finite += stats.nan + stats.inf;
        if (blob.storage == WeightStorage::float16) {
          ++half_blobs;
          CHECK(blob.count * 2 == blob.params->float16value().size());
        }
      }
    }
    CHECK(blobs_seen > 0);
    // Trained weights are finite; a NaN here would mean a decoding error (for
    // half floats, e.g. a wrong exponent bias turning large values into infinity).
    CHECK(non_finite == 0);
    if (half_precision) {
      ++half_precision_models;
      CHECK(half_blobs > 0);
    }
  }
  CHECK(half_precision_models == 3);  // Es2EnCharDecoder16Bit, Es2EnBidirGruCharEncoder16Bit, deeplab fp16
}

namespace mlconv::test {

TEST_CASE("weights: per-channel 3-bit codes padded to a whole byte decode to the real count") {
  namespace cml = CoreML::Specification;
  // 2 channels x 2 values of 3 bits = 12 bits in 2 bytes; the 16 stored bits hold 5 codes, one of them padding.
  // Codes 1, 2 | 3, 4, packed most significant bit first: 001 010 011 100 0000 -> 0x29 0xC0.
  cml::NeuralNetworkLayer layer;
  auto* weights = layer.mutable_innerproduct()->mutable_weights();
  weights->set_rawvalue(std::string("\x29\xC0", 2));
  weights->mutable_quantization()->set_numberofbits(3);
  auto* linear = weights->mutable_quantization()->mutable_linearquantization();
  linear->add_scale(1.0F);
  linear->add_scale(10.0F);
  linear->add_bias(0.5F);
  linear->add_bias(-1.0F);
  const auto blobs = spec::layer_weights(layer);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].count == 5);
  const std::vector<float> values = spec::decode_weights(blobs[0]);
  CHECK(values == std::vector<float>{1.5F, 2.5F, 29.0F, 39.0F});
}

}  // namespace mlconv::test
