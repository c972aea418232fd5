// One registration function per subcommand file.
#pragma once

#include "cli/command.h"

namespace mlconv::cli {

void register_inspect_command(CLI::App& app, const Io& io);  // inspect.cc
void register_dump_command(CLI::App& app, const Io& io);     // dump.cc
void register_validate_command(CLI::App& app, const Io& io);  // validate.cc
void register_convert_command(CLI::App& app, const Io& io);   // convert.cc
void register_run_command(CLI::App& app, const Io& io);       // run.cc
void register_scaffold_command(CLI::App& app, const Io& io);  // scaffold.cc
// Hidden: generated from the command line registered before them, so they come last.
void register_completion_command(CLI::App& app, const Io& io);  // completion.cc
void register_manpage_command(CLI::App& app, const Io& io);     // manpage.cc

}  // namespace mlconv::cli
