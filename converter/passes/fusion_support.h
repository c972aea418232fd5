// What the fusion passes share: finding "producer -> single reader" pairs, reading a
// per-channel constant, and swapping a node's weight input for a new constant.
#pragma once

#include <optional>
#include <vector>

#include "converter/passes/pass.h"

namespace mlconv::converter {

// The one node reading `node`'s only output, when that output is not a graph output
// and the reader is the ONNX op `op_type`; null otherwise.
Node* sole_reader(const Graph& graph, const Node& node, std::string_view op_type);

// The input of `reader` other than `value` when `reader` has two inputs, one being `value`.
Value* other_input(const Node& reader, const Value* value);

// A constant's values as doubles (float types only); nullopt when not a float constant.
std::optional<std::vector<double>> float_constant(const Value* value);

// The values of a constant that varies at most along `axis` of a tensor of rank `rank`
// with `extent` entries there (per-channel scale or bias), expanded to `extent` values;
// nullopt when it varies along another axis or does not broadcast.
std::optional<std::vector<double>> per_axis_constant(const Value* value, std::size_t axis, std::size_t rank, std::int64_t extent);

// Makes input `index` of `node` a new float32 constant `values` of `dims` named after
// the node ("conv1/fused_W"); the old value stays for its other readers.
void replace_input_with_constant(Graph& graph, Node& node, std::size_t index, std::string_view role,
                                 std::vector<std::int64_t> dims, const std::vector<double>& values);

}  // namespace mlconv::converter
