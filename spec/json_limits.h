// Limits for the JSON files mlconv reads (graphs, rules, bindings, .json
// inputs): a size checked before reading and a nesting depth checked before
// parsing, so a hostile file costs neither unbounded memory nor a stack
// overflow in a recursive reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mlconv::spec {

// Arrays and objects inside each other. Real graphs, rules and bindings use
// fewer than ten levels; a tensor's nested arrays one per dimension.
inline constexpr int max_json_depth = 256;
// Graphs may carry initializer data inline; rules and bindings are small.
inline constexpr std::uint64_t max_json_graph_bytes = std::uint64_t{1} << 30;
inline constexpr std::uint64_t max_json_small_file_bytes = std::uint64_t{64} << 20;

// The file's text. Throws mlconv::Error naming `path` when it cannot be opened,
// is not a regular file, or is larger than `max_bytes` (checked before reading);
// `what` names the content in messages ("graph file", "rules file").
std::string read_json_file(const std::filesystem::path& path, std::string_view what, std::uint64_t max_bytes);

// Throws mlconv::Error naming `file` and the line when arrays and objects nest
// deeper than max_json_depth (brackets inside strings do not count).
void check_json_depth(std::string_view text, const std::string& file);

}  // namespace mlconv::spec
