#include "cli/finding_codes_doc.h"

#include <sstream>

#include "spec/validation/code_catalog.h"

namespace mlconv::cli {

namespace validation = spec::validation;

namespace {

// A table cell: GitHub splits rows at every `|`, even inside code spans, unless escaped.
std::string cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string finding_codes_markdown() {
  std::ostringstream structural;
  std::ostringstream custom;
  int structural_count = 0;
  int custom_count = 0;
  structural << "| code | severity | what must hold | how to fix |\n|---|---|---|---|\n";
  custom << "| code | severity | checked with | what must hold | how to fix |\n|---|---|---|---|---|\n";
  for (const validation::CodeDoc& doc : validation::finding_codes()) {
    const std::string severity(validation::severity_name(doc.severity));
    if (doc.needs.empty()) {
      ++structural_count;
      structural << "| <a id=\"" << doc.code << "\"></a>" << doc.code << " | " << severity << " | " << cell(doc.rule) << " | "
                 << cell(doc.fix) << " |\n";
    } else {
      ++custom_count;
      custom << "| <a id=\"" << doc.code << "\"></a>" << doc.code << " | " << severity << " | `" << doc.needs << "` | "
             << cell(doc.rule) << " | " << cell(doc.fix) << " |\n";
    }
  }
  std::ostringstream out;
  out << "### Structural codes (" << structural_count << ")\n\n"
      << "Always checked. E0xx and E1xx are errors (Core ML refuses the model, or would compute nonsense),\n"
      << "W0xx warnings (it loads, but something is almost certainly unintended).\n\n"
      << structural.str() << "\n### Custom layer codes (" << custom_count << ")\n\n"
      << "Checked when `validate` is given the option in the third column.\n\n"
      << custom.str();
  return out.str();
}

std::string splice_finding_codes(std::string_view page) {
  const auto begin = page.find(finding_codes_begin_marker);
  const auto end = page.find(finding_codes_end_marker);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return std::string(page);
  const auto after_begin = begin + finding_codes_begin_marker.size();
  return std::string(page.substr(0, after_begin)) + "\n\n" + finding_codes_markdown() + "\n" +
         std::string(page.substr(end));
}

}  // namespace mlconv::cli
