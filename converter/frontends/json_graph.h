// The JSON graph frontend: reads a graph described in mlconv's JSON graph format
// (schemas/graph.schema.json, docs/graph-format.md) into the converter's Graph IR.
// Every message names the file and line, and the JSON pointer where it helps.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "converter/ir/graph.h"

namespace mlconv::converter {

// Reads `path`; external weight files are resolved against its directory.
Graph load_json_graph(const std::filesystem::path& path);

// The same for text already in memory; `file` is used in messages and `base_dir` to
// resolve external weight files.
Graph parse_json_graph(std::string_view text, const std::string& file, const std::filesystem::path& base_dir);

}  // namespace mlconv::converter
