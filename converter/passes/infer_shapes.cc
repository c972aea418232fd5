// Pass "infer-shapes": element types and shapes for the values the ops determine,
// stored in the IR so the exporter can choose rank-5 or ND layers and fill the
// tensor hints. ONNX inputs arrive with ONNX's own inference applied; this pass
// fills what it could not (a Reshape whose shape was folded), and gives JSON graphs
// the same. Known dimensions that disagree are an error naming the node.
#include <algorithm>
#include <numeric>

#include "converter/passes/pass.h"
#include "converter/passes/shape_rules.h"

namespace mlconv::converter {
namespace {

// Merges what a node computes into what the value already says: known sizes fill
// symbols; two different known sizes are the model contradicting itself.
bool merge_shape(const Node& node, Value& value, const Shape& inferred) {
  if (!value.shape) {
    value.shape = inferred;
    return true;
  }
  Shape& declared = *value.shape;
  if (declared.size() != inferred.size()) {
    fail_at(node, "output '" + value.name + "' is declared with shape " + describe_shape(declared) + ", but the op computes " +
                      describe_shape(inferred) + " (rank " + std::to_string(inferred.size()) + ")");
  }
  bool changed = false;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    if (!inferred[i].size) continue;
    if (declared[i].size && *declared[i].size != *inferred[i].size) {
      fail_at(node, "output '" + value.name + "' is declared with shape " + describe_shape(declared) + ", but the op computes " +
                        describe_shape(inferred));
    }
    if (!declared[i].size) {
      declared[i] = inferred[i];
      changed = true;
    }
  }
  return changed;
}

}  // namespace

bool infer_node_shapes(Node& node) {
  const ShapeRule* rule = find_shape_rule(node);
  if (rule == nullptr) return false;
  ShapeContext context(node);
  rule->infer(context);
  bool changed = false;
  for (std::size_t i = 0; i < node.outputs.size() && i < context.outputs.size(); ++i) {
    Value& output = *node.outputs[i];
    const InferredOutput& result = context.outputs[i];
    if (output.type == ElementType::undefined && result.type != ElementType::undefined) {
      output.type = result.type;
      changed = true;
    }
    if (result.shape) changed = merge_shape(node, output, *result.shape) || changed;
  }
  return changed;
}

bool infer_shapes(Graph& graph) {
  bool changed = false;
  for (Node* node : graph.topological_order()) changed = infer_node_shapes(*node) || changed;
  return changed;
}

}  // namespace mlconv::converter
