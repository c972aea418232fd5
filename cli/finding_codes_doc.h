// The finding-code table of docs/troubleshooting.md, generated from the code
// catalog (spec/validation/code_catalog.h) so it cannot drift: a test splices it
// into the page between markers and fails when the checked-in page differs.
#pragma once

#include <string>
#include <string_view>

namespace mlconv::cli {

inline constexpr std::string_view finding_codes_begin_marker =
    "<!-- BEGIN finding codes: generated from spec/validation/code_catalog.cc by tests/cli/finding_codes_doc_test.cc -->";
inline constexpr std::string_view finding_codes_end_marker = "<!-- END finding codes -->";

// Markdown tables: the structural codes, then the custom layer codes with the option that enables them.
std::string finding_codes_markdown();

// `page` with the text between the markers replaced by finding_codes_markdown();
// the page unchanged when it lacks either marker.
std::string splice_finding_codes(std::string_view page);

}  // namespace mlconv::cli
