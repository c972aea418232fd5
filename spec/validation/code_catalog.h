// The documentation of every finding code (what it checks, how to fix it), in
// one table: troubleshooting docs are generated from it, and a test keeps it in
// step with the codes the checks report.
#pragma once

#include <span>
#include <string_view>

#include "spec/validation/finding.h"

namespace mlconv::spec::validation {

struct CodeDoc {
  std::string_view code;      // "E022"
  Severity severity;
  std::string_view needs;     // the validate option that turns the check on ("--bindings"); "" = always on
  std::string_view rule;      // what must hold (Markdown)
  std::string_view fix;       // how to fix a model that breaks it (Markdown)
};

// In documentation order: structural codes, then the custom layer codes.
std::span<const CodeDoc> finding_codes();

// nullptr for a code that is not in the table.
const CodeDoc* find_code(std::string_view code);

}  // namespace mlconv::spec::validation
