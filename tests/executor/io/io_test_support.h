// Helpers shared by the executor I/O tests: fixture paths, a scratch directory,
// and the message of the mlconv::Error an expression throws.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "spec/error.h"

namespace mlconv::exec::io::testing {

inline std::filesystem::path fixture(std::string_view name) {
  return std::filesystem::path(MLCONV_SOURCE_DIR) / "tests/executor/io/fixtures" / name;
}

// A fresh file name in a per-process scratch directory, removed at exit.
inline std::filesystem::path scratch(std::string_view name) {
  struct Directory {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("mlconv-io-test-" + std::to_string(::getpid()));
    Directory() { std::filesystem::create_directories(path); }
    ~Directory() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Directory directory;
  const auto path = directory.path / name;
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
