// `mlconv validate MODEL`: structural checks of a Core ML model, one finding per
// line (or JSON), with stable codes so CI can fail on errors and scripts can
// match on codes. The checks live in spec/validation/; this file only loads,
// prints and decides the exit code.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/validation/validator.h"

namespace mlconv::cli {

namespace {

namespace validation = spec::validation;

struct ValidateArguments {
  std::string model;
  std::string format = "text";
  bool strict = false;
};

struct Counts {
  int errors = 0;
  int warnings = 0;
};

Counts count(const std::vector<validation::Finding>& findings) {
  Counts counts;
  for (const auto& finding : findings) {
    (finding.severity == validation::Severity::error ? counts.errors : counts.warnings) += 1;
  }
  return counts;
}

std::string plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// One line per finding, compiler style, so `grep E022` and editors' error parsers work.
void print_text(const std::string& model, const std::vector<validation::Finding>& findings, Counts counts,
                std::ostream& out) {
  for (const auto& finding : findings) {
    out << model << ": " << validation::severity_name(finding.severity) << " " << finding.code << ": " << finding.where
        << ": " << finding.message << " (hint: " << finding.hint << ")\n";
  }
  out << model << ": " << plural(counts.errors, "error") << ", " << plural(counts.warnings, "warning") << "\n";
}

void print_json(const spec::LoadedModel& loaded, const std::string& file, const std::vector<validation::Finding>& findings,
                Counts counts, std::ostream& out) {
  nlohmann::ordered_json report;
  report["file"] = file;
  report["specificationVersion"] = loaded.model.specificationversion();
  report["findings"] = nlohmann::ordered_json::array();
  for (const auto& finding : findings) {
    report["findings"].push_back({{"code", finding.code},
                                  {"severity", validation::severity_name(finding.severity)},
                                  {"where", finding.where},
                                  {"layer", finding.layer_name},
                                  {"layerType", finding.layer_type},
                                  {"message", finding.message},
                                  {"hint", finding.hint}});
  }
  report["errors"] = counts.errors;
  report["warnings"] = counts.warnings;
  out << report.dump(2) << "\n";
}

void run_validate(const ValidateArguments& args, const Io& io) {
  spec::LoadOptions load;
  // The checks need weight sizes, never values.
  load.elide_weight_values_over = 1024;
  const spec::LoadedModel loaded = spec::load_model(args.model, load);
  const std::vector<validation::Finding> findings = validation::validate_model(loaded.model);
  const Counts counts = count(findings);
  if (args.format == "json") {
    print_json(loaded, std::filesystem::path(args.model).filename().string(), findings, counts, io.out);
  } else {
    print_text(args.model, findings, counts, io.out);
  }
  io.out.flush();
  if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
  // The findings are the report; this only turns them into exit code 1 with a reason on stderr.
  if (counts.errors > 0) throw Error("validation failed").in_file(args.model);
  if (args.strict && counts.warnings > 0) {
    throw Error("validation failed: --strict counts warnings as errors").in_file(args.model);
  }
}

}  // namespace

void register_validate_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<ValidateArguments>();
  CLI::App* command = app.add_subcommand(
      "validate", "Check the structure of a Core ML model: interface, graph wiring, layers, weights, spec version");
  command->add_option("model", args->model, "The .mlmodel file")->required();
  command->add_option("--format", args->format, "Output format: text (one finding per line) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->add_flag("--strict", args->strict, "Exit with 1 on warnings too");
  command->footer(
      "Exit codes: 0 no errors, 1 errors (or warnings with --strict) or an unreadable model, 2 usage.\n"
      "Codes (E0xx errors, W0xx warnings) are listed in docs/validate.md.\n"
      "\n"
      "Examples:\n"
      "  mlconv validate model.mlmodel\n"
      "  mlconv validate --strict model.mlmodel            fail on warnings too\n"
      "  mlconv validate --format json model.mlmodel | jq '.findings[].code'");
  command->callback([args, &io] { run_validate(*args, io); });
}

}  // namespace mlconv::cli
