// Composite rules: a node is replaced in the graph by a small sub-graph of standard
// ops, with the node's attributes substituted into the new nodes and constants.
#pragma once

#include <vector>

#include "converter/rules/rule.h"

namespace mlconv::converter {

// Replaces `node` by the composite's nodes and returns them (in composite order).
// Throws mlconv::Error naming the node and the rule when the node does not fit the
// composite (too few inputs/outputs, a missing attribute without default).
std::vector<Node*> expand_composite(Graph& graph, Node& node, const CompositeAction& action, const RuleOrigin& origin);

}  // namespace mlconv::converter
