// Writing a custom layer for a node as a rule's `custom` action describes:
// className, the inputs in the rule's order, typed parameters from attributes,
// constant inputs or literals, weights, and output shapes from the shape rule.
#pragma once

#include "converter/export/layer_builder.h"
#include "converter/rules/rule.h"

namespace mlconv::converter {

void build_custom_layer(LayerBuilder& b, const CustomAction& action, const RuleOrigin& origin);

// The rule --allow-custom and the unsupported-op report propose for a node: className =
// op type, every attribute a typed parameter, computed inputs in order, constant inputs as
// float32 weights, output shape = shape of the first input.
CustomAction default_custom_action(const Node& node);

}  // namespace mlconv::converter
