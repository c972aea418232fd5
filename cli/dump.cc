// mlconv dump: the whole model message, for reading, grepping and diffing.
// By default long weight arrays and blobs are cut to a preview (see
// proto_printer.h for the format); --full prints exactly what protobuf prints.
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/proto_printer.h"
#include "cli/verbose.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace mlconv::cli {

namespace {

struct DumpOptions {
  std::string model_path;
  bool json = false;
  bool full = false;
  std::string output_path;
  bool force = false;
};

void write_dump(const CoreML::Specification::Model& model, const DumpOptions& options, std::ostream& out) {
  if (options.json) {
    options.full ? print_json_full(model, out) : print_json_elided(model, out);
  } else {
    options.full ? print_text_full(model, out) : print_text_elided(model, out);
  }
}

void warn_about_fields_json_cannot_show(const spec::LoadedModel& loaded) {
  if (loaded.unknown.empty()) return;
  const spec::UnknownField& first = loaded.unknown.front();
  spdlog::warn("{}: {} unknown field(s) cannot appear in JSON (the first is field {} in {}); the text dump lists them",
               loaded.origin, loaded.unknown.size(), first.number, first.path.empty() ? "the model" : first.path);
}

void run_dump(const DumpOptions& options, const Io& io) {
  refuse_output_over_input(options.output_path, "-o", std::span(&options.model_path, 1), options.force);
  const spec::LoadedModel loaded = spec::load_model(options.model_path);
  log_model_read(loaded);
  if (options.json) warn_about_fields_json_cannot_show(loaded);
  if (options.output_path.empty()) {
    // Straight to the stream: a --full dump of a large model can be many times its size.
    write_dump(loaded.model, options, io.out);
    io.out.flush();
    if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
    return;
  }
  // write_file_atomically takes the whole content, so a reader of the file
  // never sees half a dump; the price is holding it in memory once.
  std::ostringstream buffer;
  write_dump(loaded.model, options, buffer);
  spec::write_file_atomically(options.output_path, buffer.view());
}

}  // namespace

void register_dump_command(CLI::App& app, const Io& io) {
  auto options = std::make_shared<DumpOptions>();
  CLI::App* command = app.add_subcommand(
      "dump", "Print the whole model message as protobuf text format (or JSON), with long weight arrays elided");
  command->add_option("MODEL", options->model_path, "The .mlmodel file")->required()->type_name("FILE");
  command->add_flag("--json", options->json,
                    "Print the protobuf JSON mapping (lowerCamelCase names, enums by name, 64-bit integers and "
                    "bytes as strings) instead of text format");
  command->add_flag("--full", options->full,
                    "Print every value, exactly as protobuf's TextFormat / MessageToJsonString would; the output "
                    "parses back into the same model");
  command->add_option("-o,--output", options->output_path,
                      "Write to FILE (replaced atomically) instead of standard output")
      ->type_name("FILE");
  command->add_flag("--force", options->force, "Write -o even when it names the model file");
  command->footer(
      "By default a repeated number field with more than 16 values shows its first 8, e.g.\n"
      "  floatValue: [v1, v2, v3, v4, v5, v6, v7, v8, ...]  # 8 of 4096 values shown\n"
      "and a bytes field longer than 32 bytes shows its first 16. See docs/dump.md.\n"
      "\n"
      "Examples:\n"
      "  mlconv dump model.mlmodel | less\n"
      "  mlconv dump --json model.mlmodel | jq '.description.metadata'\n"
      "  mlconv dump --full -o model.txt model.mlmodel");
  command->callback([options, io] { run_dump(*options, io); });
}

}  // namespace mlconv::cli
