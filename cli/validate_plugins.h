// `validate --plugin LIB.so`: every custom class of the model has an
// implementation in the loaded plugins, each plugin accepts its layers
// (parameters and weights), and -- running the model once on zero inputs --
// each plugin's output-shape function accepts the shapes that reach it
// (codes E210..E214, W210, docs/validate.md). Where shape inference knows a
// custom layer's input shapes, the plugin is asked with those first.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "Model.pb.h"
#include "cli/validate_report.h"
#include "executor/kernel_registry.h"
#include "spec/validation/bindings.h"
#include "spec/validation/shape_inference.h"

namespace mlconv::cli {

// Loads the plugins and makes a kernel for every custom layer of `model`
// (which must hold its weight values: plugins read them). `plugins` are files
// or directories; MLCONV_PLUGIN_PATH adds more. A plugin that cannot be loaded
// throws mlconv::Error (a usage failure, not a finding). The model must outlive
// the check.
class PluginCheck {
 public:
  PluginCheck(const CoreML::Specification::Model& model, const std::vector<std::string>& plugins);

  // Wraps the output shapes shape inference takes (`stated`: the bindings'
  // rules) so that each plugin's output_shapes is asked too, with the inferred
  // input shapes when they are fully known: a refusal is E212, a shape other
  // than the stated one E214. Inference still gets only the stated shapes. The
  // function refers to this check and must not outlive it.
  spec::CustomShapeFunction shape_function(spec::CustomShapeFunction stated);

  // Every finding: class lookup and creation (E210, E211), what shape
  // inference found through shape_function, then the run on zero inputs
  // (E212, E213, W210).
  std::vector<ReportEntry> findings();

  // The kernel made for the first layer of the class; null when none could be made.
  exec::Kernel* kernel_for_class(const std::string& class_name) const;

 private:
  std::optional<std::vector<spec::MaybeShape>> plugin_shapes(const CoreML::Specification::NeuralNetworkLayer& layer,
                                                             const std::vector<spec::MaybeShape>& inputs);
  std::vector<ReportEntry> run_on_zero_inputs() const;
  const spec::validation::CustomLayerRef* ref_of(const CoreML::Specification::NeuralNetworkLayer* layer) const;
  void add_once(const CoreML::Specification::NeuralNetworkLayer* layer, const char* code, std::string message,
                std::string hint);

  const CoreML::Specification::Model& model_;
  exec::KernelRegistry registry_;
  std::vector<std::string> files_;
  std::vector<spec::validation::CustomLayerRef> layers_;
  std::map<const CoreML::Specification::NeuralNetworkLayer*, std::unique_ptr<exec::Kernel>> kernels_;
  std::set<std::pair<const CoreML::Specification::NeuralNetworkLayer*, std::string>> reported_;
  std::vector<ReportEntry> findings_;
  bool all_built_ = true;
  bool inferred_refusal_ = false;
};

}  // namespace mlconv::cli
