// N-d (iOS 13) mappings of ONNX control flow: If -> branch, Loop -> loop. The subgraphs
// become the layers' NeuralNetwork bodies, written with the built-in N-d mappings and the
// same blob namespace as the enclosing network (Core ML bodies read and write the
// enclosing blobs). Values that live across iterations are blobs the body overwrites with
// copy layers; scan outputs are accumulated by concatenation behind a placeholder row
// that is sliced off after the loop (Core ML tensors cannot start empty).
#include "converter/export/layers_nd_control_flow.h"

#include <algorithm>

#include "converter/export/layer_table.h"
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

const Graph& subgraph(const LayerBuilder& b, std::string_view name) {
  const Attribute* attribute = b.node().find_attribute(name);
  if (attribute == nullptr || attribute->kind() != Attribute::Kind::graph) b.fail("attribute '" + std::string(name) + "' (a graph) is required");
  return attribute->as_graph();
}

const LayerMapping* nd_mapping(const Node& node) {
  for (const LayerMapping& mapping : builtin_layer_mappings()) {
    if (mapping.op_type == node.op_type && mapping.domain == node.domain && mapping.build_nd != nullptr) return &mapping;
  }
  return nullptr;
}

// The static shape of `value` once mapped (a computed blob or a constant).
std::vector<std::int64_t> shape_of(const LayerBuilder& b, const NetworkState& state, const Value& value) {
  if (const auto it = state.shapes.find(&value); it != state.shapes.end()) return it->second;
  if (value.constant) return value.constant->dims;
  b.fail("the shape of '" + value.name + "' is unknown");
}

// Makes the values `body` reads from the enclosing graph resolve to their blobs or constants.
void bind_outer_references(const LayerBuilder& b, NetworkState& state, const Graph& body) {
  for (const Value* reference : body.outer_references()) {
    const Value* outer = b.graph().find_value(reference->name);
    if (outer == nullptr) b.fail("a subgraph reads '" + reference->name + "', which the enclosing graph does not define");
    if (const auto it = state.blobs.find(outer); it != state.blobs.end()) {
      state.blobs[reference] = it->second;
      state.shapes[reference] = shape_of(b, state, *outer);
    } else if (outer->constant) {
      state.folded[reference] = *outer->constant;
      state.shapes[reference] = outer->constant->dims;
    } else if (const auto folded = state.folded.find(outer); folded != state.folded.end()) {
      state.folded[reference] = folded->second;
      state.shapes[reference] = folded->second.dims;
    } else {
      b.fail("a subgraph reads '" + reference->name + "', which is not computed before this node");
    }
  }
}

// Writes the layers of `body`'s nodes into `network`. Only built-in N-d mappings apply
// inside bodies: user rules and custom layers are matched on the top-level graph.
void build_body(LayerBuilder& b, const Graph& body, cml::NeuralNetwork& network) {
  NetworkState& state = b.state();
  auto* const enclosing = state.layers;
  state.layers = network.mutable_layers();
  bind_outer_references(b, state, body);
  for (const Node* node : body.topological_order()) {
    LayerBuilder inner(state, body, *node);
    const LayerMapping* mapping = nd_mapping(*node);
    if (mapping == nullptr) {
      inner.fail("inside the subgraph of " + b.node().describe() + ": has no built-in N-d mapping (rules are not applied inside If/Loop bodies)");
    }
    mapping->build_nd(inner);
  }
  state.layers = enclosing;
}

void set_constant_layer(cml::NeuralNetworkLayer& layer, const TensorData& data) {
  auto& params = *layer.mutable_loadconstantnd();
  if (data.dims.empty()) params.add_shape(1);
  for (const auto d : data.dims) params.add_shape(static_cast<std::uint64_t>(d));
  set_float_weights(*params.mutable_data(), data.to_floats());
}

// Makes blob `target` hold `value`: a copy of its blob, or a loadConstantND for a constant.
void write_into(LayerBuilder& b, const Value& value, const std::string& target, std::string_view suffix) {
  NetworkState& state = b.state();
  if (const auto it = state.blobs.find(&value); it != state.blobs.end()) {
    if (it->second != target) b.add_layer(suffix, {it->second}, {target}).mutable_copy();
    return;
  }
  const auto folded = state.folded.find(&value);
  const TensorData* data = value.constant ? &*value.constant : folded != state.folded.end() ? &folded->second : nullptr;
  if (data == nullptr) b.fail("subgraph value '" + value.name + "' is not computed");
  set_constant_layer(b.add_layer(suffix, {}, {target}), *data);
}

}  // namespace

void build_nd_if_layer(LayerBuilder& b) {
  if (nd::element_count(b.shape(0)) != 1) b.fail("the condition must be a scalar; it has shape " + nd::dims_text(b.shape(0)));
  const Graph& then_branch = subgraph(b, "then_branch");
  const Graph& else_branch = subgraph(b, "else_branch");
  const std::size_t count = b.node().outputs.size();
  if (then_branch.outputs().size() != count || else_branch.outputs().size() != count) {
    b.fail("then_branch and else_branch must each have " + std::to_string(count) + " outputs, one per output of the node");
  }
  std::vector<std::string> targets;
  for (std::size_t k = 0; k < count; ++k) targets.push_back(b.output_blob(k));
  cml::NeuralNetwork then_network;
  cml::NeuralNetwork else_network;
  std::vector<std::vector<std::int64_t>> shapes[2];
  const Graph* branches[] = {&then_branch, &else_branch};
  cml::NeuralNetwork* networks[] = {&then_network, &else_network};
  for (std::size_t side = 0; side < 2; ++side) {
    build_body(b, *branches[side], *networks[side]);
    auto* const enclosing = b.state().layers;
    b.state().layers = networks[side]->mutable_layers();
    for (std::size_t k = 0; k < count; ++k) {
      const Value& value = *branches[side]->outputs()[k];
      shapes[side].push_back(shape_of(b, b.state(), value));
      write_into(b, value, targets[k], std::string(side == 0 ? "then_" : "else_") + "output" + std::to_string(k));
    }
    b.state().layers = enclosing;
  }
  for (std::size_t k = 0; k < count; ++k) {
    // Core ML gives a blob one shape after the branch; ONNX lets the branches differ.
    if (shapes[0][k] != shapes[1][k]) {
      b.fail("output " + std::to_string(k) + " has shape " + nd::dims_text(shapes[0][k]) + " in then_branch but " + nd::dims_text(shapes[1][k]) +
             " in else_branch; the branch layer needs one shape");
    }
  }
  auto& branch = *b.add_layer("", {b.operand(0)}, {}).mutable_branch();
  branch.mutable_ifbranch()->Swap(&then_network);
  branch.mutable_elsebranch()->Swap(&else_network);
  for (std::size_t k = 0; k < count; ++k) b.set_output_shape(k, shapes[0][k]);
}

void build_nd_loop_layer(LayerBuilder& b) {
  const Graph& body = subgraph(b, "body");
  const bool counted = b.has_input(0);
  const bool conditioned = b.has_input(1);
  if (!counted && !conditioned) b.fail("has neither a trip count nor a condition, so it never ends");
  const std::size_t carried = b.input_count() < 2 ? 0 : b.input_count() - 2;
  const std::size_t scans = b.node().outputs.size() < carried ? 0 : b.node().outputs.size() - carried;
  if (b.node().outputs.size() < carried || body.inputs().size() != 2 + carried || body.outputs().size() != 1 + carried + scans) {
    b.fail("the body must take (iteration, condition, " + std::to_string(carried) + " loop-carried values) and return (condition, " +
           std::to_string(carried) + " loop-carried values, scan outputs)");
  }
  if (counted && nd::element_count(b.shape(0)) != 1) b.fail("the trip count must be a scalar");
  if (conditioned && nd::element_count(b.shape(1)) != 1) b.fail("the condition must be a scalar");
  NetworkState& state = b.state();

  // The blobs that live across iterations: the counter, the condition, the carried values
  // (the node's own outputs) and one accumulator per scan output.
  const std::string iteration = b.constant_blob("iteration", TensorData::from_floats({}, {0.0F}));
  std::string condition;
  if (conditioned) {
    condition = b.temp_blob("condition");
    b.add_layer("condition", {b.operand(1)}, {condition}).mutable_copy();
  }
  std::vector<std::string> carried_blobs;
  for (std::size_t k = 0; k < carried; ++k) {
    carried_blobs.push_back(b.output_blob(k));
    b.add_layer("initial" + std::to_string(k), {b.operand(2 + k)}, {carried_blobs[k]}).mutable_copy();
  }
  state.blobs[body.inputs()[0]] = iteration;
  state.shapes[body.inputs()[0]] = {};
  if (conditioned) {
    state.blobs[body.inputs()[1]] = condition;
    state.shapes[body.inputs()[1]] = {};
  } else {
    state.folded[body.inputs()[1]] = TensorData::from_floats({}, {1.0F});
  }
  for (std::size_t k = 0; k < carried; ++k) {
    state.blobs[body.inputs()[2 + k]] = carried_blobs[k];
    state.shapes[body.inputs()[2 + k]] = b.shape(2 + k);
  }

  cml::NeuralNetwork body_network;
  build_body(b, body, body_network);
  auto* const enclosing = state.layers;
  state.layers = body_network.mutable_layers();
  // Scan outputs first: they may read a carried value before it is overwritten.
  std::vector<std::string> accumulators;
  std::vector<std::vector<std::int64_t>> scan_shapes;
  for (std::size_t j = 0; j < scans; ++j) {
    const Value& value = *body.outputs()[1 + carried + j];
    scan_shapes.push_back(shape_of(b, state, value));
    accumulators.push_back(b.temp_blob("scan" + std::to_string(j)));
    const std::string element = b.temp_blob("scan" + std::to_string(j) + "_element");
    write_into(b, value, element, "scan" + std::to_string(j) + "_element");
    const std::string row = b.temp_blob("scan" + std::to_string(j) + "_row");
    if (scan_shapes[j].empty()) {
      b.add_layer("scan" + std::to_string(j) + "_row", {element}, {row}).mutable_copy();  // a scalar is [1] already
    } else {
      b.add_layer("scan" + std::to_string(j) + "_row", {element}, {row}).mutable_expanddims()->add_axes(0);
    }
    const std::string grown = b.temp_blob("scan" + std::to_string(j) + "_grown");
    b.add_layer("scan" + std::to_string(j) + "_grown", {accumulators[j], row}, {grown}).mutable_concatnd()->set_axis(0);
    b.add_layer("scan" + std::to_string(j) + "_update", {grown}, {accumulators[j]}).mutable_copy();
  }
  // New carried values: staged first when one reads another slot's blob (a swap), then copied back.
  std::vector<std::string> sources;
  for (std::size_t k = 0; k < carried; ++k) {
    const Value& value = *body.outputs()[1 + k];
    if (shape_of(b, state, value) != b.shape(2 + k)) {
      b.fail("loop-carried value " + std::to_string(k) + " changes shape from " + nd::dims_text(b.shape(2 + k)) + " to " +
             nd::dims_text(shape_of(b, state, value)) + "; Core ML loops keep shapes");
    }
    const auto it = state.blobs.find(&value);
    const bool reads_other_slot = it != state.blobs.end() && it->second != carried_blobs[k] &&
                                  std::find(carried_blobs.begin(), carried_blobs.end(), it->second) != carried_blobs.end();
    if (it != state.blobs.end() && !reads_other_slot) {
      sources.push_back(it->second);
    } else {
      sources.push_back(b.temp_blob("next" + std::to_string(k)));
      write_into(b, value, sources.back(), "next" + std::to_string(k));
    }
  }
  for (std::size_t k = 0; k < carried; ++k) {
    if (sources[k] != carried_blobs[k]) b.add_layer("update" + std::to_string(k), {sources[k]}, {carried_blobs[k]}).mutable_copy();
  }
  if (conditioned) write_into(b, *body.outputs()[0], condition, "update_condition");
  const std::string next_iteration = b.temp_blob("next_iteration");
  auto& increment = *b.add_layer("next_iteration", {iteration}, {next_iteration}).mutable_activation()->mutable_linear();
  increment.set_alpha(1.0F);
  increment.set_beta(1.0F);
  b.add_layer("update_iteration", {next_iteration}, {iteration}).mutable_copy();
  state.layers = enclosing;

  // Accumulators start with one placeholder row, written before the loop.
  for (std::size_t j = 0; j < scans; ++j) {
    std::vector<std::int64_t> dims{1};
    dims.insert(dims.end(), scan_shapes[j].begin(), scan_shapes[j].end());
    set_constant_layer(b.add_layer("scan" + std::to_string(j) + "_start", {}, {accumulators[j]}),
                       nd::zeros(b, "scan output " + std::to_string(j) + "'s accumulator", dims));
  }
  std::vector<std::string> inputs;
  if (counted) inputs.push_back(b.operand(0));
  auto& loop = *b.add_layer("", inputs, {}).mutable_loop();
  loop.mutable_bodynetwork()->Swap(&body_network);
  if (conditioned) {
    // The conditionNetwork reads the condition the last body run wrote (or the initial one).
    const std::string value = b.temp_blob("condition_value");
    loop.set_conditionvar(value);
    state.layers = loop.mutable_conditionnetwork()->mutable_layers();
    b.add_layer("condition_value", {condition}, {value}).mutable_copy();
    state.layers = enclosing;
  }
  for (std::size_t k = 0; k < carried; ++k) b.set_output_shape(k, b.shape(2 + k));
  for (std::size_t j = 0; j < scans; ++j) {
    // The iteration count is known at run time only: the scan output's shape must be declared.
    const auto out = dynamic::declared_output_shape(b, carried + j, 0);
    auto& slice = *b.add_layer("scan" + std::to_string(j), {accumulators[j]}, {b.output_blob(carried + j)}).mutable_slicestatic();
    for (std::size_t axis = 0; axis <= scan_shapes[j].size(); ++axis) {
      slice.add_beginids(axis == 0 ? 1 : 0);
      slice.add_beginmasks(axis != 0);
      slice.add_endids(0);
      slice.add_endmasks(true);
      slice.add_strides(1);
    }
    b.set_output_shape(carried + j, out);
  }
}

}  // namespace mlconv::converter
