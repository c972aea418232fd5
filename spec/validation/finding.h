// One problem found by `mlconv validate`: a stable code (E0xx errors, W0xx
// warnings, listed in code_catalog.cc), where it is, the rule it breaks and how
// to fix it. Codes never change meaning, so scripts and CI can match on them.
#pragma once

#include <string>
#include <string_view>

namespace mlconv::spec::validation {

enum class Severity {
  error,    // Core ML refuses the model (or would compute nonsense)
  warning,  // the model loads, but something in it is almost certainly unintended
};

std::string_view severity_name(Severity severity);  // "error", "warning"

struct Finding {
  std::string code;  // "E022"
  Severity severity = Severity::error;
  // Where in the model: "model", "input 'image'", "layer 'swish_1' (custom)";
  // pipeline sub-models are prefixed "pipeline model 1: ".
  std::string where;
  std::string layer_name;  // empty unless the finding is about one layer
  std::string layer_type;  // layer_type_name of that layer
  std::string message;     // states the rule that is broken, with the names involved
  std::string hint;        // how to fix it
};

}  // namespace mlconv::spec::validation
