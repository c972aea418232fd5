// Composite expansion. New values and nodes are named "<node>/<local name>" so the
// Core ML layers they become can be traced back to the node they replace.
#include "converter/rules/composite.h"

#include <optional>

#include "spec/error.h"

namespace mlconv::converter {
namespace {

// The template's value for `node`; nullopt when the attribute is missing without default.
std::optional<Attribute> resolve(const AttributeTemplate& t, const Node& node) {
  if (t.literal) return *t.literal;
  if (const Attribute* a = node.find_attribute(t.from_attribute)) {
    if (t.fallback && t.fallback->kind() == Attribute::Kind::float_ && a->kind() == Attribute::Kind::int_) {
      return Attribute(a->as_float());
    }
    return *a;
  }
  return t.fallback;
}

}  // namespace

std::vector<Node*> expand_composite(Graph& graph, Node& node, const CompositeAction& action, const RuleOrigin& origin) {
  const auto fail = [&](const std::string& message) {
    Error e(message);
    e.within("rule " + origin.describe()).within(node.describe()).in_file(node.location.describe());
    throw e;
  };
  if (node.inputs.size() < action.inputs.size()) {
    fail("the composite expects " + std::to_string(action.inputs.size()) + " inputs; the node has " + std::to_string(node.inputs.size()));
  }
  if (node.outputs.size() != action.outputs.size()) {
    fail("the composite produces " + std::to_string(action.outputs.size()) + " outputs; the node has " + std::to_string(node.outputs.size()));
  }
  std::map<std::string, Value*> local;
  for (std::size_t i = 0; i < action.inputs.size(); ++i) local[action.inputs[i]] = node.inputs[i];
  for (const CompositeConstant& constant : action.constants) {
    const auto resolved = resolve(constant.value, node);
    if (!resolved) fail("constant '" + constant.name + "': attribute '" + constant.value.from_attribute + "' is missing and the rule gives no default");
    const Attribute& value = *resolved;
    Value& created = graph.add_value(graph.unique_value_name(node.name + "/" + constant.name), node.location);
    if (value.kind() == Attribute::Kind::int_) {
      created.constant = TensorData::from_ints({}, {value.as_int()});
    } else {
      created.constant = TensorData::from_floats({}, {static_cast<float>(value.as_float())});
    }
    created.type = created.constant->type;
    created.shape = Shape{};
    local[constant.name] = &created;
  }
  const std::vector<Value*> outputs = node.outputs;
  for (std::size_t i = 0; i < action.outputs.size(); ++i) local[action.outputs[i]] = outputs[i];

  // Attributes are read before the node is removed.
  std::vector<std::map<std::string, Attribute>> attributes;
  for (const CompositeNode& part : action.nodes) {
    std::map<std::string, Attribute> resolved;
    for (const auto& [key, t] : part.attributes) {
      auto value = resolve(t, node);
      if (!value) fail("attribute '" + key + "': attribute '" + t.from_attribute + "' is missing and the rule gives no default");
      resolved.emplace(key, std::move(*value));
    }
    attributes.push_back(std::move(resolved));
  }
  const std::string base = node.name;
  const SourceLocation where = node.location;
  graph.remove_node(node);  // `node` is gone from here on

  std::vector<Node*> created;
  for (std::size_t n = 0; n < action.nodes.size(); ++n) {
    const CompositeNode& part = action.nodes[n];
    std::vector<Value*> inputs;
    for (const std::string& name : part.inputs) inputs.push_back(name.empty() ? nullptr : local.at(name));
    std::vector<Value*> part_outputs;
    for (const std::string& name : part.outputs) {
      if (!local.contains(name)) local[name] = &graph.add_value(graph.unique_value_name(base + "/" + name), where);
      part_outputs.push_back(local[name]);
    }
    Node& added = graph.add_node(base + "/" + std::to_string(n) + "_" + part.op_type, part.op_type, part.domain,
                                 std::move(inputs), std::move(part_outputs), where);
    added.attributes = std::move(attributes[n]);
    created.push_back(&added);
  }
  return created;
}

}  // namespace mlconv::converter
