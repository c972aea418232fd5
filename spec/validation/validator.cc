#include "spec/validation/validator.h"

#include <algorithm>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"

namespace mlconv::spec::validation {

namespace cml = CoreML::Specification;

std::string_view severity_name(Severity severity) { return severity == Severity::error ? "error" : "warning"; }

Reporter::Reporter(std::string_view code, Severity severity, std::string prefix, std::vector<Finding>& out)
    : code_(code), severity_(severity), prefix_(std::move(prefix)), out_(out) {}

void Reporter::report(std::string where, std::string message, std::string hint) {
  out_.push_back(Finding{.code = std::string(code_),
                         .severity = severity_,
                         .where = prefix_ + where,
                         .layer_name = {},
                         .layer_type = {},
                         .message = std::move(message),
                         .hint = std::move(hint)});
}

void Reporter::report_layer(std::string where, const cml::NeuralNetworkLayer& layer, std::string message,
                            std::string hint) {
  report(std::move(where), std::move(message), std::move(hint));
  out_.back().layer_name = layer.name();
  out_.back().layer_type = std::string(layer_type_name(layer));
}

void CheckList::add(const Check& check) {
  const bool taken = std::any_of(checks_.begin(), checks_.end(), [&](const Check& c) { return c.code == check.code; });
  if (taken) throw Error("validation check code " + std::string(check.code) + " is registered twice");
  checks_.push_back(check);
}

const CheckList& all_checks() {
  static constexpr void (*families[])(CheckList&) = {
      register_version_checks,      register_interface_checks,    register_graph_checks,
      register_layer_checks,        register_layer_param_checks,  register_layer_weight_checks,
      register_shape_checks,        register_pipeline_checks,
  };
  static const CheckList list = [] {
    CheckList l;
    for (const auto add : families) add(l);
    return l;
  }();
  return list;
}

namespace {

void validate_scope(const ModelScope& scope, std::vector<Finding>& findings) {
  for (const Check& check : all_checks().checks()) {
    Reporter reporter(check.code, check.severity, scope.prefix, findings);
    check.run(scope, reporter);
  }
  // Each sub-model is a model of its own: every rule applies to it again.
  if (const cml::Pipeline* pipeline = pipeline_of(scope.model)) {
    for (int i = 0; i < pipeline->models_size(); ++i) {
      validate_scope(
          ModelScope{pipeline->models(i), scope.prefix + "pipeline model " + std::to_string(i) + ": ", scope.shapes},
          findings);
    }
  }
}

}  // namespace

std::vector<Finding> validate_model(const cml::Model& model, const ShapeOptions& shapes) {
  std::vector<Finding> findings;
  validate_scope(ModelScope{model, "", &shapes}, findings);
  return findings;
}

}  // namespace mlconv::spec::validation
