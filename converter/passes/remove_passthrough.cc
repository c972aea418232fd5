// Pass "remove-passthrough": Identity and inference-mode Dropout compute nothing, so
// their readers read the input directly. A node whose output is a graph output stays
// (the exporter then writes a copy, so the output keeps its name).
#include "converter/passes/pass.h"

namespace mlconv::converter {
namespace {

// Dropout is the identity at inference unless training_mode is a constant true (or a
// run-time input) or its mask output is read.
bool is_inference_dropout(const Graph& graph, const Node& node) {
  if (!is_onnx_op(node, "Dropout")) return false;
  if (node.outputs.size() > 1 && (!node.outputs[1]->consumers.empty() || graph.is_output(*node.outputs[1]))) return false;
  const Value* training = node.input(2);
  if (training == nullptr) return true;
  if (!training->constant) return false;
  try {
    const auto flags = training->constant->to_ints();
    return flags.size() == 1 && flags[0] == 0;
  } catch (const Error& e) {
    fail_at(node, "training_mode: " + e.message());
  }
}

}  // namespace

bool remove_passthrough_nodes(Graph& graph) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    if (!is_onnx_op(*node, "Identity") && !is_inference_dropout(graph, *node)) continue;
    Value* input = node->input(0);
    if (input == nullptr || node->outputs.empty()) continue;
    Value* output = node->outputs[0];
    if (graph.is_output(*output)) continue;
    graph.remove_node(*node);
    graph.replace_all_uses(*output, *input);
    changed = true;
  }
  return changed;
}

}  // namespace mlconv::converter
