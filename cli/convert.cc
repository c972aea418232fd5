// `mlconv convert INPUT -o OUT.mlmodel`: converts a JSON graph (or ONNX, when that
// frontend is built in) to a Core ML NeuralNetwork with custom layers from rules.
// The pipeline lives in converter/; this file parses options, writes atomically and
// prints the summary or the --check report.
#include <chrono>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/progress.h"
#include "converter/convert.h"
#include "converter/passes/pass.h"
#include "spec/deferred_weights.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace mlconv::cli {

namespace {

struct ConvertArguments {
  std::string input;
  std::string output;
  std::vector<std::string> rules;
  bool allow_custom = false;
  bool check = false;
  std::string deployment_target;
  std::string image_input;
  float image_scale = 1.0F;
  std::string image_bias;
  std::string color_space = "RGB";
  std::string class_labels;
  std::string author;
  std::string license;
  std::string short_description;
  std::string version;
  std::vector<std::string> input_descriptions;
  std::vector<std::string> output_descriptions;
  bool force = false;
  std::vector<std::string> fuse;  // --fuse given: one entry ("" when no list followed)
};

std::map<std::string, std::string> name_text_pairs(const std::vector<std::string>& items, std::string_view option) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw Error(std::string(option) + " '" + item + "': expected NAME=TEXT", Error::Kind::usage);
    }
    out[item.substr(0, equals)] = item.substr(equals + 1);
  }
  return out;
}

std::vector<float> parse_bias(const std::string& text) {
  std::vector<float> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stof(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw Error("--image-bias '" + text + "': expected numbers separated by commas, e.g. -1,-1,-1", Error::Kind::usage);
    }
  }
  return out;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open class labels file", Error::Kind::io).in_file(path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) labels.push_back(line);
  }
  if (labels.empty()) throw Error("no class labels (expected one label per line)").in_file(path);
  return labels;
}

converter::ConvertOptions options_from(const ConvertArguments& args) {
  converter::ConvertOptions options;
  options.rule_files.assign(args.rules.begin(), args.rules.end());
  options.allow_custom = args.allow_custom;
  if (!args.deployment_target.empty()) options.deployment_target = converter::spec_version_for_target(args.deployment_target);
  if (!args.image_input.empty()) {
    options.image = converter::ImageInputOptions{args.image_input, args.image_scale, parse_bias(args.image_bias), args.color_space};
  } else if (!args.image_bias.empty() || args.image_scale != 1.0F) {
    throw Error("--image-scale and --image-bias need --image-input NAME", Error::Kind::usage);
  }
  if (!args.class_labels.empty()) options.class_labels = read_labels(args.class_labels);
  options.author = args.author;
  options.license = args.license;
  options.short_description = args.short_description;
  options.version = args.version;
  options.input_descriptions = name_text_pairs(args.input_descriptions, "--input-description");
  options.output_descriptions = name_text_pairs(args.output_descriptions, "--output-description");
  for (const auto& list : args.fuse) options.fusions.merge(converter::parse_fusions(list));
  return options;
}

// The wall time of each stage, for one debug line at the end ("loading 0.512 s, ...").
class StageClock {
 public:
  void enter(std::string_view stage) {
    const auto now = std::chrono::steady_clock::now();
    if (!current_.empty()) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f", std::chrono::duration<double>(now - started_).count());
      summary_ += (summary_.empty() ? "" : ", ") + current_ + " " + seconds + " s";
    }
    current_ = stage;
    started_ = now;
  }
  [[nodiscard]] const std::string& summary() const { return summary_; }

 private:
  std::string current_;
  std::string summary_;
  std::chrono::steady_clock::time_point started_;
};

// glibc serves blocks above 128 KiB (adaptively a bit more) with mmap and returns them to
// the system on free, so the weight bytes freed during the export could not be reused
// for the next layer's weights: every protobuf field would fault in fresh zeroed pages.
// Keeping blocks up to 32 MiB (glibc's ceiling) in the heap lets each layer reuse the
// memory the previous constant left, which costs a third of the export time otherwise.
void keep_weight_sized_blocks_in_heap() {
#if defined(__GLIBC__)
  constexpr int ceiling = 32 << 20;
  ::mallopt(M_MMAP_THRESHOLD, ceiling);
  ::mallopt(M_TRIM_THRESHOLD, 8 * ceiling);
#endif
}

void run_convert(const ConvertArguments& args, const Io& io) {
  keep_weight_sized_blocks_in_heap();
  converter::ConvertOptions options = options_from(args);
  // Only the real stderr, and only a terminal, gets the progress line (tests pass their own streams).
  ProgressLine progress("mlconv convert", &io.err == &std::cerr && ProgressLine::stderr_is_terminal());
  // -vv logs how long each stage took: the first place to look when a conversion is slow
  // (docs/convert-performance.md).
  StageClock clock;
  const auto enter_stage = [&](std::string_view stage) {
    clock.enter(stage);
    progress.stage(stage);
  };
  options.on_stage = enter_stage;
  converter::ConversionPlan plan = converter::plan_conversion(args.input, options);
  spdlog::info("read {}: {} nodes covered by rules, {} unsupported op type(s); {} rule file(s)", args.input,
               plan.chosen.size(), plan.unsupported.size(), args.rules.size());
  if (spdlog::should_log(spdlog::level::debug)) {
    std::istringstream report(converter::check_report(plan));
    for (std::string line; std::getline(report, line);) spdlog::debug("{}", line);
  }
  if (args.check) {
    io.out << converter::check_report(plan);
    io.out.flush();
    if (!plan.unsupported.empty()) throw Error("pre-flight check failed: unsupported ops").in_file(args.input);
    // A covered op can still be refused by its mapping (a Resize whose scales are computed
    // at run time, a deployment target below what the layers need): only exporting tells,
    // so --check exports too and writes nothing.
    enter_stage("exporting");
    std::optional<CoreML::Specification::Model> trial;
    try {
      trial = converter::export_model(plan, options);
    } catch (const Error& error) {
      io.out << "Export: FAILS: " << error.what() << "\n";
      io.out.flush();
      throw Error("pre-flight check failed: every node is covered, but the export fails").in_file(args.input);
    }
    io.out << "Export: OK, " << converter::conversion_summary(*trial, plan);
    io.out.flush();
    return;
  }
  if (args.output.empty()) throw Error("convert needs -o OUT.mlmodel (or --check)", Error::Kind::usage);
  std::vector<std::string> inputs{args.input, args.class_labels};
  inputs.insert(inputs.end(), args.rules.begin(), args.rules.end());
  refuse_output_over_input(args.output, "-o", inputs, args.force);
  enter_stage("exporting");
  // The plan's weights are not needed after their layers are written; freeing them as the
  // export goes keeps peak memory near one copy of the weights. Weights mapped from a file
  // are not copied at all: the save writes them from the mapping (spec/deferred_weights.h).
  std::optional<converter::ExportedModel> exported = converter::export_model_freeing_weights(plan, options);
  if (!exported) {
    spdlog::debug("the rank-5 export failed after freeing weights; loading again for the N-d export");
    plan = converter::plan_conversion(args.input, options);
    exported = converter::ExportedModel{converter::export_model(plan, options), {}};
  }
  CoreML::Specification::Model& model = exported->model;
  enter_stage("writing");
  if (!spec::save_model(model, args.output, exported->deferred)) {
    spdlog::debug("the deferred weights' places in the output were not clear; copied them in before writing");
  }
  clock.enter("");
  spdlog::debug("stage times: {}", clock.summary());
  io.out << "Wrote " << args.output << ": " << converter::conversion_summary(model, plan);
  io.out.flush();
  if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
}

}  // namespace

void register_convert_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<ConvertArguments>();
  CLI::App* command = app.add_subcommand("convert", "Convert a JSON graph to a Core ML model, with custom layers from rules");
  command->add_option("input", args->input, "The graph: .json (docs/graph-format.md) or .onnx")->required()->type_name("FILE");
  command->add_option("-o,--output", args->output, "The .mlmodel to write (atomically)")->type_name("FILE");
  command->add_flag("--force", args->force, "Write -o even when it names an input file");
  command->add_option("--rules", args->rules, "Rules file (schemas/rules.schema.json); repeatable, earlier files win")
      ->type_name("FILE");
  command->add_flag("--allow-custom", args->allow_custom, "Make every unsupported op a custom layer named after its op type");
  command->add_flag("--check", args->check, "Print which layer or rule covers each node; exit 1 if any is uncovered");
  command->add_option("--minimum-deployment-target", args->deployment_target, "Lowest OS the model must load on")
      ->check(CLI::IsMember({"iOS11", "iOS11.2", "iOS12", "iOS13", "iOS14"}));
  command->add_option("--image-input", args->image_input, "Present this [N, 3|1, H, W] input as an image");
  command->add_option("--image-scale", args->image_scale, "Multiply image pixels by S first");
  command->add_option("--image-bias", args->image_bias, "Then add R,G,B (or one value for GRAYSCALE)");
  command->add_option("--color-space", args->color_space, "Image color space")->check(CLI::IsMember({"RGB", "BGR", "GRAYSCALE"}));
  command->add_option("--class-labels", args->class_labels, "Make a classifier with these labels (one per line)")
      ->type_name("FILE");
  command->add_option("--author", args->author, "Metadata: author");
  command->add_option("--license", args->license, "Metadata: license");
  command->add_option("--short-description", args->short_description, "Metadata: short description");
  command->add_option("--version", args->version, "Metadata: model version string");
  command->add_option("--input-description", args->input_descriptions, "NAME=TEXT; repeatable");
  command->add_option("--output-description", args->output_descriptions, "NAME=TEXT; repeatable");
  command->add_option("--fuse", args->fuse,
                      "Fuse layers: a comma-separated list of conv-bn, conv-mul, conv-add, gemm-add; alone, all of them")
      ->expected(0, 1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->footer(
      "Rules are tried in order (files in the order given, then the built-in mappings); the first match wins.\n"
      "Without a rule for an op, conversion fails listing every unsupported op with a rule to paste.\n"
      "\n"
      "Examples:\n"
      "  mlconv convert model.json -o model.mlmodel --rules rules.json\n"
      "  mlconv convert model.json --check --rules rules.json\n"
      "  mlconv convert model.onnx -o model.mlmodel --fuse conv-bn,gemm-add\n"
      "  mlconv convert model.json -o model.mlmodel --allow-custom --image-input image --image-scale 0.00392157");
  command->callback([args, &io] { run_convert(*args, io); });
}

}  // namespace mlconv::cli
