// Reading a whole input file (an .npy, .json or image given to `mlconv run`)
// with the checks every reader needs first: it exists, is a regular file, and is
// not larger than the caller's limit, so nothing is allocated for a hostile size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mlconv::exec::io {

// Returns the file's bytes. Throws mlconv::Error naming `path` when it cannot be
// opened or read, is a directory or not a regular file, is empty, or is larger
// than `max_bytes`; `what` names the expected content in those messages
// ("a .npy array", "a PNG, JPEG or BMP image").
std::string read_file_bytes(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what);

}  // namespace mlconv::exec::io
