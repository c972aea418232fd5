// Large external weights are mapped rather than read: see converter/ir/tensor_bytes.h for
// why. Small ranges are read, since a mapping costs a system call pair and at least a page.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "converter/ir/tensor_bytes.h"

namespace mlconv::converter {

// Ranges from this size up are mapped, when the caller allows it.
inline constexpr std::uint64_t min_mapped_bytes = 1 << 20;

// The `length` bytes at `offset` of the regular file `path`, which the caller has checked
// to be long enough. `shown` names the file in messages. Throws mlconv::Error (io) when the
// file cannot be opened, mapped or read.
//
// A mapped range is only valid while the file keeps its size: if another process truncates
// it during the conversion, reading the lost pages raises SIGBUS. Weight files are not
// rewritten in place while a converter reads them, and reading them into memory instead
// would cost the copy this exists to avoid.
TensorBytes read_file_range(const std::filesystem::path& path, std::string_view shown, std::uint64_t offset,
                            std::uint64_t length, bool may_map = true);

}  // namespace mlconv::converter
