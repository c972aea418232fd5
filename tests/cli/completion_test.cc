// The shell completions and the man page are generated from the command line:
// every subcommand and option `--help` shows must be in each, in its command's
// part; the files the build wrote must be what the binary prints now.
// (tests/cli/completion_bash_test.sh runs the bash completion in bash, and
// tests/cli/manpage_render_test.sh renders the man page with groff.)
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace mlconv::test {

namespace {

using Names = std::vector<std::string>;

// The lines of a --help section ("Options:", "Subcommands:") up to the next blank line.
std::vector<std::string> help_section(const std::string& help, const std::string& title) {
  std::vector<std::string> lines;
  const auto start = help.find("\n" + title + "\n");
  if (start == std::string::npos) return lines;
  std::istringstream in(help.substr(start + title.size() + 2));
  for (std::string line; std::getline(in, line) && !line.empty();) lines.push_back(line);
  return lines;
}

// "  -o,--output FILE   Write..." -> {"-o", "--output"}; continuation lines (deeper indent) give nothing.
Names names_in_help_line(const std::string& line) {
  if (line.size() < 3 || line[2] == ' ') return {};
  std::istringstream in(line);
  std::string first;
  in >> first;
  Names names;
  std::istringstream parts(first);
  for (std::string name; std::getline(parts, name, ',');) names.push_back(name);
  return names;
}

struct HelpedCommand {
  Names options;
  Names positionals;
};

// What CLI11's own --help lists, independent of the generators' walk of the App tree.
std::map<std::string, HelpedCommand> commands_from_help() {
  std::map<std::string, HelpedCommand> commands;
  const CommandResult root = run_mlconv({"--help"});
  REQUIRE(root.exit_code == 0);
  for (const auto& line : help_section(root.out, "Subcommands:")) {
    const Names names = names_in_help_line(line);
    if (names.empty()) continue;
    const CommandResult help = run_mlconv({names.front(), "--help"});
    REQUIRE(help.exit_code == 0);
    HelpedCommand& command = commands[names.front()];
    for (const auto& option_line : help_section(help.out, "Options:"))
      for (const auto& name : names_in_help_line(option_line)) command.options.push_back(name);
    for (const auto& positional_line : help_section(help.out, "Positionals:"))
      for (const auto& name : names_in_help_line(positional_line)) command.positionals.push_back(name);
  }
  return commands;
}

Names global_options_from_help() {
  Names names;
  for (const auto& line : help_section(run_mlconv({"--help"}).out, "Options:"))
    for (const auto& name : names_in_help_line(line)) names.push_back(name);
  return names;
}

// `word` stands on its own in `text`: not part of a longer option or command name.
bool has_word(const std::string& text, const std::string& word) {
  const auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; };
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    // roff writes a minus sign as \- and switches fonts with \fB, \fI before a name.
    const bool after_font = at >= 3 && text[at - 3] == '\\' && text[at - 2] == 'f';
    const bool starts = at == 0 || !name_char(text[at - 1]) || after_font;
    const std::size_t end = at + word.size();
    if (starts && (end == text.size() || !name_char(text[end]))) return true;
  }
  return false;
}

// The text between `begin` and the next `end` after it; empty when `begin` is missing.
std::string part(const std::string& text, const std::string& begin, const std::string& end) {
  const auto start = text.find(begin);
  if (start == std::string::npos) return "";
  return text.substr(start, text.find(end, start + begin.size()) - start);
}

// How roff writes a name: minus signs escaped.
std::string roff_name(const std::string& name) {
  std::string out;
  for (const char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::string generated(const std::vector<std::string>& args) {
  const CommandResult result = run_mlconv(args);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err == "");
  return result.out;
}

}  // namespace

TEST_CASE("completion: bash and zsh completions and the man page list every command and option of --help") {
  const auto commands = commands_from_help();
  REQUIRE(commands.size() >= 6);
  CHECK(commands.contains("inspect"));
  CHECK(commands.contains("run"));
  CHECK_FALSE(commands.contains("completion"));  // hidden: for packagers and the build
  const std::string bash = generated({"completion", "bash"});
  const std::string zsh = generated({"completion", "zsh"});
  const std::string man = generated({"manpage"});

  for (const auto& entry : commands) {
    const auto& name = entry.first;
    const auto& command = entry.second;
    CAPTURE(name);
    const std::string bash_part = part(bash, "\n    " + name + ")\n", "\n      ;;");
    const std::string zsh_part = part(zsh, "\n_mlconv_" + name + "() {", "\n}\n");
    const std::string man_part = part(man, "\n.SS mlconv " + name + "\n", "\n.S");
    REQUIRE(bash_part != "");
    REQUIRE(zsh_part != "");
    REQUIRE(man_part != "");
    CHECK(zsh.find("\n    '" + name + ":") != std::string::npos);  // offered by _mlconv_commands
    for (const auto& option : command.options) {
      CAPTURE(option);
      CHECK(has_word(bash_part, option));
      CHECK(has_word(zsh_part, option));
      CHECK(has_word(man_part, roff_name(option)));
    }
    for (const auto& positional : command.positionals) {
      CAPTURE(positional);
      CHECK(has_word(zsh_part, positional));
      CHECK(has_word(man_part, roff_name(positional)));
    }
  }
  const std::string bash_root = part(bash, "\n    *)\n", "\n      ;;");
  const std::string zsh_root = part(zsh, "\n_mlconv() {", "\n}\n");
  const std::string man_global = part(man, "\n.SH GLOBAL OPTIONS\n", "\n.SH");
  for (const auto& option : global_options_from_help()) {
    CAPTURE(option);
    CHECK(has_word(bash_root, option));
    CHECK(has_word(zsh_root, option));
    CHECK(has_word(man_global, roff_name(option)));
  }
  CHECK_FALSE(has_word(bash, "completion)"));
  CHECK(zsh.find("_mlconv_completion") == std::string::npos);
  CHECK(man.find(".SS mlconv manpage") == std::string::npos);
}

TEST_CASE("completion: the zsh completion is a well-formed compdef file") {
  const std::string zsh = generated({"completion", "zsh"});
  CHECK(zsh.rfind("#compdef mlconv\n", 0) == 0);
  CHECK(zsh.ends_with("\n_mlconv \"$@\"\n"));
  // Every line's single quotes pair up ('\'' is a quote inside a quoted word), and braces balance.
  int depth = 0;
  std::istringstream lines(zsh);
  for (std::string line; std::getline(lines, line);) {
    CAPTURE(line);
    if (line.starts_with("#")) continue;
    std::string plain = line;
    for (auto at = plain.find("'\\''"); at != std::string::npos; at = plain.find("'\\''")) plain.replace(at, 4, "");
    bool quoted = false;
    for (const char c : plain) {
      if (c == '\'') quoted = !quoted;
      if (!quoted && c == '{') ++depth;
      if (!quoted && c == '}') --depth;
    }
    CHECK_FALSE(quoted);
    CHECK(depth >= 0);
  }
  CHECK(depth == 0);
  // Choices and value kinds come from the command line: an IsMember list, FILE, DIR.
  CHECK(zsh.find("'[Output format: text (one finding per line), json, junit (XML for CI dashboards) or github "
                 "(workflow annotations)]:format:(text json junit github)'") != std::string::npos);
  CHECK(zsh.find("'*''--plugin=''[LIB.so: a custom-layer plugin (also: MLCONV_PLUGIN_PATH)]:file:_files'") !=
        std::string::npos);
  CHECK(zsh.find("'--output-dir=''[") != std::string::npos);
  CHECK(part(zsh, "'--output-dir=''[", "\n").find(":dir:_files -/'") != std::string::npos);
  CHECK(zsh.find("'(-o --output)'{-o+,--output=}'[The .mlmodel to write (atomically)]:file:_files'") !=
        std::string::npos);
  CHECK(zsh.find("'1:model:_files'") != std::string::npos);
  for (const auto& [name, command] : commands_from_help())
    CHECK(zsh.find("        " + name + ") _mlconv_" + name + " && ret=0 ;;\n") != std::string::npos);
}

TEST_CASE("completion: the build generated the completions and man page the binary prints") {
  CHECK(read_file(MLCONV_BASH_COMPLETION) == generated({"completion", "bash"}));
  CHECK(read_file(MLCONV_ZSH_COMPLETION) == generated({"completion", "zsh"}));
  CHECK(read_file(MLCONV_MANPAGE) == generated({"manpage"}));
  const CommandResult bad = run_mlconv({"completion", "fish"}, {"NO_COLOR=1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("mlconv: error: shell: fish not in {bash,zsh}", 0) == 0);
}

}  // namespace mlconv::test
