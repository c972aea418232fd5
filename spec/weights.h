// The weight blobs of a layer: where they are, how they are stored, how many
// elements they hold, and their values decoded to float. inspect reports them,
// validate checks their sizes, and the executor will dequantize with the same code.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"

namespace mlconv::spec {

enum class WeightStorage {
  empty,             // no value stored
  float32,           // floatValue
  float16,           // float16Value: little-endian IEEE half floats
  int8,              // int8RawValue: signed bytes, optionally scaled by linear quantization
  linear_quantized,  // rawValue: n-bit unsigned codes, value = scale[c] * q + bias[c]
  lut_quantized,     // rawValue: n-bit codes into a lookup table of floats
  raw_bytes,         // rawValue with no quantization: opaque bytes (custom layers)
  ambiguous,         // more than one storage field set; Core ML rejects this
};

struct WeightBlob {
  std::string field;  // path inside the layer's params: "weights", "bias", "weights[1]", "PReLU.alpha"
  const CoreML::Specification::WeightParams* params = nullptr;
  WeightStorage storage = WeightStorage::empty;
  unsigned bits = 0;           // bits per element as stored
  std::uint64_t count = 0;     // elements as stored (codes for quantized blobs, bytes for raw)
  std::uint64_t bytes = 0;     // bytes occupied in the file
  // Elements per output channel block for per-channel quantization, outermost
  // axis first; 0 means "count / number of channels" (output channels outermost).
  std::uint64_t channel_block = 0;
  bool values_elided = false;  // loaded without values (LoadOptions::elide_weight_values_over)
};

// "float32", "float16", "int8", "uint4 linear", "uint6 lut", "bytes", "empty", "ambiguous".
std::string element_type_name(const WeightBlob& blob);

// Every WeightParams inside the layer's params message (found by reflection, so
// no layer type is forgotten), in field order. Sub-networks of loop/branch
// layers are not descended into: their layers report their own weights.
std::vector<WeightBlob> layer_weights(const CoreML::Specification::NeuralNetworkLayer& layer);

// Decodes a blob to float (dequantizing where needed). Throws mlconv::Error
// when the values were not loaded, or
// when the stored data is inconsistent (e.g. a lookup table shorter than 2^bits,
// scale/bias counts that match no channel layout).
std::vector<float> decode_weights(const WeightBlob& blob);

struct WeightStatistics {
  std::uint64_t count = 0;  // decoded elements
  std::uint64_t nan = 0;
  std::uint64_t inf = 0;
  double min = std::numeric_limits<double>::quiet_NaN();  // over finite values
  double max = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
};

WeightStatistics weight_statistics(const std::vector<float>& values);
// Statistics of a blob's decoded values; throws like decode_weights.
WeightStatistics weight_statistics(const WeightBlob& blob);

// IEEE 754 binary16 to binary32, exact for every input including subnormals, inf and NaN.
float half_to_float(std::uint16_t half);

}  // namespace mlconv::spec
