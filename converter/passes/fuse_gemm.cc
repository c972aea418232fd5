// Pass "gemm-add": a constant row added after a Gemm goes into the Gemm's C
// (C' = beta * C + D, beta' = 1); after a MatMul of a 2-D input by a constant 2-D
// matrix, the pair becomes one Gemm with that row as C. Core ML's innerProduct then
// carries the bias, and one layer replaces two.
#include <set>

#include "converter/passes/fusion_support.h"

namespace mlconv::converter {
namespace {

// The row a constant Add adds to an [M, N] product: D may be a scalar, [N], [1, N] or [1].
std::optional<std::vector<double>> added_row(const Value* d, std::int64_t n) {
  return per_axis_constant(d, 1, 2, n);
}

std::optional<std::int64_t> gemm_columns(const Node& gemm) {
  const Value* b = gemm.input(1);
  if (b == nullptr || !b->shape || b->shape->size() != 2) return std::nullopt;
  const Dim& n = (*b->shape)[gemm.find_attribute("transB") != nullptr && gemm.find_attribute("transB")->as_int() != 0 ? 0 : 1];
  return n.size;
}

bool fuse_into_gemm(Graph& graph, Node& gemm, Node& add) {
  const auto n = gemm_columns(gemm);
  if (!n) return false;
  const auto row = added_row(other_input(add, gemm.outputs[0]), *n);
  if (!row) return false;
  const Attribute* beta_attribute = gemm.find_attribute("beta");
  const double beta = beta_attribute != nullptr ? beta_attribute->as_float() : 1.0;
  std::vector<double> bias = *row;
  if (const Value* c = gemm.input(2)) {
    const auto existing = added_row(c, *n);
    if (!existing) return false;  // a full [M, N] C stays as it is
    for (std::size_t j = 0; j < bias.size(); ++j) bias[j] += beta * (*existing)[j];
  }
  replace_input_with_constant(graph, gemm, 2, "C", {*n}, bias);
  gemm.attributes["beta"] = Attribute(1.0);
  take_over_output(graph, gemm, add);
  return true;
}

bool fuse_matmul(Graph& graph, Node& matmul, Node& add) {
  const Value* a = matmul.input(0);
  const Value* b = matmul.input(1);
  if (a == nullptr || !a->shape || a->shape->size() != 2 || b == nullptr || !b->constant || b->constant->dims.size() != 2) return false;
  const auto row = added_row(other_input(add, matmul.outputs[0]), b->constant->dims[1]);
  if (!row) return false;
  Value* output = add.outputs[0];
  std::vector<Value*> inputs = {matmul.inputs[0], matmul.inputs[1]};
  const std::string name = matmul.name;
  const SourceLocation location = matmul.location;
  const std::int64_t n = b->constant->dims[1];
  graph.remove_node(add);
  graph.remove_node(matmul);
  Node& gemm = graph.add_node(name, "Gemm", "", inputs, {output}, location);
  replace_input_with_constant(graph, gemm, 2, "C", {n}, *row);
  return true;
}

}  // namespace

bool fuse_gemm_add(Graph& graph) {
  bool changed = false;
  std::set<const Node*> removed;  // Adds taken over; they may come later in the order
  for (Node* node : graph.topological_order()) {
    if (removed.contains(node)) continue;
    if (!is_onnx_op(*node, "Gemm") && !is_onnx_op(*node, "MatMul")) continue;
    Node* add = sole_reader(graph, *node, "Add");
    if (add == nullptr) continue;
    removed.insert(add);
    changed = (is_onnx_op(*node, "Gemm") ? fuse_into_gemm(graph, *node, *add) : fuse_matmul(graph, *node, *add)) || changed;
  }
  return changed;
}

}  // namespace mlconv::converter
