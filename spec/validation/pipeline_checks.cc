// Checks of a pipeline's wiring: it has models, each sub-model's inputs come
// from the pipeline's inputs or an earlier sub-model's outputs, and the
// pipeline's outputs come from somewhere. The sub-models themselves are
// validated like any model (validator.cc recurses into them).
#include <set>
#include <string>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;

void check_has_models(const ModelScope& scope, Reporter& reporter) {
  const cml::Pipeline* pipeline = pipeline_of(scope.model);
  if (pipeline == nullptr || pipeline->models_size() > 0) return;
  reporter.report("model", "the " + std::string(model_type_name(scope.model)) + " has no models; it needs at least one",
                  "add the sub-models the pipeline runs, in order");
}

void check_sub_model_inputs(const ModelScope& scope, Reporter& reporter) {
  const cml::Pipeline* pipeline = pipeline_of(scope.model);
  if (pipeline == nullptr) return;
  std::set<std::string> available;
  for (const auto& input : scope.model.description().input()) available.insert(input.name());
  for (int i = 0; i < pipeline->models_size(); ++i) {
    const cml::Model& sub = pipeline->models(i);
    for (const auto& input : sub.description().input()) {
      if (available.contains(input.name())) continue;
      reporter.report("pipeline model " + std::to_string(i) + ": " + describe_named("input", input.name()),
                      "the sub-model's input is neither a pipeline input nor an output of an earlier sub-model",
                      "add '" + input.name() + "' to the pipeline's inputs or rename it to the output that feeds it");
    }
    for (const auto& output : sub.description().output()) available.insert(output.name());
  }
}

void check_pipeline_outputs(const ModelScope& scope, Reporter& reporter) {
  const cml::Pipeline* pipeline = pipeline_of(scope.model);
  if (pipeline == nullptr) return;
  std::set<std::string> available;
  for (const auto& input : scope.model.description().input()) available.insert(input.name());
  for (const auto& sub : pipeline->models()) {
    for (const auto& output : sub.description().output()) available.insert(output.name());
  }
  for (const auto& output : scope.model.description().output()) {
    if (available.contains(output.name())) continue;
    reporter.report(describe_named("output", output.name()),
                    "the pipeline output is neither a pipeline input nor an output of any sub-model",
                    "rename it to the sub-model output it should return, or remove it");
  }
}

}  // namespace

void register_pipeline_checks(CheckList& list) {
  list.add({"E050", Severity::error, "a pipeline has at least one model", check_has_models});
  list.add({"E051", Severity::error, "each sub-model's inputs are pipeline inputs or outputs of earlier sub-models",
            check_sub_model_inputs});
  list.add({"E052", Severity::error, "each pipeline output is a pipeline input or a sub-model output",
            check_pipeline_outputs});
}

}  // namespace mlconv::spec::validation
