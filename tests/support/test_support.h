// Shared helpers for tests: where the fixtures are, and small model builders.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mlconv::test {

inline std::filesystem::path source_dir() { return MLCONV_SOURCE_DIR; }
inline std::filesystem::path realmodels_dir() { return MLCONV_REALMODELS_DIR; }
inline std::filesystem::path mlconv_binary() { return MLCONV_BINARY; }

// Every .mlmodel in ../shared/realmodels, sorted by name.
std::vector<std::filesystem::path> real_models();

// A fresh empty directory under the build tree for one test's files.
std::filesystem::path scratch_dir(const std::string& name);

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the mlconv binary with `args` (no shell), capturing stdout and stderr.
CommandResult run_mlconv(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

std::string read_file(const std::filesystem::path& path);

}  // namespace mlconv::test
