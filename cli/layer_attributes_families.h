// Shared by the layer_attributes_*.cc files: the shape of a specialised
// formatter, the registration lists each family file exports, and the helpers
// the families and the generic reflection formatter have in common.
#pragma once

#include <cstdint>
#include <span>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "NeuralNetwork.pb.h"

namespace mlconv::cli::attributes {

using Json = nlohmann::ordered_json;
using Layer = CoreML::Specification::NeuralNetworkLayer;

// A specialised formatter receives the whole layer, not only its params: some
// attributes depend on it (a scalar `alpha` matters only when there is one input).
using Formatter = Json (*)(const Layer& layer);

struct Registration {
  Layer::LayerCase layer_case;
  Formatter formatter;
};

// One explicit list per family; every case not listed falls back to generic_attributes().
std::span<const Registration> spatial_formatters();     // layer_attributes_spatial.cc
std::span<const Registration> recurrent_formatters();   // layer_attributes_recurrent.cc
std::span<const Registration> arithmetic_formatters();  // layer_attributes_arithmetic.cc

// Every informative field of `params` by reflection, in declaration order (layer_attributes.cc).
Json generic_attributes(const google::protobuf::Message& params);

// A float32 as the shortest decimal that reads back as the same float, so 0.01f
// is 0.01 in JSON rather than 0.009999999776. Non-finite values become "nan"/"inf"/"-inf".
Json float_json(float value);

// Start/end amounts of a BorderAmounts flattened to [top, bottom, left, right]
// (for [H, W] edges); null when every amount is zero, since that says nothing.
Json border_amounts_json(const CoreML::Specification::BorderAmounts& borders);

// Number of values stored in a weight blob of the layer (decoded elements, not bytes).
std::uint64_t weight_count(const Layer& layer, const CoreML::Specification::WeightParams& weights);

// A repeated uint64 field as a JSON array.
Json uint_array(const google::protobuf::RepeatedField<std::uint64_t>& values);

}  // namespace mlconv::cli::attributes
