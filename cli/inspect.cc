// `mlconv inspect MODEL`: what is in a Core ML model, at a glance or as JSON.
#include <memory>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/inspect_report.h"
#include "cli/inspect_text.h"
#include "cli/verbose.h"
#include "spec/model_io.h"

namespace mlconv::cli {

namespace {

struct InspectArguments {
  std::string model;
  bool json = false;
  bool layers = false;
  bool weights = false;
};

void run_inspect(const InspectArguments& args, const Io& io) {
  spec::LoadOptions load;
  // Describing weights needs their sizes, not their values; statistics need the values.
  if (!args.weights) load.elide_weight_values_over = 1024;
  const spec::LoadedModel loaded = spec::load_model(args.model, load);
  log_model_read(loaded);
  const nlohmann::ordered_json report = build_inspect_report(loaded, InspectOptions{.weight_statistics = args.weights});
  if (args.json) {
    io.out << report.dump(2) << "\n";
  } else {
    render_inspect_text(report, InspectTextOptions{.layers = args.layers, .weights = args.weights}, io.out);
  }
  io.out.flush();
  for (const auto& warning : report["warnings"]) spdlog::warn("{}: {}", args.model, warning.get<std::string>());
}

}  // namespace

void register_inspect_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<InspectArguments>();
  CLI::App* command = app.add_subcommand("inspect", "Show what is in a Core ML model: interface, metadata, custom-layer "
                                                    "dependencies, layers and weights");
  command->add_option("model", args->model, "The .mlmodel file")->required()->type_name("FILE");
  command->add_flag("--json", args->json, "Machine-readable output (schemas/inspect.schema.json); always lists every layer");
  command->add_flag("--layers", args->layers, "One line per layer: index, name, type, inputs -> outputs, key attributes");
  command->add_flag("--weights", args->weights, "Per weight blob: element type, count, min/max/mean, NaN/Inf counts");
  command->footer(
      "Examples:\n"
      "  mlconv inspect model.mlmodel                  interface, metadata, dependencies, totals\n"
      "  mlconv inspect model.mlmodel --layers         ... and every layer with its key attributes\n"
      "  mlconv inspect model.mlmodel --weights        ... and statistics of every weight blob\n"
      "  mlconv inspect model.mlmodel --json | jq '.customLayers[].className'");
  command->callback([args, &io] { run_inspect(*args, io); });
}

}  // namespace mlconv::cli
