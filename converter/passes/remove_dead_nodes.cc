// Pass "remove-dead-nodes": after folding, the Shape/Gather/Concat chains that fed a
// folded Reshape are read by nothing; they (and anything else no output depends on)
// go, so no layer is written for them. Constants nothing reads release their bytes.
#include "converter/passes/pass.h"

#include <algorithm>

namespace mlconv::converter {
namespace {

constexpr std::size_t release_threshold = std::size_t{1} << 20;

// Names a subgraph (If branch, Loop body) reads from the graphs around it: those
// values have no consumer entry in the outer graph but are read all the same.
void collect_outer_reads(const Graph& graph, std::set<std::string, std::less<>>& names) {
  for (const Value* value : graph.outer_references()) names.insert(value->name);
  for (const Node* node : graph.nodes()) {
    for (const auto& [key, attribute] : node->attributes) {
      if (attribute.kind() == Attribute::Kind::graph) collect_outer_reads(attribute.as_graph(), names);
    }
  }
}

}  // namespace

bool remove_dead_nodes(Graph& graph) {
  std::set<std::string, std::less<>> outer_reads;
  collect_outer_reads(graph, outer_reads);
  const auto is_read = [&](const Value& v) {
    return !v.consumers.empty() || graph.is_output(v) || outer_reads.contains(v.name);
  };
  bool changed = false;
  const std::vector<Node*> order = graph.topological_order();
  // Readers come after producers, so walking backwards frees whole chains in one go.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    if (std::any_of(node->outputs.begin(), node->outputs.end(), [&](const Value* v) { return is_read(*v); })) continue;
    graph.remove_node(*node);
    changed = true;
  }
  for (Value* value : graph.values()) {
    // Only weights are worth releasing; small folded values stay for inspection.
    if (value->constant && value->constant->bytes.size() >= release_threshold && !is_read(*value)) {
      value->constant->dims = {0};
      value->constant->bytes.release();
    }
  }
  return changed;
}

}  // namespace mlconv::converter
