// Loading a model without its bulk weight values. Listing a model's layers,
// interface and weight sizes needs none of the values, and copying 500 MB of
// floats into memory is what makes a plain protobuf parse slow and large.
// The stripped copy keeps, in place of each large value, a marker field that
// records which field it was and how many bytes it held, so weight blobs still
// report their element type and count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "NeuralNetwork.pb.h"

namespace mlconv::spec {

// Field numbers at the top of protobuf's range, far from any Core ML field.
inline constexpr std::uint32_t elision_marker_base = 536870000;

[[nodiscard]] constexpr bool is_elision_marker(std::uint32_t field_number) {
  return field_number > elision_marker_base && field_number <= elision_marker_base + 31;
}

// Copies serialized Model bytes, replacing each WeightParams value field
// (floatValue, float16Value, rawValue, int8RawValue) longer than
// `threshold_bytes` by a marker. Throws mlconv::Error (without a file name) when
// the bytes are not a well-formed message or nest deeper than `max_depth`.
std::string strip_weight_values(std::string_view model_bytes, std::size_t threshold_bytes, int max_depth);

struct ElidedValue {
  std::uint32_t field_number;  // the WeightParams field that held the value
  std::uint64_t bytes;         // its length in the file
};

// The value a marker stands for, if `params` came from a stripped load.
std::optional<ElidedValue> elided_value(const CoreML::Specification::WeightParams& params);

// Frees the stored values of every WeightParams in the layer's params (not in
// its sub-networks, whose layers are released on their own) and leaves the same
// marker a stripped load leaves, so the blobs keep reporting element type and
// count while decoding them fails clearly. For a layer whose values a kernel has
// copied: the model then stops holding the weights a second time. A WeightParams
// with more than one value field set is left as it is. Returns the bytes freed.
std::uint64_t release_weight_values(CoreML::Specification::NeuralNetworkLayer& layer);

}  // namespace mlconv::spec
