// Pass "fold-constants": a node of the default domain whose inputs are all constants
// (or, for Shape and Size, whose input shape is static) is evaluated now; its output
// becomes a constant (an initializer) and the node goes. This turns the
// Shape -> Gather -> Concat -> Reshape chains exporters write into a static Reshape.
// A node writing a graph output stays: Core ML outputs must be computed by layers.
#include <algorithm>

#include "converter/passes/fold_rules.h"
#include "converter/passes/pass.h"

namespace mlconv::converter {
namespace {

bool inputs_constant(const Node& node) {
  return std::all_of(node.inputs.begin(), node.inputs.end(), [](const Value* v) { return v == nullptr || v->constant; });
}

}  // namespace

bool fold_constants(Graph& graph) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    if (node->outputs.size() != 1 || graph.is_output(*node->outputs[0])) continue;
    const FoldRule* rule = find_fold_rule(*node);
    if (rule == nullptr || (rule->needs_constant_inputs && !inputs_constant(*node))) continue;
    // Shapes first: the kernels for layout ops read the inferred output shape, and an
    // input folded a moment ago may have made it static.
    infer_node_shapes(*node);
    if (const Value& out = *node->outputs[0]; out.shape) {
      const auto sizes = known_sizes(*out.shape);
      if (sizes && TensorData{ElementType::undefined, *sizes, {}}.element_count() > max_folded_elements) continue;
    }
    FoldContext context(*node);
    std::optional<TensorData> data;
    try {
      data = rule->fold(context);
    } catch (const TooLargeToFold&) {
      continue;
    } catch (Error& error) {
      if (!error.file().empty()) throw;
      fail_at(*node, error.message());
    }
    if (!data || data->element_count() > max_folded_elements) continue;
    replace_with_constant(graph, *node, *node->outputs[0], std::move(*data));
    changed = true;
  }
  return changed;
}

}  // namespace mlconv::converter
