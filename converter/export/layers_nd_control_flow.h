// N-d (iOS 13) mappings of ONNX control flow (layers_nd_control_flow.cc): If -> branch,
// Loop -> loop, their subgraphs written as the layers' NeuralNetwork bodies.
#pragma once

#include "converter/export/layer_builder.h"

namespace mlconv::converter {

void build_nd_if_layer(LayerBuilder& b);
void build_nd_loop_layer(LayerBuilder& b);

}  // namespace mlconv::converter
