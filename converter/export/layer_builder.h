// What a mapping from one graph node to Core ML layers works with: the node's
// inputs (blob names, static shapes, constants), typed attributes with ONNX
// defaults, and the network being written. Shapes are kept in the graph's own
// (ONNX) terms, [N, C] or [N, C, H, W], and mapped onto Core ML's rank-5
// [Seq, N, C, H, W] blobs where a layer or feature needs them.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "converter/ir/graph.h"
#include "spec/deferred_weights.h"
#include "spec/error.h"

namespace mlconv::converter {

namespace cml = CoreML::Specification;

// The network under construction, shared by all nodes.
struct NetworkState {
  google::protobuf::RepeatedPtrField<cml::NeuralNetworkLayer>* layers = nullptr;
  // An exact-shape N-d network (iOS 13): shapes keep the graph's rank, constants a
  // layer reads become loadConstantND layers, and the N-d build functions run.
  bool nd = false;
  std::map<const Value*, std::string> blobs;                  // value -> Core ML blob name
  std::map<const Value*, std::vector<std::int64_t>> shapes;   // value -> static graph shape
  std::map<const Value*, TensorData> folded;                  // outputs computed at export (Shape, Size)
  std::set<std::string> used_blob_names;
  std::set<std::string> used_layer_names;
  // Where large float32 weights mapped from a file are recorded instead of copied into
  // the model (spec/deferred_weights.h); null to copy every weight.
  spec::DeferredWeights* deferred = nullptr;
};

class LayerBuilder {
 public:
  LayerBuilder(NetworkState& state, const Graph& graph, const Node& node) : state_(state), graph_(graph), node_(node) {}

  [[nodiscard]] const Node& node() const { return node_; }
  [[nodiscard]] const Graph& graph() const { return graph_; }
  [[nodiscard]] std::size_t input_count() const { return node_.inputs.size(); }
  [[nodiscard]] bool has_input(std::size_t index) const { return node_.input(index) != nullptr; }
  // The input's constant data, or null when it is computed at run time.
  [[nodiscard]] const TensorData* constant(std::size_t index) const;
  // The constant data of a required constant input, converted to float; fails naming `role`.
  [[nodiscard]] std::vector<float> constant_floats(std::size_t index, std::string_view role) const;
  [[nodiscard]] const TensorData& required_constant(std::size_t index, std::string_view role) const;
  // Writes a required constant input into `params` as float32 values, as they are stored
  // (one copy when the constant is float32 already); fails like constant_floats.
  void store_constant_floats(std::size_t index, std::string_view role, cml::WeightParams& params) const;
  // The static shape of an input (a constant's dims too); fails when unknown.
  [[nodiscard]] const std::vector<std::int64_t>& shape(std::size_t index) const;
  // The Core ML blob of a computed input; fails for a constant (callers fold those).
  [[nodiscard]] std::string blob(std::size_t index) const;
  // N-d networks: the blob of input `index`, writing a loadConstantND layer (once per
  // value) when it is a constant.
  std::string operand(std::size_t index);
  // The integer values of a required constant input (shapes, axes, indices).
  [[nodiscard]] std::vector<std::int64_t> constant_ints(std::size_t index, std::string_view role) const;
  [[nodiscard]] bool nd() const { return state_.nd; }
  // Where mapped weights are deferred to the save, or null (NetworkState::deferred).
  [[nodiscard]] spec::DeferredWeights* network_deferred() const { return state_.deferred; }
  // The network under construction, for mappings that write sub-networks (If, Loop).
  [[nodiscard]] NetworkState& state() { return state_; }
  // N-d networks: a loadConstantND layer writing `data` (computed by the mapping, such
  // as a mask) to a new blob "<node>/<suffix>".
  std::string constant_blob(std::string_view suffix, const TensorData& data);
  // Output `index` is the constant `data`, known at export (Shape, Size, ConstantOfShape):
  // later nodes read it as a constant; a loadConstantND is written where a layer reads it.
  void constant_output(std::size_t index, const TensorData& data);

  [[nodiscard]] std::int64_t attr_int(std::string_view name, std::int64_t fallback) const;
  [[nodiscard]] double attr_float(std::string_view name, double fallback) const;
  [[nodiscard]] std::string attr_string(std::string_view name, std::string fallback) const;
  [[nodiscard]] std::vector<std::int64_t> attr_ints(std::string_view name, std::vector<std::int64_t> fallback) const;
  [[nodiscard]] bool has_attr(std::string_view name) const { return node_.find_attribute(name) != nullptr; }

  // The blob name output `index` is written to (the value's name, made unique).
  std::string output_blob(std::size_t index);
  // A fresh blob for a layer inside a multi-layer mapping: "<node>/<suffix>".
  std::string temp_blob(std::string_view suffix);
  // Records output `index`'s shape; in a rank-5 network it must be rank 2 or 4 (what
  // rank-5 layers carry), in an N-d network any rank up to 5 with sizes of at least 1.
  void set_output_shape(std::size_t index, std::vector<std::int64_t> shape);
  // Output `index` is input `input_index` (Identity, Dropout): no layer, same blob.
  void alias_output(std::size_t index, std::size_t input_index);

  // Appends a layer named after the node, plus "/suffix" for the extra layers of a
  // multi-layer mapping.
  cml::NeuralNetworkLayer& add_layer(std::string_view suffix, const std::vector<std::string>& inputs,
                                     const std::vector<std::string>& outputs);

  // Throws "file:line: node 'x' (Op): message".
  [[noreturn]] void fail(const std::string& message) const;
  [[nodiscard]] Error error(const std::string& message) const;

 private:
  [[nodiscard]] const Attribute* attribute(std::string_view name) const { return node_.find_attribute(name); }
  std::string unique_blob(const std::string& base);
  std::string unique_layer_name(const std::string& base);
  // A loadConstantND layer writing `data` to a new blob named after `base`.
  std::string load_constant(const std::string& base, const TensorData& data, std::string output);

  NetworkState& state_;
  const Graph& graph_;
  const Node& node_;
};

// Fills a WeightParams with float32 values.
void set_float_weights(cml::WeightParams& params, const std::vector<float>& values);
// Makes the float32 values of `params` `count` uninitialised slots and returns them, for a
// mapping to write once (a copy or transpose straight from the graph constant).
float* float_weights_to_fill(cml::WeightParams& params, std::size_t count);
// Defers `data` into `params` when `deferred` is set and the bytes are a float32 file
// mapping's, with no copy (spec/deferred_weights.h); false, touching nothing, otherwise.
bool defer_mapped_float32(spec::DeferredWeights* deferred, const TensorData& data, cml::WeightParams& params);
// Core ML rank-5 [1, N, C, H, W] for a graph shape [N, C] or [N, C, H, W].
std::vector<std::int64_t> rank5_shape(const std::vector<std::int64_t>& shape);

}  // namespace mlconv::converter
