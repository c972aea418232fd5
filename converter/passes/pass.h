// Graph IR passes run between loading a graph and choosing a rule per node: they
// remove pass-through nodes, infer shapes, fold constant (shape) sub-graphs and, on
// request, fuse layers. Each pass lives in its own file and is listed once in
// passes.cc; the pipeline only calls run_passes.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "converter/ir/graph.h"
#include "spec/error.h"

namespace mlconv::converter {

struct PassOptions {
  // Fusions to apply, by name ("conv-bn", ...); empty = none. See fusion_names().
  std::set<std::string> fusions;
  // Called with a pass's name before it runs (the CLI's progress indicator).
  std::function<void(std::string_view)> on_pass;
};

struct Pass {
  std::string_view name;
  std::string_view summary;
  // A fusion runs only when PassOptions::fusions names it; the others always run.
  bool fusion = false;
  // Returns true when it changed the graph.
  bool (*run)(Graph& graph) = nullptr;
};

// Every pass in the order they run.
const std::vector<Pass>& registered_passes();
// The names --fuse accepts, in order.
std::vector<std::string> fusion_names();
// "conv-bn,gemm-add" -> the set; "" or "all" -> every fusion; an unknown name is a usage error.
std::set<std::string> parse_fusions(std::string_view list);

// Checks the graph (no cycle, no node reading an undefined value) and runs the passes.
// The shape passes and constant folding repeat until nothing changes, since a folded
// shape makes a Reshape's output static and that may let a later Shape fold.
void run_passes(Graph& graph, const PassOptions& options);

// The passes, one per file.
bool remove_passthrough_nodes(Graph& graph);
bool infer_shapes(Graph& graph);
bool fold_constants(Graph& graph);
bool remove_dead_nodes(Graph& graph);
bool fuse_conv_batchnorm(Graph& graph);
bool fuse_conv_add(Graph& graph);
bool fuse_conv_mul(Graph& graph);
bool fuse_gemm_add(Graph& graph);

// Helpers the passes share.
// Infers one node's output types and shapes into its output values; true when it learned something.
bool infer_node_shapes(Node& node);
// "model.json:12: node 'c' (Conv): message".
[[noreturn]] void fail_at(const Node& node, const std::string& message);
// True for ops of the default ONNX domain (only those are folded or fused).
bool is_onnx_op(const Node& node, std::string_view op_type);
// Removes `node` and makes `output` (one of its outputs) a constant holding `data`.
void replace_with_constant(Graph& graph, Node& node, Value& output, TensorData data);
// Moves the outputs of `from` onto `to` (whose outputs must no longer be read): the
// readers of `from`'s output now read what `to` computes, under `from`'s output name.
void take_over_output(Graph& graph, Node& to, Node& from);
// The shape of a constant as Dims.
Shape shape_of_dims(const std::vector<std::int64_t>& dims);

}  // namespace mlconv::converter
