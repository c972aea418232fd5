// Walking a neural network for validation: every layer, loop and branch
// sub-networks included, with a `where` that names the enclosing layers so a
// finding inside a loop body still points at the right place.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"
#include "spec/model_parts.h"

namespace mlconv::spec::validation {

using Layers = google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>;

// "layer 'conv1' (convolution)"; an unnamed layer is "layer #3 (convolution)" by its index.
std::string layer_where(const CoreML::Specification::NeuralNetworkLayer& layer, int index);

using LayerVisitor = std::function<void(const std::string& where, const CoreML::Specification::NeuralNetworkLayer& layer)>;

// Visits every layer in order, a loop/branch layer before the layers of its sub-networks.
// Nested layers are named "layer 'loop1' (loop), bodyNetwork: layer 'add1' (add)".
void for_each_layer(const Layers& layers, const LayerVisitor& visit);

}  // namespace mlconv::spec::validation
