// Reading and writing .mlmodel files. Loading checks sizes before it allocates
// and rejects what is not a Core ML model; saving never leaves a partial file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"
#include "spec/unknown_fields.h"

namespace mlconv::spec {

struct LoadOptions {
  // protobuf cannot parse a message past 2 GiB; anything larger is refused before reading.
  std::uint64_t max_bytes = 0x7fffffffULL;
  // Nesting of messages (pipelines in pipelines, loops in branches). Each level of
  // model/layer nesting costs about three protobuf levels.
  int max_recursion_depth = 200;
};

struct LoadedModel {
  CoreML::Specification::Model model;
  std::string origin;                 // the file name or label used in messages
  std::uint64_t size_bytes = 0;       // serialized size as read
  std::vector<UnknownField> unknown;  // fields our schema does not know (not fatal)
};

// Throws mlconv::Error naming `path` when the file is missing, empty, too large,
// not a protobuf, not a Core ML model, of an unknown specificationVersion, or
// holds a layer whose type this schema does not know.
LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options = {});
LoadedModel parse_model(std::string_view bytes, std::string origin, const LoadOptions& options = {});

// Serializes deterministically to `path` through a temporary file in the same
// directory and a rename, so readers see the old file or the whole new one.
void save_model(const CoreML::Specification::Model& model, const std::filesystem::path& path);
std::string serialize_model(const CoreML::Specification::Model& model);

// Writes `bytes` to `path` atomically (temp file in the same directory + rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace mlconv::spec
