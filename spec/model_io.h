// Reading and writing .mlmodel files. Loading checks sizes before it allocates
// and rejects what is not a Core ML model; saving never leaves a partial file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"
#include "spec/unknown_fields.h"

namespace mlconv::spec {

// Loop and branch bodies inside each other, plus pipelines inside pipelines:
// deeper models are refused when loaded, so nothing recursive (validation,
// shape inference, the executor) meets unbounded depth. Core ML's own
// converters produce a handful of levels.
inline constexpr int max_network_nesting = 64;

// protobuf cannot parse or write a message past 2 GiB - 1 byte: the largest .mlmodel (or
// ONNX model) there can be, so anything that would pass it is refused before any work.
inline constexpr std::uint64_t max_message_bytes = 0x7fffffffULL;

struct LoadOptions {
  // Anything larger is refused before reading.
  std::uint64_t max_bytes = max_message_bytes;
  // Nesting of messages (pipelines in pipelines, loops in branches). Each level of
  // model/layer nesting costs about three protobuf levels.
  int max_recursion_depth = 256;
  // Leave weight values larger than this many bytes in the file: blobs still
  // report element type and count (spec/weights.h), but cannot be decoded.
  // For tools that only describe a model; 0 loads everything.
  std::size_t elide_weight_values_over = 0;
};

struct LoadedModel {
  CoreML::Specification::Model model;
  std::string origin;                 // the file name or label used in messages
  std::uint64_t size_bytes = 0;       // serialized size as read
  std::vector<UnknownField> unknown;  // fields our schema does not know (not fatal)
  bool weight_values_elided = false;  // loaded with LoadOptions::elide_weight_values_over
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
// The same for output produced piece by piece: `write_body` writes to the temporary
// file's descriptor and returns false on a write error (errno set). The temporary
// file is removed when it fails or throws.
void write_atomically(const std::filesystem::path& path, const std::function<bool(int fd)>& write_body);

}  // namespace mlconv::spec
