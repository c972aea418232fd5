// Planning a conversion: the graph passes, rules in order (user files, built-ins, --allow-custom),
// composite expansion to a fixed point, and the reports about what will happen.
#include "converter/convert.h"

#include <nlohmann/json.hpp>

#include "converter/export/custom_layer.h"
#include "converter/export/layer_table.h"
#include "converter/frontends/load_graph.h"
#include "converter/passes/pass.h"
#include "converter/rules/composite.h"
#include "spec/error.h"

namespace mlconv::converter {
namespace {

// Composites may expand into ops that other composites cover; this bounds the chain
// so a rule that (indirectly) produces its own op fails instead of looping.
constexpr int max_composite_depth = 8;

void expand_composites(ConversionPlan& plan) {
  std::map<const Node*, int> depth;
  bool expanded = true;
  while (expanded) {
    expanded = false;
    for (Node* node : plan.graph.topological_order()) {
      const Rule* rule = nullptr;
      for (const Rule& candidate : plan.rules) {
        if (rule_matches(candidate, *node, plan.graph)) {
          rule = &candidate;
          break;
        }
      }
      if (rule == nullptr || !std::holds_alternative<CompositeAction>(rule->action)) continue;
      const int level = depth[node] + 1;
      if (level > max_composite_depth) {
        throw Error("composite rules nest more than " + std::to_string(max_composite_depth) + " levels deep; does rule " +
                    rule->origin.describe() + " produce the op it replaces?")
            .within(node->describe())
            .in_file(node->location.describe());
      }
      depth.erase(node);
      for (Node* created : expand_composite(plan.graph, *node, std::get<CompositeAction>(rule->action), rule->origin)) {
        depth[created] = level;
      }
      expanded = true;
      break;  // the order changed; start again
    }
  }
}

nlohmann::ordered_json rule_json(const Node& example, const CustomAction& action) {
  nlohmann::ordered_json match{{"op_type", example.op_type}};
  if (!example.domain.empty()) match["domain"] = example.domain;
  nlohmann::ordered_json custom{{"class_name", action.class_name}};
  custom["input_names"] = action.input_names;
  custom["input_order"] = action.input_order;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  for (const auto& p : action.parameters) {
    parameters[p.name] = {{"type", parameter_type_name(p.type)}, {"from_attribute", p.key}};
  }
  custom["parameters"] = parameters;
  nlohmann::ordered_json weights = nlohmann::ordered_json::array();
  for (const auto& w : action.weights) weights.push_back({{"from", w.input}, {"as", "float32"}});
  custom["weights"] = weights;
  if (!action.output_shapes.empty()) custom["output_shape"] = {{"same_as_input", *action.output_shapes[0].same_as_input}};
  return {{"match", match}, {"custom", custom}};
}

}  // namespace

std::optional<int> spec_version_for_target(std::string_view target) {
  static const std::pair<std::string_view, int> targets[] = {
      {"iOS11", 1}, {"iOS11.2", 2}, {"iOS12", 3}, {"iOS13", 4}, {"iOS14", 5}};
  for (const auto& [name, version] : targets) {
    if (name == target) return version;
  }
  return std::nullopt;
}

ConversionPlan plan_conversion(const std::filesystem::path& input, const ConvertOptions& options) {
  if (options.on_stage) options.on_stage("loading");
  return plan_conversion(load_graph(input), options);
}

ConversionPlan plan_conversion(Graph graph, const ConvertOptions& options) {
  ConversionPlan plan{std::move(graph), {}, {}, {}, {}};
  run_passes(plan.graph, PassOptions{options.fusions, options.on_stage});
  if (options.on_stage) options.on_stage("planning");
  for (const auto& file : options.rule_files) {
    for (Rule& rule : load_rules_file(file)) plan.rules.push_back(std::move(rule));
  }
  for (Rule& rule : builtin_rules()) plan.rules.push_back(std::move(rule));
  expand_composites(plan);

  const std::vector<Node*> order = plan.graph.topological_order();
  for (const Node* node : order) {
    const Rule* rule = nullptr;
    for (const Rule& candidate : plan.rules) {
      if (rule_matches(candidate, *node, plan.graph)) {
        rule = &candidate;
        break;
      }
    }
    if (rule != nullptr) {
      plan.chosen[node] = rule;
      continue;
    }
    auto it = std::find_if(plan.unsupported.begin(), plan.unsupported.end(), [&](const UnsupportedOp& op) {
      return op.op_type == node->op_type && op.domain == node->domain;
    });
    if (it == plan.unsupported.end()) {
      plan.unsupported.push_back({node->op_type, node->domain, {}});
      it = std::prev(plan.unsupported.end());
    }
    it->nodes.push_back(node);
  }
  if (options.allow_custom && !plan.unsupported.empty()) {
    for (const UnsupportedOp& op : plan.unsupported) {
      // One rule per node: nodes of the same op may carry different attributes.
      for (const Node* node : op.nodes) {
        Rule rule;
        rule.match.op_type = op.op_type;
        rule.match.domain = op.domain;
        rule.action = default_custom_action(*node);
        rule.origin = RuleOrigin{"--allow-custom", "", 0};
        plan.rules.push_back(std::move(rule));
        plan.chosen[node] = &plan.rules.back();
      }
      std::string note = "--allow-custom: " + op.op_type + (op.domain.empty() ? "" : " (domain '" + op.domain + "')") +
                         " became custom layer '" + op.op_type + "' for " + std::to_string(op.nodes.size()) + " node" +
                         (op.nodes.size() == 1 ? "" : "s") + "; the app must provide an MLCustomLayer class of that name";
      std::map<std::string, Attribute::Kind> dropped;
      for (const Node* node : op.nodes) {
        for (const auto& [name, attribute] : node->attributes) {
          const auto kind = attribute.kind();
          if (kind != Attribute::Kind::int_ && kind != Attribute::Kind::float_ && kind != Attribute::Kind::string) dropped[name] = kind;
        }
      }
      for (const auto& [name, kind] : dropped) {
        note += "; attribute '" + name + "' (" + std::string(attribute_kind_name(kind)) + ") has no custom-parameter type and was left out";
      }
      plan.notes.push_back(note);
    }
    plan.unsupported.clear();
  }
  return plan;
}

std::string suggested_rules_json(const ConversionPlan& plan) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const UnsupportedOp& op : plan.unsupported) rules.push_back(rule_json(*op.nodes.front(), default_custom_action(*op.nodes.front())));
  return nlohmann::ordered_json{{"rules", rules}}.dump(2);
}

void require_supported(const ConversionPlan& plan) {
  if (plan.unsupported.empty()) return;
  std::size_t nodes = 0;
  for (const auto& op : plan.unsupported) nodes += op.nodes.size();
  std::string message = std::to_string(plan.unsupported.size()) + " unsupported op type" + (plan.unsupported.size() == 1 ? "" : "s") +
                        " (" + std::to_string(nodes) + " node" + (nodes == 1 ? "" : "s") + "); no rule or built-in mapping covers:";
  for (const UnsupportedOp& op : plan.unsupported) {
    message += "\n  " + op.op_type + " (domain '" + op.domain + "'): " + std::to_string(op.nodes.size()) + " node" +
               (op.nodes.size() == 1 ? "" : "s") + ": ";
    for (std::size_t i = 0; i < op.nodes.size(); ++i) {
      message += (i ? ", " : "") + op.nodes[i]->name + " (" + op.nodes[i]->location.describe() + ")";
    }
  }
  message += "\nAdd rules (--rules FILE) such as the following, or pass --allow-custom to make each a custom layer:\n" +
             suggested_rules_json(plan);
  throw Error(message).in_file(plan.graph.location.file);
}

std::string check_report(const ConversionPlan& plan) {
  std::string out;
  std::size_t uncovered = 0;
  for (const Node* node : plan.graph.topological_order()) {
    out += node->name + " (" + node->op_type + (node->domain.empty() ? "" : ", domain '" + node->domain + "'") + "): ";
    const auto it = plan.chosen.find(node);
    if (it == plan.chosen.end()) {
      out += "UNSUPPORTED\n";
      ++uncovered;
      continue;
    }
    const Rule& rule = *it->second;
    out += rule.action_summary() + " [" + (rule.is_builtin() ? std::string("built-in") : rule.origin.describe()) + "]\n";
  }
  out += std::to_string(plan.graph.node_count()) + " nodes, " + std::to_string(uncovered) + " unsupported\n";
  for (const auto& note : plan.notes) out += note + "\n";
  if (uncovered > 0) out += "Rules that would cover them:\n" + suggested_rules_json(plan) + "\n";
  return out;
}

}  // namespace mlconv::converter
