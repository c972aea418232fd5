// The command line as plain data, read off the CLI11 App tree: what the shell
// completions and the man page are generated from, so they cannot drift from
// the options the binary really accepts.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mlconv::cli {

// What a value of an option or positional argument is, as far as a shell can complete it.
enum class ValueKind {
  none,       // a flag: no value
  file,       // type name FILE
  directory,  // type name DIR
  choice,     // one of `choices` (a CLI::IsMember check)
  other,      // text or a number: nothing to offer
};

struct OptionDescription {
  std::vector<std::string> names;  // "-o", "--output"; a positional's single name without dashes
  bool positional = false;
  std::string description;
  std::string value_name;  // FILE, DIR, TEXT, INT, WHEN...; empty for flags
  ValueKind kind = ValueKind::none;
  std::vector<std::string> choices;
  std::string default_value;  // shown only when the option captures it
  bool repeatable = false;
  bool required = false;
};

struct CommandDescription {
  std::string name;
  std::string description;
  std::string footer;  // the --help footer: notes and examples
  std::vector<OptionDescription> options;  // options first, then positionals in order
};

struct CommandTree {
  std::string program;
  std::string description;
  std::string footer;
  std::vector<OptionDescription> global_options;  // -h and --version included
  std::vector<CommandDescription> commands;       // the visible subcommands; hidden ones are left out
};

CommandTree describe_command_line(const CLI::App& root);

// Every name an option is known by, for the lists shells offer.
std::vector<std::string> option_names(const std::vector<OptionDescription>& options);

// Writes generated text to standard output, or atomically to `path` when one is given
// (the build's way, so an interrupted build leaves no half-written file).
struct Io;
void write_generated(const std::string& text, const std::string& path, const Io& io);

}  // namespace mlconv::cli
