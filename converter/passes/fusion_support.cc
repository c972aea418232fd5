// Helpers of the fusion passes (fusion_support.h).
#include "converter/passes/fusion_support.h"

#include <algorithm>

namespace mlconv::converter {

Node* sole_reader(const Graph& graph, const Node& node, std::string_view op_type) {
  if (node.outputs.size() != 1) return nullptr;
  const Value& output = *node.outputs[0];
  if (output.consumers.size() != 1 || graph.is_output(output)) return nullptr;
  Node* reader = output.consumers[0];
  return is_onnx_op(*reader, op_type) ? reader : nullptr;
}

Value* other_input(const Node& reader, const Value* value) {
  if (reader.inputs.size() != 2) return nullptr;
  if (reader.inputs[0] == value) return reader.inputs[1];
  if (reader.inputs[1] == value) return reader.inputs[0];
  return nullptr;
}

std::optional<std::vector<double>> float_constant(const Value* value) {
  if (value == nullptr || !value->constant) return std::nullopt;
  const TensorData& data = *value->constant;
  if (data.type != ElementType::float32 && data.type != ElementType::float16) return std::nullopt;
  const auto floats = data.to_floats();
  return std::vector<double>(floats.begin(), floats.end());
}

std::optional<std::vector<double>> per_axis_constant(const Value* value, std::size_t axis, std::size_t rank, std::int64_t extent) {
  const auto values = float_constant(value);
  if (!values) return std::nullopt;
  const auto& dims = value->constant->dims;
  if (dims.size() > rank) return std::nullopt;
  std::int64_t along = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::size_t aligned = i + rank - dims.size();
    if (aligned == axis) {
      if (dims[i] != 1 && dims[i] != extent) return std::nullopt;
      along = dims[i];
    } else if (dims[i] != 1) {
      return std::nullopt;
    }
  }
  if (along == extent) return values;
  return std::vector<double>(static_cast<std::size_t>(extent), values->at(0));
}

void replace_input_with_constant(Graph& graph, Node& node, std::size_t index, std::string_view role,
                                 std::vector<std::int64_t> dims, const std::vector<double>& values) {
  std::vector<float> floats(values.begin(), values.end());
  Value& fresh = graph.add_value(graph.unique_value_name(node.name + "/fused_" + std::string(role)), node.location);
  fresh.constant = TensorData::from_floats(std::move(dims), floats);
  fresh.type = ElementType::float32;
  fresh.shape = shape_of_dims(fresh.constant->dims);
  if (node.inputs.size() <= index) node.inputs.resize(index + 1, nullptr);
  if (Value* old = node.inputs[index]) {
    auto& readers = old->consumers;
    readers.erase(std::find(readers.begin(), readers.end(), &node));
  }
  node.inputs[index] = &fresh;
  fresh.consumers.push_back(&node);
}

}  // namespace mlconv::converter
