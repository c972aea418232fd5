// Structural validation of a Core ML model: the registry of checks and the
// entry point. Each check family lives in its own file and adds its checks with
// one register_*_checks function; validator.cc lists those functions, nothing
// decides by strings at run time.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "Model.pb.h"
#include "spec/validation/finding.h"
#include "spec/validation/shape_inference.h"

namespace mlconv::spec::validation {

// What a check looks at: one model (the top level or a pipeline sub-model) and
// how to name places inside it.
struct ModelScope {
  const CoreML::Specification::Model& model;
  std::string prefix;  // "" at the top level, "pipeline model 1: " inside a pipeline
  const ShapeOptions* shapes = nullptr;  // custom-layer output shapes (from bindings); null: none
};

// Collects the findings of one check; the check only says where and what.
class Reporter {
 public:
  Reporter(std::string_view code, Severity severity, std::string prefix, std::vector<Finding>& out);

  void report(std::string where, std::string message, std::string hint);
  // `where` names the layer ("layer 'x' (custom)", with enclosing loop/branch
  // layers first) and the finding carries its name and type.
  void report_layer(std::string where, const CoreML::Specification::NeuralNetworkLayer& layer, std::string message,
                    std::string hint);

 private:
  std::string_view code_;
  Severity severity_;
  std::string prefix_;
  std::vector<Finding>& out_;
};

using CheckFunction = void (*)(const ModelScope& scope, Reporter& reporter);

struct Check {
  std::string_view code;
  Severity severity;
  std::string_view title;  // one line for docs and --help: the rule
  CheckFunction run;
};

class CheckList {
 public:
  // Throws mlconv::Error when the code is already registered: codes are promises.
  void add(const Check& check);
  [[nodiscard]] std::span<const Check> checks() const { return checks_; }

 private:
  std::vector<Check> checks_;
};

// One function per family file.
void register_version_checks(CheckList& list);    // version_checks.cc
void register_interface_checks(CheckList& list);  // interface_checks.cc
void register_graph_checks(CheckList& list);      // graph_checks.cc
void register_layer_checks(CheckList& list);      // layer_checks.cc
void register_pipeline_checks(CheckList& list);   // pipeline_checks.cc
void register_layer_param_checks(CheckList& list);   // layer_param_checks.cc
void register_layer_weight_checks(CheckList& list);  // layer_weight_checks.cc
void register_shape_checks(CheckList& list);         // shape_checks.cc

// Every check, in report order.
const CheckList& all_checks();

// Runs every check on the model and on each pipeline sub-model (recursively),
// in model order; an empty result means no problem was found.
// `shapes` supplies what the model cannot state itself: the output shapes of
// custom layers (a bindings file's rules), used by the shape checks.
std::vector<Finding> validate_model(const CoreML::Specification::Model& model, const ShapeOptions& shapes = {});

}  // namespace mlconv::spec::validation
