// The pass list and the driver: which passes exist, in which order they run, and
// the helpers they share for rewriting nodes into constants or into each other.
#include "converter/passes/pass.h"

#include <algorithm>

namespace mlconv::converter {
namespace {

// The shape and folding passes repeat until a round changes nothing; this bounds
// the rounds for a graph that would keep changing (each round only shrinks it).
constexpr int max_rounds = 16;

}  // namespace

const std::vector<Pass>& registered_passes() {
  static const std::vector<Pass> passes = {
      {"remove-passthrough", "Identity and inference-mode Dropout removed", false, remove_passthrough_nodes},
      {"infer-shapes", "element types and shapes of every value the ops determine", false, infer_shapes},
      {"fold-constants", "nodes computing from constants and static shapes become constants", false, fold_constants},
      {"remove-dead-nodes", "nodes whose outputs nothing reads removed", false, remove_dead_nodes},
      {"conv-bn", "BatchNormalization after a Conv folded into its weights and bias", true, fuse_conv_batchnorm},
      {"conv-mul", "a per-channel constant Mul after a Conv folded into its weights and bias", true, fuse_conv_mul},
      {"conv-add", "a per-channel constant Add after a Conv folded into its bias", true, fuse_conv_add},
      {"gemm-add", "a constant Add after Gemm (or MatMul with 2-D A and constant B) folded into the bias", true, fuse_gemm_add},
  };
  return passes;
}

std::vector<std::string> fusion_names() {
  std::vector<std::string> names;
  for (const Pass& pass : registered_passes()) {
    if (pass.fusion) names.emplace_back(pass.name);
  }
  return names;
}

std::set<std::string> parse_fusions(std::string_view list) {
  const std::vector<std::string> known = fusion_names();
  if (list.empty() || list == "all") return {known.begin(), known.end()};
  std::set<std::string> chosen;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name(list.substr(start, comma - start));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string expected;
      for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + k;
      throw Error("--fuse: unknown fusion '" + name + "'; expected a comma-separated list of: " + expected + " (or all)",
                  Error::Kind::usage);
    }
    chosen.insert(name);
    start = comma + 1;
  }
  return chosen;
}

void run_passes(Graph& graph, const PassOptions& options) {
  const auto announce = [&](std::string_view name) {
    if (options.on_pass) options.on_pass(name);
  };
  announce("check-graph");
  (void)graph.topological_order();  // throws on a cycle or a node reading an undefined value
  for (int round = 0; round < max_rounds; ++round) {
    bool changed = false;
    for (const Pass& pass : registered_passes()) {
      if (pass.fusion) continue;
      announce(pass.name);
      changed = pass.run(graph) || changed;
    }
    if (!changed) break;
  }
  bool fused = false;
  for (const Pass& pass : registered_passes()) {
    if (!pass.fusion || !options.fusions.contains(std::string(pass.name))) continue;
    announce(pass.name);
    fused = pass.run(graph) || fused;
  }
  if (fused) remove_dead_nodes(graph);
}

[[noreturn]] void fail_at(const Node& node, const std::string& message) {
  throw Error(message).within(node.describe()).in_file(node.location.describe());
}

bool is_onnx_op(const Node& node, std::string_view op_type) {
  return node.op_type == op_type && (node.domain.empty() || node.domain == "ai.onnx");
}

Shape shape_of_dims(const std::vector<std::int64_t>& dims) {
  Shape shape;
  shape.reserve(dims.size());
  for (const std::int64_t d : dims) shape.push_back(Dim::known(d));
  return shape;
}

void replace_with_constant(Graph& graph, Node& node, Value& output, TensorData data) {
  graph.remove_node(node);
  output.type = data.type;
  output.shape = shape_of_dims(data.dims);
  output.constant = std::move(data);
}

void take_over_output(Graph& graph, Node& to, Node& from) {
  Value* replaced = to.outputs.at(0);
  Value* output = from.outputs.at(0);
  graph.remove_node(from);
  to.outputs[0] = output;
  output->producer = &to;
  replaced->producer = nullptr;
}

}  // namespace mlconv::converter
