// Matching a node against a rule, and describing rules in messages.
#include "converter/rules/rule.h"

#include "converter/export/layer_table.h"

namespace mlconv::converter {
namespace {

// Glob match with '*' (any run) and '?' (one character), iterative with backtracking.
bool glob_matches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool attribute_equals(const Attribute& actual, const Attribute& expected) {
  using Kind = Attribute::Kind;
  const auto numeric = [](Kind k) { return k == Kind::int_ || k == Kind::float_; };
  if (numeric(actual.kind()) && numeric(expected.kind())) return actual.as_float() == expected.as_float();
  const auto numeric_list = [](Kind k) { return k == Kind::ints || k == Kind::floats; };
  if (numeric_list(actual.kind()) && numeric_list(expected.kind())) return actual.as_floats() == expected.as_floats();
  return actual.value() == expected.value();
}

}  // namespace

std::string_view parameter_type_name(ParameterType type) {
  switch (type) {
    case ParameterType::double_: return "double";
    case ParameterType::string: return "string";
    case ParameterType::int_: return "int";
    case ParameterType::long_: return "long";
    case ParameterType::bool_: return "bool";
  }
  return "?";
}

std::string RuleOrigin::describe() const {
  if (pointer.empty()) return file;
  return (line > 0 ? file + ":" + std::to_string(line) : file) + " (rule " + pointer + ")";
}

std::string Rule::action_summary() const {
  if (const auto* native = std::get_if<NativeAction>(&action)) return std::string(native->mapping->summary());
  if (const auto* custom = std::get_if<CustomAction>(&action)) return "custom layer '" + custom->class_name + "'";
  const auto& composite = std::get<CompositeAction>(action);
  return "composite of " + std::to_string(composite.nodes.size()) + " node" + (composite.nodes.size() == 1 ? "" : "s");
}

bool rule_matches(const Rule& rule, const Node& node, const Graph& graph) {
  const RuleMatch& m = rule.match;
  const std::string domain = node.domain == "ai.onnx" ? "" : node.domain;
  if (m.op_type != node.op_type || m.domain != domain) return false;
  if (m.opset_min || m.opset_max) {
    const std::int64_t opset = graph.opset_version(domain);
    if (m.opset_min && opset < *m.opset_min) return false;
    if (m.opset_max && opset > *m.opset_max) return false;
  }
  if (!m.name_glob.empty() && !glob_matches(m.name_glob, node.name)) return false;
  if (m.name_regex && !std::regex_match(node.name, *m.name_regex)) return false;
  for (const auto& predicate : m.attributes) {
    const Attribute* actual = node.find_attribute(predicate.name);
    if (actual == nullptr || !attribute_equals(*actual, predicate.equals)) return false;
  }
  return true;
}

const Rule* find_rule(const std::vector<Rule>& rules, const Node& node, const Graph& graph) {
  for (const Rule& rule : rules) {
    if (rule_matches(rule, node, graph)) return &rule;
  }
  return nullptr;
}

}  // namespace mlconv::converter
