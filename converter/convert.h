// The conversion pipeline behind `mlconv convert`: load the graph, load the rules,
// expand composites, pick a rule for every node (collecting every unsupported op
// before failing), and export the Core ML model. The CLI only parses options and prints.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <set>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Model.pb.h"
#include "converter/ir/graph.h"
#include "converter/rules/rule.h"
#include "spec/deferred_weights.h"

namespace mlconv::converter {

struct ImageInputOptions {
  std::string input;             // graph input to present as an image
  float scale = 1.0F;            // channelScale
  std::vector<float> bias;       // R, G, B (or one value for GRAYSCALE)
  std::string color_space = "RGB";  // RGB, BGR or GRAYSCALE
};

struct ConvertOptions {
  std::vector<std::filesystem::path> rule_files;
  bool allow_custom = false;
  // specificationVersion the model must at least declare (from --minimum-deployment-target);
  // the highest it may need is the same number: needing more fails naming the layers.
  std::optional<int> deployment_target;
  std::optional<ImageInputOptions> image;
  std::vector<std::string> class_labels;
  std::string author;
  std::string license;
  std::string short_description;
  std::string version;
  std::map<std::string, std::string> input_descriptions;
  std::map<std::string, std::string> output_descriptions;
  // Fusions to apply (converter/passes/pass.h: parse_fusions); empty = none.
  std::set<std::string> fusions;
  // Told each stage's name as it starts ("loading", a pass, "planning"), for progress.
  std::function<void(std::string_view)> on_stage;
};

struct UnsupportedOp {
  std::string op_type;
  std::string domain;
  std::vector<const Node*> nodes;
};

struct ConversionPlan {
  Graph graph;
  std::deque<Rule> rules;                  // user rules, built-ins, then --allow-custom rules; stable addresses
  std::map<const Node*, const Rule*> chosen;
  std::vector<UnsupportedOp> unsupported;  // empty when every node is covered
  std::vector<std::string> notes;          // what --allow-custom did, for the summary
};

// Loads the input and the rule files, runs the graph passes (converter/passes/),
// expands composite rules and assigns a rule to every node. Unsupported ops are collected, not thrown (see require_supported).
ConversionPlan plan_conversion(const std::filesystem::path& input, const ConvertOptions& options);
// The same for a graph already loaded (tests, other frontends).
ConversionPlan plan_conversion(Graph graph, const ConvertOptions& options);

// Throws one mlconv::Error listing every unsupported op (type, domain, count, node names)
// with a ready-to-paste rule for each.
void require_supported(const ConversionPlan& plan);

// The rules file that would cover the unsupported ops, as pretty JSON.
std::string suggested_rules_json(const ConversionPlan& plan);

// One line per node: "conv1 (Conv): convolution [built-in]"; uncovered nodes say UNSUPPORTED.
std::string check_report(const ConversionPlan& plan);

// The Core ML model for a fully covered plan.
CoreML::Specification::Model export_model(const ConversionPlan& plan, const ConvertOptions& options);
// A model ready to save with spec::save_model(model, path, deferred).
struct ExportedModel {
  CoreML::Specification::Model model;
  spec::DeferredWeights deferred;
};

// export_model for a caller that saves the model and is done with the plan's weights (the
// CLI): each constant's bytes are freed once the last layer reading them is written, so
// the weights are held about once rather than twice, and float32 weights mapped from a
// file are not copied at all but deferred to the save. Returns nullopt, with some
// weights freed, in the rare case where the rank-5 attempt failed after freeing and the
// N-d attempt needs them: plan again from the input and call export_model.
std::optional<ExportedModel> export_model_freeing_weights(ConversionPlan& plan, const ConvertOptions& options);

// Layers by type and every custom layer with className, parameters and weight sizes.
std::string conversion_summary(const CoreML::Specification::Model& model, const ConversionPlan& plan);

// "iOS11" ... "iOS14" -> specificationVersion; nullopt for anything else.
std::optional<int> spec_version_for_target(std::string_view target);

}  // namespace mlconv::converter
