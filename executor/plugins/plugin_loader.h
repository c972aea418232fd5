// Custom layer plugins: shared libraries implementing CustomLayerParams
// classes through the C ABI of include/mlconv/custom_layer.h. Loading one
// registers each class it provides into a KernelRegistry; the kernels made
// from it adapt Core ML's MLCustomLayer sequence (create, set weights, output
// shapes, evaluate) to exec::Kernel. Every failure names the plugin file.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "executor/kernel_registry.h"

namespace mlconv::exec {

// The environment variable listing plugins: colon-separated files or directories.
inline constexpr const char* plugin_path_variable = "MLCONV_PLUGIN_PATH";

// The plugin files a MLCONV_PLUGIN_PATH value names: each file entry as is,
// each directory's `*.so` files in name order. Empty and nonexistent entries
// are skipped, as PATH does.
std::vector<std::string> plugin_files_in_path(std::string_view path_list);

// Loads one plugin file and registers its classes; returns their names.
// Throws mlconv::Error when the file is not a loadable shared object, lacks
// the entry points, was built for another ABI version, registers nothing, or
// registers a class the registry already has.
std::vector<std::string> load_plugin(const std::string& path, KernelRegistry& registry);

// Loads the plugins named explicitly (files, or directories scanned for
// `*.so`) and then those found through `plugin_path` (a MLCONV_PLUGIN_PATH
// value; nullptr for none), each file once. Returns the files loaded.
std::vector<std::string> load_plugins(std::span<const std::string> explicit_paths, const char* plugin_path,
                                      KernelRegistry& registry);

// The same, reading MLCONV_PLUGIN_PATH from the environment.
std::vector<std::string> load_plugins(std::span<const std::string> explicit_paths, KernelRegistry& registry);

}  // namespace mlconv::exec
