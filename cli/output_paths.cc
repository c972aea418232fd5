// Refusing to overwrite an input: `convert g.json -o g.json` or `dump m.mlmodel
// -o m.mlmodel` would destroy the only copy, and atomic writes do not help.
#include "cli/output_paths.h"

#include "spec/error.h"

namespace mlconv::cli {

namespace fs = std::filesystem;

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    const bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  const fs::path absolute_a = fs::absolute(a, ec).lexically_normal();
  const fs::path absolute_b = fs::absolute(b, ec).lexically_normal();
  return absolute_a == absolute_b;
}

void refuse_output_over_input(const std::string& output, std::string_view option, std::span<const std::string> inputs,
                              bool force) {
  if (output.empty() || force) return;
  for (const std::string& input : inputs) {
    if (input.empty() || !same_file(output, input)) continue;
    throw Error(std::string(option) + " '" + output + "' is the input file '" + input +
                    "'; writing it would destroy the input (choose another output, or add --force to replace it)",
                Error::Kind::usage);
  }
}

}  // namespace mlconv::cli
