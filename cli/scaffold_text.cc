#include "cli/scaffold_text.h"

#include <cctype>
#include <cstdio>
#include <set>

#include "cli/scaffold.h"

namespace mlconv::cli::scaffold {

namespace {

// Words that cannot name a Swift or C++ member without escaping.
const std::set<std::string, std::less<>> reserved = {
    "as", "break", "case", "catch", "class", "continue", "default", "defer", "do", "else", "enum", "extension",
    "false", "for", "func", "guard", "if", "import", "in", "init", "inout", "internal", "is", "let", "nil", "operator",
    "private", "protocol", "public", "repeat", "return", "self", "Self", "static", "struct", "subscript", "super",
    "switch", "throw", "throws", "true", "try", "typealias", "var", "where", "while", "weights", "parameters",
    "auto", "bool", "char", "const", "delete", "double", "float", "int", "long", "namespace", "new", "short",
    "signed", "sizeof", "template", "this", "typename", "union", "unsigned", "using", "virtual", "void", "volatile"};

}  // namespace

std::string identifier(const std::string& name) {
  std::string out;
  for (const char c : name) out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) != 0) out = "_" + out;
  if (reserved.contains(out)) out += "_";
  return out;
}

std::string swift_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\u{%x}", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string cpp_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f || c == '?') {  // '?' would start a trigraph in old dialects
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\%03o", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string comment_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c;
  }
  // A trailing backslash would continue a C++ // comment onto the next line.
  while (!out.empty() && out.back() == '\\') out.back() = '_';
  return out;
}

std::string join_quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

std::map<std::string, std::string> member_names(const spec::validation::ClassBinding& binding) {
  std::map<std::string, std::string> members;
  std::set<std::string> taken;
  for (const auto& p : binding.parameters) {
    std::string name = identifier(p.name);
    for (int n = 2; taken.contains(name); ++n) name = identifier(p.name) + "_" + std::to_string(n);
    taken.insert(name);
    members[p.name] = name;
  }
  return members;
}

}  // namespace mlconv::cli::scaffold
