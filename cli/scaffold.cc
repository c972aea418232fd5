// `mlconv scaffold MODEL`: starting points for the code a model's custom
// layers need -- Swift MLCustomLayer classes (--swift DIR), a C++ plugin for
// `mlconv run` (--cpp DIR) and a bindings file (--bindings FILE). Every file
// is written atomically, and none is overwritten without --force.
#include "cli/scaffold.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/verbose.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/validation/bindings.h"

namespace mlconv::cli {

namespace {

namespace validation = spec::validation;

struct ScaffoldArguments {
  std::string model;
  std::string swift_dir;
  std::string cpp_dir;
  std::string bindings_out;
  std::string with_bindings;
  bool gpu = false;
  bool force = false;
};

bool objc_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

// One class per className: the user's binding when --with-bindings has it,
// otherwise the one derived from the model (with placeholder output rules).
std::vector<scaffold::ClassToWrite> classes_to_write(const CoreML::Specification::Model& model,
                                                     const std::string& model_path,
                                                     const std::optional<validation::Bindings>& user) {
  const validation::Bindings derived =
      validation::parse_bindings(validation::derive_bindings(model).dump(), model_path + " (derived bindings)");
  std::vector<scaffold::ClassToWrite> classes;
  for (const validation::ClassBinding& binding : derived.classes) {
    if (!objc_identifier(binding.class_name))
      throw Error("custom layer className '" + binding.class_name +
                  "' is not a valid Swift or Objective-C class name; rename it in the model first")
          .in_file(model_path);
    scaffold::ClassToWrite cls;
    const validation::ClassBinding* chosen = user ? user->find(binding.class_name) : nullptr;
    cls.binding = chosen != nullptr ? *chosen : binding;
    cls.rule_from_user = chosen != nullptr;
    for (const auto& ref : validation::custom_layers(model))
      if (ref.layer->custom().classname() == binding.class_name) cls.layer_names.push_back(ref.layer->name());
    classes.push_back(std::move(cls));
  }
  return classes;
}

// A CMake target name from the model's file name: "NeuralMcNeuralNet.mlmodel" -> "neuralmcneuralnet_layers".
std::string target_name(const std::string& model_path) {
  std::string stem = std::filesystem::path(model_path).stem().string();
  std::string out;
  for (const char c : stem)
    out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) != 0) out = "model_" + out;
  return out + "_layers";
}

struct FileToWrite {
  std::filesystem::path path;
  std::string text;
};

void run_scaffold(const ScaffoldArguments& args, const Io& io) {
  if (args.swift_dir.empty() && args.cpp_dir.empty() && args.bindings_out.empty())
    throw Error("nothing to write: give --swift DIR, --cpp DIR and/or --bindings FILE", Error::Kind::usage);
  spec::LoadOptions load;
  load.elide_weight_values_over = 1024;  // blob sizes are enough
  const spec::LoadedModel loaded = spec::load_model(args.model, load);
  log_model_read(loaded);
  std::optional<validation::Bindings> user;
  if (!args.with_bindings.empty()) user = validation::load_bindings(args.with_bindings);
  const std::vector<scaffold::ClassToWrite> classes = classes_to_write(loaded.model, args.model, user);
  if (classes.empty()) throw Error("the model has no custom layers to scaffold").in_file(args.model);
  const std::string model_file = std::filesystem::path(args.model).filename().string();

  std::vector<FileToWrite> files;
  if (!args.bindings_out.empty()) {
    files.push_back({args.bindings_out, validation::derive_bindings(loaded.model).dump(2) + "\n"});
  }
  if (!args.swift_dir.empty()) {
    for (const auto& cls : classes)
      files.push_back({std::filesystem::path(args.swift_dir) / (scaffold::identifier(cls.binding.class_name) + ".swift"),
                       scaffold::swift_source(cls, model_file, args.gpu)});
  }
  if (!args.cpp_dir.empty()) {
    const std::string target = target_name(args.model);
    files.push_back({std::filesystem::path(args.cpp_dir) / (target + ".cc"), scaffold::cpp_source(classes, model_file)});
    files.push_back({std::filesystem::path(args.cpp_dir) / "CMakeLists.txt",
                     scaffold::cpp_cmake(target, target + ".cc", model_file)});
  }
  // All or nothing: look at every target before writing the first.
  const std::string inputs[] = {args.model, args.with_bindings};
  for (const auto& file : files) refuse_output_over_input(file.path.string(), "scaffold output", inputs, args.force);
  if (!args.force) {
    std::string existing;
    std::error_code code;
    for (const auto& file : files)
      if (std::filesystem::exists(file.path, code)) existing += (existing.empty() ? "" : ", ") + file.path.string();
    if (!existing.empty())
      throw Error("would overwrite " + existing + "; nothing was written (use --force to replace)", Error::Kind::usage);
  }
  for (const auto& file : files) {
    if (file.path.has_parent_path()) {
      std::error_code code;
      std::filesystem::create_directories(file.path.parent_path(), code);
      if (code) throw Error("cannot create the directory: " + code.message(), Error::Kind::io).in_file(file.path.parent_path().string());
    }
    spec::write_file_atomically(file.path, file.text);
    io.out << "wrote " << file.path.string() << "\n";
  }
  io.out.flush();
  if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
}

}  // namespace

void register_scaffold_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<ScaffoldArguments>();
  CLI::App* command = app.add_subcommand(
      "scaffold", "Write starting points for a model's custom layers: Swift classes, a C++ plugin, a bindings file");
  command->add_option("model", args->model, "The .mlmodel file")->required()->type_name("FILE");
  command->add_option("--swift", args->swift_dir, "Write one MLCustomLayer Swift class per custom class into DIR")
      ->type_name("DIR");
  command->add_option("--cpp", args->cpp_dir, "Write a C++ plugin for `mlconv run` and its CMakeLists.txt into DIR")
      ->type_name("DIR");
  command->add_option("--bindings", args->bindings_out, "Write a bindings file derived from the model to FILE")
      ->type_name("FILE");
  command->add_option("--with-bindings", args->with_bindings,
                      "Take parameters, weights and output shape rules from this bindings file where it has the class")
      ->type_name("FILE");
  command->add_flag("--gpu", args->gpu, "Add an encode(commandBuffer:inputs:outputs:) stub to the Swift classes");
  command->add_flag("--force", args->force, "Replace files that exist");
  command->footer(
      "Exit codes: 0 written, 1 unreadable model or no custom layers, 2 usage (including files that exist without "
      "--force).\n"
      "\n"
      "Examples:\n"
      "  mlconv scaffold --bindings layers.json model.mlmodel\n"
      "  mlconv scaffold --swift App/Layers --with-bindings layers.json model.mlmodel\n"
      "  mlconv scaffold --cpp plugin model.mlmodel && cmake -S plugin -B plugin/build -DCMAKE_PREFIX_PATH=<prefix>");
  command->callback([args, &io] { run_scaffold(*args, io); });
}

}  // namespace mlconv::cli
