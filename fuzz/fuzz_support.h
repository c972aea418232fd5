// Shared by the libFuzzer targets: what counts as a clean refusal, and a scratch
// file for the readers that only take a path. A target returns normally for
// accepted input and for an mlconv::Error; anything else escaping it (another
// exception, a sanitizer report, a timeout) is a finding.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "spec/error.h"

namespace mlconv::fuzz {

// A directory of this process's own under the system temp directory, made on first use.
inline const std::filesystem::path& scratch_directory() {
  static const std::filesystem::path directory = [] {
    auto path = std::filesystem::temp_directory_path() / ("mlconv-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return directory;
}

// Writes `bytes` to scratch_directory()/name, replacing what was there.
inline std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes) {
  const auto path = scratch_directory() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Runs `body`; mlconv::Error is the expected way to refuse hostile input.
template <typename Body>
void refuse_cleanly(Body&& body) {
  try {
    body();
  } catch (const mlconv::Error&) {
  }
}

}  // namespace mlconv::fuzz
