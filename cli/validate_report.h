// The report of `mlconv validate` and its four printers: text (one finding
// per line), json (schemas/validate-report.schema.json), junit (one test case
// per check family and per custom layer, for CI dashboards) and github
// (workflow commands that annotate the files in a pull request).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "spec/validation/finding.h"

namespace mlconv::cli {

struct ReportEntry {
  spec::validation::Finding finding;
  std::string family;  // "graph", "bindings", "swift", ...: the JUnit test case it fails
  // The file the finding points into when that is not the model (a Swift
  // source, the bindings file); empty for the model. line 0: no line.
  std::string source;
  int line = 0;
};

struct CustomLayerCase {
  std::string where;       // as in findings: "layer 'swish_1' (custom)"
  std::string class_name;
};

struct Report {
  std::string model_path;  // as given on the command line (text and github name it so)
  std::string model_file;  // its file name (json and junit)
  int specification_version = 0;
  std::vector<std::string> families;  // every family that ran, in order, failing or not
  std::vector<CustomLayerCase> custom_layers;
  std::vector<ReportEntry> entries;

  [[nodiscard]] int errors() const;
  [[nodiscard]] int warnings() const;
};

void print_text(const Report& report, std::ostream& out);
void print_json(const Report& report, std::ostream& out);
// Warnings fail their test cases only when `strict` (as they fail the run).
void print_junit(const Report& report, bool strict, std::ostream& out);
void print_github(const Report& report, std::ostream& out);

// Text made safe for XML 1.0 character data and attribute values: markup
// characters escaped, control characters and invalid UTF-8 replaced by U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace mlconv::cli
