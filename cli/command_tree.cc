#include "cli/command_tree.h"

#include <algorithm>

namespace mlconv::cli {

namespace {

// CLI11 shows an IsMember check as ":{a,b,c}" after the type name.
std::vector<std::string> choices_in(const std::string& full_type_name) {
  const auto open = full_type_name.find(":{");
  if (open == std::string::npos) return {};
  const auto close = full_type_name.find('}', open);
  if (close == std::string::npos) return {};
  std::vector<std::string> choices;
  const std::string list = full_type_name.substr(open + 2, close - open - 2);
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) choices.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return choices;
}

ValueKind kind_of(const std::string& value_name, const std::vector<std::string>& choices) {
  if (value_name.empty()) return ValueKind::none;
  if (!choices.empty()) return ValueKind::choice;
  if (value_name == "FILE") return ValueKind::file;
  if (value_name == "DIR") return ValueKind::directory;
  return ValueKind::other;
}

OptionDescription describe_option(const CLI::Option& option) {
  OptionDescription out;
  out.positional = !option.nonpositional();
  if (out.positional) {
    out.names.push_back(option.get_name(true));
  } else {
    for (const auto& name : option.get_snames()) out.names.push_back("-" + name);
    for (const auto& name : option.get_lnames()) out.names.push_back("--" + name);
  }
  out.description = option.get_description();
  const bool flag = option.get_expected_max() == 0;  // a flag takes no value
  const std::string full_type_name = option.get_type_name();
  if (!flag) {
    out.value_name = full_type_name.substr(0, full_type_name.find(':'));
    if (out.value_name.empty()) out.value_name = "VALUE";
    out.choices = choices_in(full_type_name);
    out.default_value = option.get_default_str();
  }
  out.kind = kind_of(out.value_name, out.choices);
  out.repeatable = !flag && option.get_items_expected_max() > 1;
  out.required = option.get_required();
  return out;
}

// Options first (in the order they were added), positionals after them.
std::vector<OptionDescription> describe_options(const CLI::App& app) {
  std::vector<OptionDescription> named;
  std::vector<OptionDescription> positional;
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden
    OptionDescription described = describe_option(*option);
    (described.positional ? positional : named).push_back(std::move(described));
  }
  named.insert(named.end(), positional.begin(), positional.end());
  return named;
}

}  // namespace

CommandTree describe_command_line(const CLI::App& root) {
  CommandTree tree;
  tree.program = root.get_name();
  tree.description = root.get_description();
  tree.footer = root.get_footer();
  tree.global_options = describe_options(root);
  for (const CLI::App* command : root.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); })) {
    tree.commands.push_back(CommandDescription{command->get_name(), command->get_description(), command->get_footer(),
                                               describe_options(*command)});
  }
  return tree;
}

std::vector<std::string> option_names(const std::vector<OptionDescription>& options) {
  std::vector<std::string> names;
  for (const auto& option : options)
    if (!option.positional) names.insert(names.end(), option.names.begin(), option.names.end());
  return names;
}

}  // namespace mlconv::cli
