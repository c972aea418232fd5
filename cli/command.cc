#include "cli/command.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "spec/error.h"

namespace mlconv::cli {

namespace {

spdlog::color_mode color_mode_for(ColorChoice color) {
  // NO_COLOR wins over everything: a user who set it wants no escape codes, even from a script
  // that passes --color always.
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return spdlog::color_mode::never;
  switch (color) {
    case ColorChoice::always:
      return spdlog::color_mode::always;
    case ColorChoice::never:
      return spdlog::color_mode::never;
    case ColorChoice::automatic:
      break;
  }
  // spdlog's automatic mode colours only when stderr is a terminal that claims colours.
  return spdlog::color_mode::automatic;
}

spdlog::level::level_enum level_for(int verbosity) {
  if (verbosity < 0) return spdlog::level::err;
  if (verbosity == 0) return spdlog::level::warn;
  return verbosity == 1 ? spdlog::level::info : spdlog::level::debug;
}

// The global options, which every subcommand accepts too (the app falls through to them).
struct GlobalOptions {
  bool quiet = false;
  int verbose = 0;
  std::string color = "auto";

  void apply() const {
    configure_logging(quiet ? -1 : verbose, color == "always"  ? ColorChoice::always
                                            : color == "never" ? ColorChoice::never
                                                               : ColorChoice::automatic);
  }
};

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_flag("-q,--quiet", global.quiet, "Print errors only, no warnings");
  app.add_flag("-v,--verbose", global.verbose, "Print what is being done (info); twice for debug output");
  app.add_option("--color", global.color,
                 "Colour warnings and errors: auto (on a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN")
      ->trigger_on_parse();  // set when read, so a usage error later on the line is shown as asked
  app.fallthrough();
}

}  // namespace

void configure_logging(int verbosity, ColorChoice color) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(color_mode_for(color));
  auto logger = std::make_shared<spdlog::logger>("mlconv", sink);
  logger->set_pattern("mlconv: %^%l%$: %v");
  logger->set_level(level_for(verbosity));
  spdlog::set_default_logger(std::move(logger));
}

int run(std::span<const std::string> args, std::span<const CommandRegistration> commands, const Io& io) {
  CLI::App app{"mlconv: convert, inspect, run and validate Core ML models with custom layers", "mlconv"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mlconv ") + MLCONV_VERSION);
  GlobalOptions global;
  add_global_options(app, global);
  app.footer(
      "Global options go before or after the command. Run 'mlconv COMMAND --help' for the options and\n"
      "examples of a command; 'man mlconv' or docs/ in the source tree for the guide (docs/install.md\n"
      "for completions and the man page).\n"
      "\n"
      "Examples:\n"
      "  mlconv inspect model.mlmodel\n"
      "  mlconv validate --format json model.mlmodel\n"
      "  mlconv convert model.json -o model.mlmodel --rules rules.json\n"
      "  mlconv --quiet run model.mlmodel --random-inputs");
  app.parse_complete_callback([&] { global.apply(); });
  for (const CommandRegistration add : commands) add(app, io);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(reversed);
    return 0;
  } catch (const CLI::CallForHelp&) {
    io.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    io.out << app.version() << "\n";
    return 0;
  } catch (const CLI::ParseError& error) {
    // CLI11 raises help for a subcommand through the same path; keep its text.
    if (error.get_exit_code() == 0) {
      io.out << error.what();
      return 0;
    }
    global.apply();
    spdlog::error("{}", error.what());
    io.err << "Run 'mlconv --help' or 'mlconv COMMAND --help' for usage.\n";
    return 2;
  } catch (const Error& error) {
    spdlog::error("{}", error.what());
    return error.exit_code();
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return 1;
  } catch (const std::exception& error) {
    spdlog::error("internal error: {}", error.what());
    return 1;
  }
}

}  // namespace mlconv::cli
