// Guards for the files a command writes: an output must never replace one of
// the command's own inputs unless the user says --force.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>

namespace mlconv::cli {

// Two paths name the same file: the same inode when both exist, else the same
// normalized absolute path.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// Throws a usage Error naming `option` and the input when `output` is one of
// `inputs` and `force` is false. Empty paths are ignored.
void refuse_output_over_input(const std::string& output, std::string_view option, std::span<const std::string> inputs,
                              bool force);

}  // namespace mlconv::cli
