#include "cli/validate_report.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace mlconv::cli {

namespace validation = spec::validation;
using validation::Severity;

int Report::errors() const {
  int n = 0;
  for (const auto& entry : entries) n += entry.finding.severity == Severity::error ? 1 : 0;
  return n;
}

int Report::warnings() const { return static_cast<int>(entries.size()) - errors(); }

namespace {

std::string plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// "where: message (hint: hint)", shared by every format.
std::string sentence(const validation::Finding& finding) {
  return finding.where + ": " + finding.message + " (hint: " + finding.hint + ")";
}

// "Swish.swift:12: " for a finding inside another file.
std::string source_prefix(const ReportEntry& entry) {
  if (entry.source.empty()) return {};
  return entry.source + (entry.line > 0 ? ":" + std::to_string(entry.line) : "") + ": ";
}

}  // namespace

// One line per finding, compiler style, so `grep E022` and editors' error parsers work.
void print_text(const Report& report, std::ostream& out) {
  for (const auto& entry : report.entries) {
    const auto& finding = entry.finding;
    out << report.model_path << ": " << validation::severity_name(finding.severity) << " " << finding.code << ": "
        << source_prefix(entry) << sentence(finding) << "\n";
  }
  out << report.model_path << ": " << plural(report.errors(), "error") << ", " << plural(report.warnings(), "warning")
      << "\n";
}

void print_json(const Report& report, std::ostream& out) {
  nlohmann::ordered_json json;
  json["file"] = report.model_file;
  json["specificationVersion"] = report.specification_version;
  json["findings"] = nlohmann::ordered_json::array();
  for (const auto& entry : report.entries) {
    const auto& finding = entry.finding;
    nlohmann::ordered_json item{{"code", finding.code},
                                {"severity", validation::severity_name(finding.severity)},
                                {"where", finding.where},
                                {"layer", finding.layer_name},
                                {"layerType", finding.layer_type},
                                {"message", finding.message},
                                {"hint", finding.hint}};
    if (!entry.source.empty()) {
      item["source"] = entry.source;
      if (entry.line > 0) item["line"] = entry.line;
    }
    json["findings"].push_back(std::move(item));
  }
  json["errors"] = report.errors();
  json["warnings"] = report.warnings();
  // Invalid UTF-8 in a hostile model's names must not abort the report.
  out << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = byte(i);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t':
        case '\n': out += "&#" + std::to_string(c) + ";"; break;  // kept inside attribute values too
        case '\r': out += "&#13;"; break;
        default: out += c < 0x20 || c == 0x7f ? std::string("\xEF\xBF\xBD") : std::string(1, static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF) is copied.
    const int length = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    bool valid = length > 0 && i + static_cast<std::size_t>(length) <= text.size();
    for (int k = 1; valid && k < length; ++k) valid = (byte(i + static_cast<std::size_t>(k)) & 0xC0) == 0x80;
    if (valid && length >= 3) {
      const unsigned char next = byte(i + 1);
      if (c == 0xE0) valid = next >= 0xA0;
      if (c == 0xED) valid = next < 0xA0;
      if (c == 0xF0) valid = next >= 0x90;
      if (c == 0xF4) valid = next < 0x90;
      // U+FFFE and U+FFFF are not XML characters.
      if (c == 0xEF && next == 0xBF && i + 2 < text.size() && byte(i + 2) >= 0xBE) valid = false;
    }
    if (valid) {
      out.append(text.substr(i, static_cast<std::size_t>(length)));
      i += static_cast<std::size_t>(length);
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

namespace {

struct TestCase {
  std::string classname;
  std::string name;
  std::vector<const ReportEntry*> entries;
};

bool fails(const ReportEntry& entry, bool strict) { return entry.finding.severity == Severity::error || strict; }

void print_case(const Report& report, const TestCase& test, bool strict, std::ostream& out) {
  out << "    <testcase classname=\"" << xml_escape(test.classname) << "\" name=\"" << xml_escape(test.name)
      << "\" file=\"" << xml_escape(report.model_file) << "\"";
  if (test.entries.empty()) {
    out << "/>\n";
    return;
  }
  out << ">\n";
  std::string failing;
  std::string passing;
  int failures = 0;
  const ReportEntry* first = nullptr;
  for (const ReportEntry* entry : test.entries) {
    const std::string line = std::string(validation::severity_name(entry->finding.severity)) + " " +
                             entry->finding.code + ": " + source_prefix(*entry) + sentence(entry->finding) + "\n";
    if (fails(*entry, strict)) {
      failing += line;
      failures += 1;
      if (first == nullptr) first = entry;
    } else {
      passing += line;
    }
  }
  // JUnit has one <failure> per test case: its message is the first finding, its text all of them.
  if (first != nullptr) {
    out << "      <failure type=\"" << xml_escape(first->finding.code) << "\" message=\""
        << xml_escape(first->finding.where + ": " + first->finding.message +
                      (failures > 1 ? " (and " + plural(failures - 1, "more finding") + ")" : ""))
        << "\">" << xml_escape(failing) << "</failure>\n";
  }
  if (!passing.empty()) out << "      <system-out>" << xml_escape(passing) << "</system-out>\n";
  out << "    </testcase>\n";
}

}  // namespace

void print_junit(const Report& report, bool strict, std::ostream& out) {
  // Dashboards split a classname at dots into package and class; the model's file name has one.
  std::string suite = "mlconv.validate." + report.model_file;
  std::replace(suite.begin() + static_cast<std::ptrdiff_t>(std::string_view("mlconv.validate.").size()), suite.end(), '.', '_');
  std::vector<TestCase> cases;
  for (const std::string& family : report.families) {
    TestCase test{suite, "checks: " + family, {}};
    for (const auto& entry : report.entries)
      if (entry.family == family) test.entries.push_back(&entry);
    cases.push_back(std::move(test));
  }
  for (const CustomLayerCase& layer : report.custom_layers) {
    TestCase test{suite, "custom layer: " + layer.where + " class '" + layer.class_name + "'", {}};
    for (const auto& entry : report.entries) {
      const std::string& where = entry.finding.where;
      // The layer itself, or a layer nested in it (a custom layer inside a loop body names the loop first).
      if (where == layer.where || where.starts_with(layer.where + ",")) test.entries.push_back(&entry);
    }
    cases.push_back(std::move(test));
  }
  int failures = 0;
  for (const TestCase& test : cases) {
    bool failed = false;
    for (const ReportEntry* entry : test.entries) failed = failed || fails(*entry, strict);
    failures += failed ? 1 : 0;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"mlconv validate\" tests=\"" << cases.size() << "\" failures=\"" << failures
      << "\" errors=\"0\">\n";
  out << "  <testsuite name=\"" << xml_escape(report.model_file) << "\" tests=\"" << cases.size() << "\" failures=\""
      << failures << "\" errors=\"0\" skipped=\"0\">\n";
  for (const TestCase& test : cases) print_case(report, test, strict, out);
  out << "  </testsuite>\n</testsuites>\n";
}

namespace {

// GitHub's workflow command escaping: the message may not break the line;
// property values may not contain the ',' and ':' that separate properties.
std::string github_data(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string github_property(std::string_view text) {
  std::string out;
  for (const char c : github_data(text)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

void print_github(const Report& report, std::ostream& out) {
  for (const auto& entry : report.entries) {
    const auto& finding = entry.finding;
    out << "::" << (finding.severity == Severity::error ? "error" : "warning")
        << " file=" << github_property(entry.source.empty() ? report.model_path : entry.source);
    if (entry.line > 0) out << ",line=" << entry.line;
    out << ",title=" << github_property(finding.code) << "::" << github_data(sentence(finding)) << "\n";
  }
  out << report.model_path << ": " << plural(report.errors(), "error") << ", " << plural(report.warnings(), "warning")
      << "\n";
}

}  // namespace mlconv::cli
