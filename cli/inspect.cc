#include "cli/commands.h"
namespace mlconv::cli {
void register_inspect_command(CLI::App& app, const Io& io) { (void)app; (void)io; }
}
