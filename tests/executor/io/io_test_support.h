// Helpers shared by the executor I/O tests: fixture paths, a scratch directory,
// and the message of the mlconv::Error an expression throws.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <unistd.h>

#include "spec/error.h"

namespace mlconv::exec::io::testing {

inline std::filesystem::path fixture(std::string_view name) {
  return std::filesystem::path(MLCONV_SOURCE_DIR) / "tests/executor/io/fixtures" / name;
}

// A fresh file name in a per-process scratch directory.
inline std::filesystem::path scratch(std::string_view name) {
  const auto dir = std::filesystem::temp_directory_path() / ("mlconv-io-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  return path;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of the mlconv::Error `f` throws, or "" when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace mlconv::exec::io::testing
