// The conversion half shared by the JSON graph, rules and ONNX targets: plan,
// report, and, when every node is covered, export and serialize the model and
// check it, as `mlconv convert` and `mlconv convert --check` do.
#pragma once

#include "converter/convert.h"
#include "spec/model_io.h"
#include "spec/validation/validator.h"

namespace mlconv::fuzz {

inline void convert_planned(const converter::ConversionPlan& plan, const converter::ConvertOptions& options) {
  (void)converter::check_report(plan);
  if (!plan.unsupported.empty()) {
    (void)converter::suggested_rules_json(plan);
    return;
  }
  const auto model = converter::export_model(plan, options);
  (void)converter::conversion_summary(model, plan);
  (void)spec::serialize_model(model);
  (void)spec::validation::validate_model(model);
}

}  // namespace mlconv::fuzz
