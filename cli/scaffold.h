// The code `mlconv scaffold` writes for a model's custom layer classes: a
// Swift MLCustomLayer class per className and a C++ plugin for `mlconv run`.
// Both are generated from a binding per class (the model's own, derived by
// spec::validation::derive_bindings, or the user's from --with-bindings), so
// parameter types, weight blobs and output shape rules are the same in both.
#pragma once

#include <string>
#include <vector>

#include "spec/validation/bindings.h"

namespace mlconv::cli::scaffold {

struct ClassToWrite {
  spec::validation::ClassBinding binding;
  std::vector<std::string> layer_names;  // the model's layers of this class, for comments
  bool rule_from_user = false;           // the output rules come from --with-bindings, not a placeholder
};

// A valid Swift and C++ identifier made of `name` (invalid characters become
// '_', a leading digit or a keyword gets a suffix).
std::string identifier(const std::string& name);

// Swift: "<Class>.swift" for one class. `gpu` adds an encode(commandBuffer:…) stub.
std::string swift_source(const ClassToWrite& cls, const std::string& model_file, bool gpu);

// C++: one source with every class and the plugin's registration, and a
// CMakeLists.txt building it as MODULE library `target` against an installed mlconv.
std::string cpp_source(const std::vector<ClassToWrite>& classes, const std::string& model_file);
std::string cpp_cmake(const std::string& target, const std::string& source_file, const std::string& model_file);

}  // namespace mlconv::cli::scaffold
