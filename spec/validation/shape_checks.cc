// Checks from shape inference (shape_inference.h): sizes that contradict each
// other somewhere between the declared inputs and the declared outputs, and
// (warning) custom layers whose unknown output shape a later layer needs.
// Inference runs once per check; it is cheap next to loading a model.
#include "spec/validation/shape_inference.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

void report_kind(const ModelScope& scope, Reporter& reporter, ShapeIssue::Kind kind) {
  for (const ShapeIssue& issue : infer_shapes(scope.model, scope.shapes ? *scope.shapes : ShapeOptions{}).issues) {
    if (issue.kind != kind) continue;
    if (issue.layer != nullptr) {
      reporter.report_layer(issue.where, *issue.layer, issue.message, issue.hint);
    } else {
      reporter.report(issue.where, issue.message, issue.hint);
    }
  }
}

void check_parameters(const ModelScope& scope, Reporter& reporter) {
  report_kind(scope, reporter, ShapeIssue::Kind::parameters);
}
void check_inputs(const ModelScope& scope, Reporter& reporter) { report_kind(scope, reporter, ShapeIssue::Kind::inputs); }
void check_per_channel(const ModelScope& scope, Reporter& reporter) {
  report_kind(scope, reporter, ShapeIssue::Kind::per_channel);
}
void check_declared_outputs(const ModelScope& scope, Reporter& reporter) {
  report_kind(scope, reporter, ShapeIssue::Kind::declared_output);
}
void check_custom_unknown(const ModelScope& scope, Reporter& reporter) {
  report_kind(scope, reporter, ShapeIssue::Kind::custom_unknown);
}

}  // namespace

void register_shape_checks(CheckList& list) {
  list.add({"E100", Severity::error, "a layer's input shape fits its parameters (channels, kernel, element count, rank)",
            check_parameters});
  list.add({"E101", Severity::error, "the inputs of a multi-input layer have shapes that fit together", check_inputs});
  list.add({"E102", Severity::error, "per-channel PReLU and parametricSoftplus parameters have 1 or C values",
            check_per_channel});
  list.add({"E103", Severity::error, "a declared output shape matches the shape the network produces",
            check_declared_outputs});
  list.add({"W060", Severity::warning,
            "a layer that needs its input's size at compile time does not read the unknown output of a custom layer",
            check_custom_unknown});
}

}  // namespace mlconv::spec::validation
