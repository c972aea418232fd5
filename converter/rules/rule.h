// Conversion rules: an ordered list of (match -> action), first match wins. User
// rule files come first, then the built-in op -> layer mappings, which are rules of
// the same kind whose action names a table entry. Each rule remembers its file and
// JSON pointer so a failure can say which rule fired.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <variant>
#include <vector>

#include "converter/ir/graph.h"

namespace mlconv::converter {

struct LayerMapping;  // converter/export/layer_table.h

struct RuleOrigin {
  std::string file;     // "rules.json", or "built-in", or "--allow-custom"
  std::string pointer;  // "/rules/0"
  int line = 0;
  // "rules.json:5 (rule /rules/0)"; "built-in mapping for Conv".
  [[nodiscard]] std::string describe() const;
};

struct AttributePredicate {
  std::string name;
  Attribute equals;
};

struct RuleMatch {
  std::string op_type;
  std::string domain;                     // "" = default ONNX domain
  std::optional<std::int64_t> opset_min;  // inclusive bounds on the node's domain opset
  std::optional<std::int64_t> opset_max;
  std::string name_glob;                  // "*" wildcards, "?" one character; empty = any
  std::string name_regex_text;            // ECMAScript, whole name; empty = any
  std::optional<std::regex> name_regex;
  std::vector<AttributePredicate> attributes;
};

enum class ParameterType { double_, string, int_, long_, bool_ };
std::string_view parameter_type_name(ParameterType type);

// Where a custom layer parameter's value comes from.
struct ParameterSource {
  std::string name;
  ParameterType type = ParameterType::double_;
  enum class From { attribute, input, literal } from = From::literal;
  std::string key;                 // attribute name, or input name (from input_names)
  std::optional<Attribute> value;  // the literal, or the default for a missing attribute / input
};

struct WeightSource {
  std::string input;  // an input name from input_names, or an initializer name
  ElementType as = ElementType::float32;  // float32 or float16
};

// Output shape of a custom layer: that of an input, or one expression per dimension
// over input dims (x[1], x[-1]) and parameters (k), with + - * / and parentheses.
struct ShapeRule {
  std::optional<std::string> same_as_input;
  std::vector<std::string> dims;
};

struct CustomAction {
  std::string class_name;
  std::string description;
  std::vector<std::string> input_names;  // positional names of the node's inputs
  std::vector<std::string> input_order;  // the layer's inputs, by name
  std::vector<ParameterSource> parameters;
  std::vector<WeightSource> weights;
  std::vector<ShapeRule> output_shapes;  // one for all outputs, or one per output
};

// An attribute of a composite's node: a literal, or the replaced node's attribute.
struct AttributeTemplate {
  std::optional<Attribute> literal;
  std::string from_attribute;
  std::optional<Attribute> fallback;  // when the replaced node lacks from_attribute
};

struct CompositeNode {
  std::string op_type;
  std::string domain;
  std::vector<std::string> inputs;   // local names: the composite's inputs, constants or earlier outputs
  std::vector<std::string> outputs;
  std::map<std::string, AttributeTemplate> attributes;
};

// A scalar float constant made from the replaced node's attribute (or a literal).
struct CompositeConstant {
  std::string name;
  AttributeTemplate value;
};

struct CompositeAction {
  std::vector<std::string> inputs;   // bound to the node's inputs in order
  std::vector<std::string> outputs;  // bound to the node's outputs in order
  std::vector<CompositeConstant> constants;
  std::vector<CompositeNode> nodes;
};

struct NativeAction {
  const LayerMapping* mapping = nullptr;
};

struct Rule {
  RuleMatch match;
  std::variant<NativeAction, CustomAction, CompositeAction> action;
  RuleOrigin origin;

  [[nodiscard]] bool is_builtin() const { return std::holds_alternative<NativeAction>(action); }
  // "custom layer 'Swish'", "composite of 3 nodes", "convolution".
  [[nodiscard]] std::string action_summary() const;
};

// Loads a rules file (schemas/rules.schema.json); throws mlconv::Error naming the file,
// line and JSON pointer of a malformed rule.
std::vector<Rule> load_rules_file(const std::filesystem::path& path);
std::vector<Rule> parse_rules(std::string_view text, const std::string& file);

// Whether `rule` matches `node` of `graph`.
bool rule_matches(const Rule& rule, const Node& node, const Graph& graph);

// The first rule matching the node, or null.
const Rule* find_rule(const std::vector<Rule>& rules, const Node& node, const Graph& graph);

}  // namespace mlconv::converter
