#include "cli/command.h"

#include <unistd.h>

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "spec/error.h"

namespace mlconv::cli {

void configure_logging(int verbosity) {
  const bool no_color = std::getenv("NO_COLOR") != nullptr && *std::getenv("NO_COLOR") != '\0';
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(no_color ? spdlog::color_mode::never
                                                                             : spdlog::color_mode::automatic);
  auto logger = std::make_shared<spdlog::logger>("mlconv", sink);
  logger->set_pattern("mlconv: %^%l%$: %v");
  logger->set_level(verbosity < 0   ? spdlog::level::err
                    : verbosity == 0 ? spdlog::level::warn
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::debug);
  spdlog::set_default_logger(std::move(logger));
}

int run(std::span<const std::string> args, std::span<const CommandRegistration> commands, const Io& io) {
  CLI::App app{"mlconv: convert, inspect, run and validate Core ML models with custom layers", "mlconv"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mlconv ") + MLCONV_VERSION);
  bool quiet = false;
  int verbose = 0;
  app.add_flag("-q,--quiet", quiet, "Print errors only");
  app.add_flag("-v,--verbose", verbose, "Print more detail (repeat for debug output)");
  app.footer("Run 'mlconv COMMAND --help' for the options and examples of a command.");
  app.parse_complete_callback([&] { configure_logging(quiet ? -1 : verbose); });
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
