// The few parameters of a NeuralNetwork layer that a Core ML engineer looks at
// first (kernel, stride, channels, activation function, axes...), for
// `inspect --layers` (one line per layer) and `inspect --json` (an object per layer).
// Weights are not part of it: inspect reports those separately.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "NeuralNetwork.pb.h"

namespace mlconv::cli {

// Key attributes of a layer, in a stable order, for inspect's --layers and --json.
// Keys are lowerCamelCase; values are numbers, strings, bools or arrays of them.
// Fields left at a value that means nothing (false flags, empty lists) are omitted;
// documented "0 means default" fields show the effective value.
nlohmann::ordered_json layer_attributes(const CoreML::Specification::NeuralNetworkLayer& layer);

// One line for the text view: "kernel=3x3 stride=2x2 dilation=1x1 groups=1 channels=3->64 padding=same bias".
std::string format_layer_attributes(const nlohmann::ordered_json& attributes);

}  // namespace mlconv::cli
