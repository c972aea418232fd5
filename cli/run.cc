// `mlconv run MODEL`: executes a NeuralNetwork model (or a pipeline of them)
// on the CPU with the reference executor, custom layers through plugins.
// Inputs come from files or a seeded generator; outputs are summarised,
// written to files, or compared with references (exit 1 on a mismatch).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/run_compare.h"
#include "cli/run_inputs.h"
#include "cli/run_outputs.h"
#include "cli/verbose.h"
#include "executor/io/npy.h"
#include "executor/plugins/plugin_loader.h"
#include "executor/predictor.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/model_parts.h"
#include "spec/names.h"

namespace mlconv::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunArguments {
  std::string model;
  InputOptions inputs;
  std::string val_range;
  std::string save_inputs;
  std::vector<std::string> plugins;
  std::string output_dir;
  std::string json_file;
  std::vector<std::string> expect;
  std::string expect_dir;
  std::vector<std::string> atol;
  std::vector<std::string> rtol;
  std::string dump_layers;
  std::string dump_dir = "mlconv-layers";
  int threads = 0;
  bool profile = false;
  int repeat = 0;
  int top_k = 5;
  std::uint64_t max_loop_iterations = 1'000'000;
  std::string max_memory;
  bool force = false;
};

// --max-memory: bytes, or a number with K, M, G or T (powers of 1024).
std::uint64_t parse_byte_size(const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    if (text.empty() || text[0] == '-') throw std::invalid_argument("sign");
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string suffix = text.substr(used);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b') && suffix.size() > 1) suffix.pop_back();
  static const std::map<std::string, int> shifts{{"", 0}, {"K", 10}, {"k", 10}, {"M", 20}, {"m", 20},
                                                 {"G", 30}, {"g", 30}, {"T", 40}, {"t", 40}};
  const auto shift = shifts.find(suffix);
  if (used == 0 || shift == shifts.end() || value == 0 || value > (std::numeric_limits<std::uint64_t>::max() >> shift->second))
    throw Error("--max-memory expects a size such as 512M, 4G or 1073741824 (bytes), got '" + text + "'",
                Error::Kind::usage);
  return static_cast<std::uint64_t>(value) << shift->second;
}

// The default limit: the machine's physical memory, so a hostile model meets an
// mlconv error instead of the kernel's OOM killer.
std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return std::uint64_t{8} << 30;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void parse_value_range(const std::string& text, InputOptions& inputs) {
  if (text.empty()) return;
  inputs.range_given = true;
  const auto comma = text.find(',');
  try {
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    std::size_t used_low = 0;
    std::size_t used_high = 0;
    inputs.low = std::stod(text.substr(0, comma), &used_low);
    inputs.high = std::stod(text.substr(comma + 1), &used_high);
    if (used_low != comma || used_high != text.size() - comma - 1 || !std::isfinite(inputs.low) ||
        !std::isfinite(inputs.high) || !(inputs.low <= inputs.high))
      throw std::invalid_argument("bad range");
  } catch (const std::exception&) {
    throw Error("--val-range expects finite LOW,HIGH with LOW <= HIGH, got '" + text + "'", Error::Kind::usage);
  }
}

// Time per layer type over every run, for --profile.
struct Profile {
  struct Entry {
    double seconds = 0;
    std::int64_t calls = 0;
  };
  std::map<std::string, Entry> by_type;

  void print(int runs, std::ostream& out) const {
    std::vector<std::pair<std::string, Entry>> rows(by_type.begin(), by_type.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    double total = 0;
    for (const auto& [type, entry] : rows) total += entry.seconds;
    out << "Profile (per run, " << runs << (runs == 1 ? " run" : " runs") << ")\n";
    out << "  " << std::left << std::setw(24) << "layer type" << std::right << std::setw(8) << "layers" << std::setw(12)
        << "ms" << std::setw(8) << "%" << "\n";
    for (const auto& [type, entry] : rows) {
      out << "  " << std::left << std::setw(24) << type << std::right << std::setw(8) << entry.calls / runs
          << std::setw(12) << std::fixed << std::setprecision(3) << entry.seconds * 1000 / runs << std::setw(8)
          << std::setprecision(1) << (total > 0 ? 100 * entry.seconds / total : 0) << "\n"
          << std::defaultfloat;
    }
  }
};

// The names of the layers the layer observer sees: every top-level network's, pipelines' stages included.
void collect_layer_names(const CoreML::Specification::Model& model, std::set<std::string>& names) {
  if (const auto network = spec::network_of(model)) {
    for (const auto& layer : network->layers) names.insert(layer.name());
  } else if (const auto* pipeline = spec::pipeline_of(model)) {
    for (const auto& stage : pipeline->models()) collect_layer_names(stage, names);
  }
}

// --dump-layers: the outputs of the chosen layers (or all) as .npy files, first run only.
class LayerDumper {
 public:
  LayerDumper(const std::string& selection, std::string directory) : directory_(std::move(directory)) {
    if (selection == "all") {
      all_ = true;
      return;
    }
    std::size_t start = 0;
    while (start <= selection.size()) {
      const std::size_t comma = std::min(selection.find(',', start), selection.size());
      if (comma > start) names_.insert(selection.substr(start, comma - start));
      start = comma + 1;
    }
    if (names_.empty()) throw Error("--dump-layers expects all or NAME,...; got '" + selection + "'", Error::Kind::usage);
  }

  // Every name must be a layer of the model; checked before running.
  void check_names(const CoreML::Specification::Model& model) const {
    std::set<std::string> layers;
    collect_layer_names(model, layers);
    for (const std::string& name : names_)
      if (!layers.contains(name))
        throw Error("--dump-layers names '" + name + "', which is not a layer of the model");
  }

  void prepare() {
    std::error_code ec;
    for (fs::path dir = fs::path(directory_).lexically_normal(); !dir.empty() && !fs::exists(dir, ec);
         dir = dir.parent_path()) {
      created_.push_back(dir);
      if (dir == dir.parent_path()) break;
    }
    fs::create_directories(directory_, ec);
    if (ec) throw Error("cannot create directory: " + ec.message(), Error::Kind::io).in_file(directory_);
  }

  void on_layer(const exec::Layer& layer, const exec::Environment& blobs) {
    if (!all_ && !names_.contains(layer.name())) return;
    for (const std::string& output : layer.output()) {
      if (const exec::Tensor* tensor = blobs.find(output)) {
        const fs::path file = fs::path(directory_) / (file_stem_for(output) + ".npy");
        exec::io::write_npy(file.string(), *tensor);
        written_.push_back(file);
      }
    }
  }

  // The run failed: take back what it wrote, so a failure leaves nothing behind.
  void discard() noexcept {
    std::error_code ec;
    for (const fs::path& file : written_) fs::remove(file, ec);
    for (const fs::path& dir : created_) fs::remove(dir, ec);  // innermost first; only when empty
    written_.clear();
  }

  void finish(std::ostream& out) const {
    out << "Dumped " << written_.size() << " blob" << (written_.size() == 1 ? "" : "s") << " to " << directory_ << "\n";
  }

 private:
  std::string directory_;
  bool all_ = false;
  std::vector<fs::path> created_;  // the directories prepare() made, innermost first
  std::set<std::string> names_;
  std::vector<fs::path> written_;
};

// Core ML hands back the shape the network computed, whatever the description declares, so
// a disagreement is not an error; but it is the first sign of a custom layer whose
// outputShapes is wrong, or of a stale description an app may rely on.
void warn_on_undeclared_shapes(const CoreML::Specification::Model& model, const exec::FeatureMap& outputs,
                               const std::string& file) {
  for (const auto& output : model.description().output()) {
    if (!output.type().has_multiarraytype()) continue;
    const auto& array = output.type().multiarraytype();
    if (array.shape_size() == 0 || array.ShapeFlexibility_case() != CoreML::Specification::ArrayFeatureType::SHAPEFLEXIBILITY_NOT_SET)
      continue;
    const auto found = outputs.find(output.name());
    if (found == outputs.end() || found->second.kind != exec::FeatureValue::Kind::array) continue;
    const exec::Shape declared(array.shape().begin(), array.shape().end());
    const exec::Tensor& tensor = found->second.tensor;
    if (exec::element_count(declared) == tensor.size()) continue;
    std::string producer;
    if (const auto network = spec::network_of(model))
      for (const auto& layer : network->layers)
        for (const auto& name : layer.output())
          if (name == output.name())
            producer = layer.has_custom() ? ", written by layer '" + layer.name() + "' (custom class '" +
                                              layer.custom().classname() + "', whose outputShapes gives this shape)"
                                        : ", written by layer '" + layer.name() + "' (" +
                                              std::string(spec::layer_type_name(layer)) + ")";
    spdlog::warn("{}: output '{}' has shape {}; the model's description declares {}{}", file, output.name(),
                 exec::shape_to_string(tensor.shape()), exec::shape_to_string(declared), producer);
  }
}

// The process's peak resident set so far, in KiB (Linux's ru_maxrss unit).
long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void run_model(RunArguments& args, const Io& io) {
  parse_value_range(args.val_range, args.inputs);
  Tolerances tolerances;
  parse_tolerances(args.atol, args.rtol, tolerances);
  if (args.repeat < 0) throw Error("--repeat expects a count >= 0", Error::Kind::usage);
  const std::uint64_t max_memory = args.max_memory.empty() ? physical_memory_bytes() : parse_byte_size(args.max_memory);
  std::vector<std::string> input_files{args.model};
  for (const std::string& item : args.inputs.inputs) input_files.push_back(item.substr(item.find('=') + 1));
  for (const std::string& item : args.expect) input_files.push_back(item.substr(item.find('=') + 1));
  refuse_output_over_input(args.json_file, "--json", input_files, args.force);

  const long rss_before_load_kib = peak_rss_kib();
  const Clock::time_point load_start = Clock::now();
  spec::LoadedModel loaded = spec::load_model(args.model);
  log_model_read(loaded);
  exec::KernelRegistry registry = exec::KernelRegistry::with_builtin_kernels();
  for (const std::string& plugin : exec::load_plugins(args.plugins, registry)) spdlog::info("loaded plugin {}", plugin);
  exec::PredictorOptions options;
  options.kernels = &registry;
  options.threads = args.threads;
  options.seed = args.inputs.seed;
  options.max_loop_iterations = args.max_loop_iterations;
  options.max_memory = max_memory;
  std::unique_ptr<exec::Predictor> predictor;
  try {
    // The predictor keeps the model and frees its weight values as the kernels copy them.
    predictor = std::make_unique<exec::Predictor>(std::move(loaded.model), options);
  } catch (Error& error) {
    throw error.in_file(args.model);
  }
  const CoreML::Specification::Model& model = predictor->model();
  Latency latency;
  latency.load_ms = milliseconds_since(load_start);
  spdlog::debug("model and plugins loaded and prepared in {:.1f} ms", latency.load_ms);

  // Everything that can be checked without running is checked first: a
  // failure leaves no file behind and does not wait for a slow model.
  args.inputs.index_inputs = embedding_index_inputs(model);
  const exec::FeatureMap inputs = prepare_inputs(model.description(), args.inputs);
  std::vector<std::string> output_names;
  for (const auto& output : model.description().output()) output_names.push_back(output.name());
  check_tolerance_names(tolerances, output_names);
  const auto expected_files = expectations(args.expect, args.expect_dir, output_names);
  // --output-dir writes label and dictionary outputs as NAME.json; an --expect-dir made by it
  // holds them, and the report says they were left out rather than passing over them in silence.
  std::vector<std::string> not_compared;
  if (!args.expect_dir.empty())
    for (const auto& output : model.description().output())
      if (!output.type().has_multiarraytype() && !output.type().has_imagetype() &&
          fs::exists(fs::path(args.expect_dir) / (file_stem_for(output.name()) + ".json")))
        not_compared.push_back("  " + output.name() + "  not compared: a " + exec::describe_feature_type(output.type()) +
                               " output; --expect-dir compares the NAME.npy of MultiArray and Image outputs\n");
  std::vector<exec::Tensor> references;
  for (const auto& [name, file] : expected_files) {
    for (const auto& output : model.description().output())
      if (output.name() == name && !output.type().has_multiarraytype() && !output.type().has_imagetype())
        throw Error("--expect names output '" + name + "', a " + exec::describe_feature_type(output.type()) +
                        "; --expect compares only MultiArray and Image outputs");
    references.push_back(exec::io::read_npy(file).to_tensor());
  }

  Profile profile;
  std::unique_ptr<LayerDumper> dumper;
  if (!args.dump_layers.empty()) {
    dumper = std::make_unique<LayerDumper>(args.dump_layers, args.dump_dir);
    dumper->check_names(model);
    dumper->prepare();
  }
  bool first_run = true;
  if (args.profile || dumper) {
    predictor->set_layer_observer([&](const exec::Layer& layer, const exec::Environment& blobs, double seconds) {
      if (args.profile) {
        auto& entry = profile.by_type[std::string(spec::layer_type_name(layer))];
        entry.seconds += seconds;
        entry.calls += 1;
      }
      if (dumper && first_run) dumper->on_layer(layer, blobs);
    });
  }

  exec::FeatureMap outputs;
  try {
    Clock::time_point start = Clock::now();
    outputs = predictor->predict(inputs);
    latency.first_ms = milliseconds_since(start);
    first_run = false;
    for (int i = 0; i < args.repeat; ++i) {
      start = Clock::now();
      predictor->predict(inputs);
      latency.repeat_ms.push_back(milliseconds_since(start));
    }
  } catch (Error& error) {
    if (dumper) dumper->discard();
    throw error.in_file(args.model);
  } catch (...) {
    if (dumper) dumper->discard();
    throw;
  }

  warn_on_undeclared_shapes(model, outputs, args.model);
  // The run succeeded: every file asked for is written, also when a comparison then fails.
  if (!args.save_inputs.empty()) save_inputs(inputs, args.save_inputs);
  print_outputs(outputs, args.top_k, io.out);
  print_latency(latency, io.out);
  if (args.profile) profile.print(1 + args.repeat, io.out);
  if (dumper) dumper->finish(io.out);
  if (!args.output_dir.empty()) write_output_dir(outputs, args.output_dir);
  if (!args.json_file.empty()) {
    nlohmann::ordered_json report = outputs_json(outputs, latency);
    report["memory"] = {{"peak_rss_kib", peak_rss_kib()},
                        {"rss_before_load_kib", rss_before_load_kib},
                        {"peak_live_blob_bytes", predictor->peak_live_activation_bytes()},
                        {"released_weight_bytes", predictor->released_weight_bytes()}};
    spec::write_file_atomically(args.json_file, report.dump(1) + "\n");
  }

  std::vector<Comparison> comparisons;
  for (std::size_t i = 0; i < references.size(); ++i) {
    const auto& [name, file] = expected_files[i];
    const auto output = outputs.find(name);
    if (output == outputs.end()) throw Error("the model did not produce output '" + name + "'").in_file(args.model);
    comparisons.push_back(compare_output(name, output->second, references[i], file, tolerances));
  }
  if (!comparisons.empty()) {
    print_comparisons(comparisons, io.out);
    for (const std::string& line : not_compared) io.out << line;
    std::string failed;
    for (const Comparison& c : comparisons)
      if (!c.passed) failed += (failed.empty() ? "" : ", ") + c.output;
    io.out.flush();
    if (!failed.empty()) throw Error("outputs differ from the expected values beyond tolerance: " + failed).in_file(args.model);
  }
  io.out.flush();
  if (!io.out) throw Error("cannot write to standard output", Error::Kind::io);
}

}  // namespace

void register_run_command(CLI::App& app, const Io& io) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* command = app.add_subcommand(
      "run", "Run a neural-network model on the CPU with the reference executor (custom layers through plugins)");
  command->add_option("model", args->model, "The .mlmodel file")->required()->type_name("FILE");
  command->add_option("-i,--input", args->inputs.inputs, "NAME=FILE: an input from .npy, .json (nested arrays) or an image");
  command->add_flag("--random-inputs", args->inputs.random, "Fill inputs not given with --input with random values");
  command->add_option("--seed", args->inputs.seed, "Seed for --random-inputs and random layers")->capture_default_str();
  command->add_option("--val-range", args->val_range, "LOW,HIGH: range of random array values (default 0,1; "
                                                 "inputs read by an embedding get whole indices below its size)");
  command->add_option("--input-shape", args->inputs.input_shapes,
                      "NAME=D1,D2,...: shape of a random input (flexible-shape models); WIDTH,HEIGHT for images");
  command->add_option("--save-inputs", args->save_inputs, "DIR: write the inputs used (NAME.npy, and NAME.png for images)")
      ->type_name("DIR");
  command->add_option("--plugin", args->plugins, "LIB.so: a custom-layer plugin (also: MLCONV_PLUGIN_PATH)")->type_name("FILE");
  command->add_option("--output-dir", args->output_dir, "DIR: write NAME.npy per array output, NAME.json for labels and "
                                                        "dictionaries, NAME.png + NAME.npy for images")
      ->type_name("DIR");
  command->add_option("--json", args->json_file, "FILE: write outputs and timings as JSON")->type_name("FILE");
  command->add_flag("--force", args->force, "Write --json even when it names an input file");
  command->add_option("--expect", args->expect, "NAME=FILE.npy: compare an output with a reference");
  command->add_option("--expect-dir", args->expect_dir, "DIR: compare every output NAME with DIR/NAME.npy where present")
      ->type_name("DIR");
  command->add_option("--atol", args->atol, "Absolute tolerance: X (default 1e-5) or NAME=X for one output");
  command->add_option("--rtol", args->rtol, "Relative tolerance: X (default 1e-5) or NAME=X for one output");
  command->add_option("--dump-layers", args->dump_layers, "all or NAME,...: write those layers' outputs as .npy");
  command->add_option("--dump-dir", args->dump_dir, "DIR for --dump-layers")->capture_default_str()->type_name("DIR");
  command->add_option("--threads", args->threads, "Worker threads (default: every core)")->check(CLI::NonNegativeNumber);
  command->add_flag("--profile", args->profile, "Print time per layer type");
  command->add_option("--repeat", args->repeat, "Run N more times after the first and report latency (min, median)");
  command->add_option("--top-k", args->top_k, "Classifier labels shown in the summary")->capture_default_str();
  command->add_option("--max-loop-iterations", args->max_loop_iterations,
                      "Stop a loop layer that runs longer than this")->capture_default_str();
  command->add_option("--max-memory", args->max_memory,
                      "SIZE (512M, 4G, bytes): the most memory the model's tensors may hold (default: physical memory)");
  command->footer(
      "Exit codes: 0 ran (and matched every --expect), 1 failure or mismatch, 2 usage.\n"
      "\n"
      "Examples:\n"
      "  mlconv run model.mlmodel --random-inputs --seed 1\n"
      "  mlconv run model.mlmodel -i image=cat.png --top-k 3\n"
      "  mlconv run model.mlmodel -i x=x.npy --expect y=y_ref.npy --atol 1e-4\n"
      "  mlconv run model.mlmodel --plugin ./libswish.so -i image=in.png --output-dir out/");
  command->callback([args, &io] { run_model(*args, io); });
}

}  // namespace mlconv::cli
