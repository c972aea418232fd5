// The mlconv binary: the list of subcommands, nothing else.
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/commands.h"
#include "spec/temp_files.h"

int main(int argc, char** argv) {
  using namespace mlconv::cli;
  static constexpr CommandRegistration commands[] = {
      register_inspect_command,
      register_dump_command,
      register_validate_command,
      register_convert_command,
      register_run_command,
      register_scaffold_command,
      register_completion_command,
      register_manpage_command,
  };
  // Ctrl-C while writing leaves no partial file (spec/temp_files.h).
  mlconv::spec::install_interrupt_cleanup();
  configure_logging(0);
  const std::vector<std::string> args(argv, argv + argc);
  return run(args, commands, Io{std::cout, std::cerr});
}
