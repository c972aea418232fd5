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

}  // namespace mlconv::cli
