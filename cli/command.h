// What every subcommand shares: where it writes, how it reports, and how it is
// registered with the command line. Each subcommand lives in its own file and
// exposes one register_*_command function; main.cc lists them.
#pragma once

#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mlconv::cli {

struct Io {
  std::ostream& out;
  std::ostream& err;
};

// A subcommand adds itself to `app` and sets a callback that writes to `io`.
// Failures are thrown as mlconv::Error; run() turns them into messages and exit codes.
using CommandRegistration = void (*)(CLI::App& app, const Io& io);

// Parses argv, runs the chosen subcommand and returns the process exit code:
// 0 success, 1 failure on input, 2 command-line usage error.
int run(std::span<const std::string> args, std::span<const CommandRegistration> commands, const Io& io);

// When warnings and errors on stderr are coloured (--color).
enum class ColorChoice { automatic, always, never };

// Configures the stderr logger: "mlconv: warning: ..." at the level the verbosity
// chooses (-1 errors only, 0 warnings, 1 info, 2 and more debug). Colour comes
// automatically only on a terminal and never while NO_COLOR is set to a non-empty
// value; an explicit --color always wins over NO_COLOR, as no-color.org asks.
void configure_logging(int verbosity, ColorChoice color = ColorChoice::automatic);

}  // namespace mlconv::cli
