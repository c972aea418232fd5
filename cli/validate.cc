// `mlconv validate MODEL`: structural checks of a Core ML model, and checks of
// its custom layers against a bindings file, plugins, Swift sources and test
// vectors, reported as text, JSON, JUnit or GitHub annotations with stable
// codes so CI can fail on errors and scripts can match on codes. The checks
// live in spec/validation/ and cli/validate_*.cc; this file only loads,
// collects, prints and decides the exit code.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/validate_plugins.h"
#include "cli/validate_report.h"
#include "cli/validate_swift.h"
#include "cli/validate_tests.h"
#include "cli/verbose.h"
#include "executor/plugins/plugin_loader.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/validation/bindings.h"
#include "spec/validation/validator.h"

namespace mlconv::cli {

namespace {

namespace validation = spec::validation;

struct ValidateArguments {
  std::string model;
  std::string format = "text";
  bool strict = false;
  std::string bindings;
  std::vector<std::string> plugins;
  std::string swift;
  std::string tests;
  double atol = 1e-5;
  double rtol = 1e-5;
};

// The structural check families, each with its registration function, so a
// JUnit test case per family needs no second list of codes.
constexpr std::pair<const char*, void (*)(validation::CheckList&)> structural_family_table[] = {
    {"version", validation::register_version_checks},
    {"interface", validation::register_interface_checks},
    {"graph", validation::register_graph_checks},
    {"layers", validation::register_layer_checks},
    {"layer parameters", validation::register_layer_param_checks},
    {"weights", validation::register_layer_weight_checks},
    {"shapes", validation::register_shape_checks},
    {"pipeline", validation::register_pipeline_checks},
};

std::map<std::string, std::string, std::less<>> structural_families() {
  std::map<std::string, std::string, std::less<>> by_code;
  for (const auto& [name, add] : structural_family_table) {
    validation::CheckList list;
    add(list);
    for (const auto& check : list.checks()) by_code.emplace(std::string(check.code), name);
  }
  return by_code;
}

void add_findings(Report& report, const std::string& family, std::vector<validation::Finding> findings) {
  report.families.push_back(family);
  for (auto& finding : findings) report.entries.push_back(ReportEntry{std::move(finding), family, {}, 0});
}

bool has_test_vectors(const validation::Bindings& bindings) {
  return std::any_of(bindings.classes.begin(), bindings.classes.end(),
                     [](const validation::ClassBinding& c) { return !c.test_vectors.empty(); });
}

// Each class's testVectors (relative to the bindings file) through the plugin
// kernel of its first layer. A class without a kernel already has its E210,
// E211 or W200 saying why.
std::vector<ReportEntry> run_binding_test_vectors(const validation::Bindings& bindings, const PluginCheck& plugins,
                                                  const TestVectorOptions& options) {
  std::vector<ReportEntry> out;
  for (const validation::ClassBinding& binding : bindings.classes) {
    if (binding.test_vectors.empty()) continue;
    exec::Kernel* kernel = plugins.kernel_for_class(binding.class_name);
    if (kernel == nullptr) continue;
    ClassTestVectors vectors{binding.class_name,
                             std::filesystem::path(bindings.file).parent_path() / binding.test_vectors,
                             binding.inputs,
                             {}};
    for (const validation::OutputBinding& output : binding.outputs) vectors.outputs.push_back(output.name);
    for (auto& entry : check_class_test_vectors(vectors, *kernel, options)) out.push_back(std::move(entry));
  }
  return out;
}

bool has_plugin_path() {
  const char* path = std::getenv(exec::plugin_path_variable);
  return path != nullptr && *path != '\0';
}

void run_validate(const ValidateArguments& args, const Io& io) {
  const bool plugins = !args.plugins.empty() || has_plugin_path();
  spec::LoadOptions load;
  // The structural checks need weight sizes, never values; plugins and test runs read the values.
  if (!plugins && args.tests.empty()) load.elide_weight_values_over = 1024;
  const spec::LoadedModel loaded = spec::load_model(args.model, load);
  log_model_read(loaded);
  // Every input file is read before the first line is printed: a broken one is a usage failure, not a finding.
  std::optional<validation::Bindings> bindings;
  if (!args.bindings.empty()) bindings = validation::load_bindings(args.bindings);
  std::optional<std::vector<swift::SwiftClass>> swift_classes;
  if (!args.swift.empty()) swift_classes = swift::scan_directory(args.swift);
  std::optional<PluginCheck> plugin_check;
  if (plugins) plugin_check.emplace(loaded.model, args.plugins);

  Report report;
  report.model_path = args.model;
  report.model_file = std::filesystem::path(args.model).filename().string();
  report.specification_version = loaded.model.specificationversion();
  for (const auto& ref : validation::custom_layers(loaded.model))
    report.custom_layers.push_back({ref.where, ref.layer->custom().classname()});

  const auto families = structural_families();
  spec::ShapeOptions shapes;
  if (bindings) shapes.custom_shapes = validation::binding_output_shapes(*bindings);
  if (plugin_check) shapes.custom_shapes = plugin_check->shape_function(std::move(shapes.custom_shapes));
  for (auto& finding : validation::validate_model(loaded.model, shapes)) {
    const auto found = families.find(finding.code);
    // A family registered after this list was written still gets its own test case.
    const std::string family = found == families.end() ? "other" : found->second;
    report.entries.push_back(ReportEntry{std::move(finding), family, {}, 0});
  }
  for (const auto& [family, add] : structural_family_table) report.families.push_back(family);
  const bool has_other = std::any_of(report.entries.begin(), report.entries.end(),
                                     [](const ReportEntry& e) { return e.family == "other"; });
  if (has_other) report.families.push_back("other");
  if (bindings) add_findings(report, "bindings", validation::check_bindings(loaded.model, *bindings));
  if (plugin_check) {
    report.families.push_back("plugins");
    for (auto& entry : plugin_check->findings()) report.entries.push_back(std::move(entry));
  }
  if (!args.tests.empty() || (plugin_check && bindings && has_test_vectors(*bindings))) report.families.push_back("tests");
  if (!args.tests.empty()) {
    exec::KernelRegistry kernels = exec::KernelRegistry::with_builtin_kernels();
    (void)exec::load_plugins(args.plugins, kernels);
    for (auto& entry : check_test_vectors(loaded.model, kernels, {args.tests, args.atol, args.rtol}))
      report.entries.push_back(std::move(entry));
  }
  if (plugin_check && bindings) {
    for (auto& entry : run_binding_test_vectors(*bindings, *plugin_check, {{}, args.atol, args.rtol}))
      report.entries.push_back(std::move(entry));
  }
  if (swift_classes) {
    report.families.push_back("swift");
    for (auto& entry : check_swift(loaded.model, *swift_classes)) report.entries.push_back(std::move(entry));
  }

  if (args.format == "json") {
    print_json(report, io.out);
  } else if (args.format == "junit") {
    print_junit(report, args.strict, io.out);
  } else if (args.format == "github") {
    print_github(report, io.out);
  } else {
    print_text(report, io.out);
  }
  io.out.flush();
  if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
  // The findings are the report; this only turns them into exit code 1 with a reason on stderr.
  if (report.errors() > 0) throw Error("validation failed").in_file(args.model);
  if (args.strict && report.warnings() > 0) {
    throw Error("validation failed: --strict counts warnings as errors").in_file(args.model);
  }
}

}  // namespace

void register_validate_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<ValidateArguments>();
  CLI::App* command = app.add_subcommand(
      "validate", "Check the structure of a Core ML model: interface, graph wiring, layers, weights, spec version");
  command->add_option("model", args->model, "The .mlmodel file")->required()->type_name("FILE");
  command->add_option("--format", args->format,
                      "Output format: text (one finding per line), json, junit (XML for CI dashboards) or github "
                      "(workflow annotations)")
      ->check(CLI::IsMember({"text", "json", "junit", "github"}))
      ->capture_default_str();
  command->add_flag("--strict", args->strict, "Exit with 1 on warnings too");
  command->add_option("--bindings", args->bindings,
                      "Check the custom layers against a bindings file (schemas/bindings.schema.json)")
      ->type_name("FILE");
  command->add_option("--plugin", args->plugins,
                      "Check that these custom layer plugins (files or directories; repeatable; MLCONV_PLUGIN_PATH "
                      "adds more) implement every custom class and accept its layers and input shapes")
      ->type_name("FILE")
      ->allow_extra_args(false);  // one file per --plugin, so the model after it stays the model
  command->add_option("--tests", args->tests,
                      "Run the model with the plugins on each case DIR/<case>/inputs/*.npy and compare with "
                      "DIR/<case>/outputs/*.npy")
      ->type_name("DIR");
  command->add_option("--atol", args->atol, "Absolute tolerance of --tests")->capture_default_str()->check(CLI::NonNegativeNumber);
  command->add_option("--rtol", args->rtol, "Relative tolerance of --tests")->capture_default_str()->check(CLI::NonNegativeNumber);
  command->add_option("--swift", args->swift,
                      "Check the custom layers against the MLCustomLayer classes in the *.swift files under DIR")
      ->type_name("DIR");
  command->footer(
      "Exit codes: 0 no errors, 1 errors (or warnings with --strict) or an unreadable model, 2 usage.\n"
      "Codes (Exxx errors, Wxxx warnings) are listed in docs/validate.md.\n"
      "\n"
      "Examples:\n"
      "  mlconv validate model.mlmodel\n"
      "  mlconv validate --strict model.mlmodel            fail on warnings too\n"
      "  mlconv validate --format json model.mlmodel | jq '.findings[].code'\n"
      "  mlconv validate --bindings layers.json --format junit model.mlmodel > validate.xml");
  command->callback([args, &io] { run_validate(*args, io); });
}

}  // namespace mlconv::cli
