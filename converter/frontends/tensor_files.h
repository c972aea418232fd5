// Reading initializer data kept beside a graph file: raw little-endian bytes at an
// offset, or a NumPy .npy file. Both are checked against the declared type and shape
// before anything is allocated, and a short file is an error naming that file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "converter/ir/graph.h"

namespace mlconv::converter {

struct ExternalData {
  std::filesystem::path path;            // resolved against the graph file's directory
  std::string path_as_written;           // for messages
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;   // defaults to what the type and dims need
};

// Raw bytes: exactly element_count * element_size bytes from `offset`.
TensorData read_raw_tensor(const ExternalData& source, ElementType type, const std::vector<std::int64_t>& dims);

// A .npy file (version 1-3, C order, little-endian). Its dtype and shape must match the
// declaration. Throws mlconv::Error naming the .npy file.
TensorData read_npy_tensor(const ExternalData& source, ElementType type, const std::vector<std::int64_t>& dims);

}  // namespace mlconv::converter
