#include "cli/swift_scan.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "spec/error.h"

namespace mlconv::cli::swift {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }

class Lexer {
 public:
  explicit Lexer(std::string_view source) : s_(source) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (skip_space_and_comments()) {
      const char c = s_[at_];
      Token token;
      token.line = line_;
      if (c == '"' || (c == '#' && raw_string_ahead())) {
        string_literal(token);
      } else if (ident_start(c) || c == '$') {
        token.kind = Token::Kind::identifier;
        token.text = word();
      } else if (c == '`') {  // `class` as a plain name
        const std::size_t end = s_.find('`', at_ + 1);
        if (end == std::string_view::npos || s_.substr(at_, end - at_).find('\n') != std::string_view::npos)
          fail("unterminated backquoted name");
        token.kind = Token::Kind::identifier;
        token.text = std::string(s_.substr(at_ + 1, end - at_ - 1));
        at_ = end + 1;
      } else if (c == '#' && at_ + 1 < s_.size() && ident_start(s_[at_ + 1])) {  // #if, #selector
        ++at_;
        token.kind = Token::Kind::identifier;
        token.text = "#" + word();
      } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        token.kind = Token::Kind::number;
        const std::size_t start = at_;
        while (at_ < s_.size() && (ident_char(s_[at_]) || (s_[at_] == '.' && at_ + 1 < s_.size() &&
                                                             std::isdigit(static_cast<unsigned char>(s_[at_ + 1])) != 0)))
          ++at_;
        token.text = std::string(s_.substr(start, at_ - start));
      } else {
        token.text = std::string(1, c);
        ++at_;
      }
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error("line " + std::to_string(line_) + ": " + what); }

  std::string word() {
    const std::size_t start = at_;
    while (at_ < s_.size() && (ident_char(s_[at_]) || s_[at_] == '$')) ++at_;
    return std::string(s_.substr(start, at_ - start));
  }

  // Skips blanks, // comments and /* */ comments (which nest in Swift); false at the end.
  bool skip_space_and_comments() {
    while (at_ < s_.size()) {
      const char c = s_[at_];
      if (c == '\n') {
        ++line_;
        ++at_;
      } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++at_;
      } else if (s_.substr(at_, 2) == "//") {
        while (at_ < s_.size() && s_[at_] != '\n') ++at_;
      } else if (s_.substr(at_, 2) == "/*") {
        const int start_line = line_;
        int depth = 0;
        do {
          if (at_ >= s_.size()) {
            line_ = start_line;
            fail("unterminated /* comment");
          }
          if (s_.substr(at_, 2) == "/*") {
            ++depth;
            at_ += 2;
          } else if (s_.substr(at_, 2) == "*/") {
            --depth;
            at_ += 2;
          } else {
            line_ += s_[at_] == '\n' ? 1 : 0;
            ++at_;
          }
        } while (depth > 0);
      } else {
        return true;
      }
    }
    return false;
  }

  bool raw_string_ahead() const {
    std::size_t i = at_;
    while (i < s_.size() && s_[i] == '#') ++i;
    return i < s_.size() && s_[i] == '"';
  }

  // A string literal at at_: "…", """…""" or either with #-delimiters (raw: a
  // backslash escapes only when followed by as many #). Interpolations
  // \( … ) may hold strings and parentheses of their own.
  void string_literal(Token& token) {
    token.kind = Token::Kind::string;
    std::size_t hashes = 0;
    while (s_[at_] == '#') {
      ++hashes;
      ++at_;
    }
    const bool multi_line = s_.substr(at_, 3) == "\"\"\"";
    at_ += multi_line ? 3 : 1;
    const std::string close = (multi_line ? "\"\"\"" : "\"") + std::string(hashes, '#');
    const std::string escape = "\\" + std::string(hashes, '#');
    const int start_line = line_;
    for (;;) {
      if (at_ >= s_.size() || (!multi_line && s_[at_] == '\n')) {
        line_ = start_line;
        fail("unterminated string literal");
      }
      if (s_.substr(at_, close.size()) == close) {
        at_ += close.size();
        return;
      }
      if (s_.substr(at_, escape.size()) == escape) {
        at_ += escape.size();
        if (at_ >= s_.size()) continue;
        const char e = s_[at_];
        if (e == '(') {
          token.interpolated = true;
          token.text += "\\(...)";
          ++at_;
          interpolation();
          continue;
        }
        static constexpr std::pair<char, char> escapes[] = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'}, {'0', '\0'},
                                                            {'"', '"'},  {'\'', '\''}, {'\\', '\\'}};
        const auto* found = std::find_if(std::begin(escapes), std::end(escapes), [&](auto p) { return p.first == e; });
        if (found != std::end(escapes)) {
          token.text += found->second;
          ++at_;
        } else if (e == '\n') {  // a line continuation in a multi-line string
          ++line_;
          ++at_;
        }  // \u{…} stays as written
        continue;
      }
      line_ += s_[at_] == '\n' ? 1 : 0;
      token.text += s_[at_++];
    }
  }

  // After "\(": skips to the matching ")", through nested strings and comments.
  void interpolation() {
    int depth = 1;
    while (depth > 0) {
      if (!skip_space_and_comments()) fail("unterminated string interpolation");
      const char c = s_[at_];
      if (c == '"' || (c == '#' && raw_string_ahead())) {
        Token inner;
        string_literal(inner);
        continue;
      }
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      ++at_;
    }
  }

  std::string_view s_;
  std::size_t at_ = 0;
  int line_ = 1;
};

using Tokens = std::vector<Token>;

bool is(const Tokens& t, std::size_t i, std::string_view text) {
  return i < t.size() && t[i].kind != Token::Kind::string && t[i].text == text;
}
bool is_identifier(const Tokens& t, std::size_t i) { return i < t.size() && t[i].kind == Token::Kind::identifier; }

// The index of the token that closes the bracket at `open`, or t.size().
std::size_t matching(const Tokens& t, std::size_t open, std::string_view o, std::string_view c) {
  int depth = 0;
  for (std::size_t i = open; i < t.size(); ++i) {
    if (is(t, i, o)) ++depth;
    if (is(t, i, c) && --depth == 0) return i;
  }
  return t.size();
}

const std::set<std::string, std::less<>> modifiers = {"public", "private", "fileprivate", "internal", "open",
                                                      "final",  "indirect", "package"};

// The @objc(Name) before the declaration keyword at `at`, walking back over modifiers and attributes.
std::string objc_name_before(const Tokens& t, std::size_t at) {
  std::size_t i = at;
  while (i > 0) {
    const std::size_t prev = i - 1;
    if (is_identifier(t, prev) && modifiers.contains(t[prev].text)) {
      i = prev;
    } else if (is_identifier(t, prev) && prev > 0 && is(t, prev - 1, "@")) {
      i = prev - 1;
    } else if (is(t, prev, ")")) {
      std::size_t open = prev;
      int depth = 0;
      for (;; --open) {
        depth += is(t, open, ")") ? 1 : is(t, open, "(") ? -1 : 0;
        if (depth == 0 || open == 0) break;
      }
      if (depth != 0 || open < 2 || !is_identifier(t, open - 1) || !is(t, open - 2, "@")) break;
      if (t[open - 1].text == "objc" && prev == open + 2 && is_identifier(t, open + 1)) return t[open + 1].text;
      i = open - 2;
    } else {
      break;
    }
  }
  return {};
}

// `init(parameters name: …)`: the name the body uses for the dictionary.
std::string parameters_name(const Tokens& t, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i + 3 < end; ++i) {
    if (is(t, i, "init") && is(t, i + 1, "(") && is(t, i + 2, "parameters")) {
      if (is(t, i + 3, ":")) return "parameters";
      if (is_identifier(t, i + 3)) return t[i + 3].text;
    }
  }
  return "parameters";
}

void scan_body(const Tokens& t, std::size_t begin, std::size_t end, SwiftClass& cls) {
  const std::string dictionary = parameters_name(t, begin, end);
  for (std::size_t i = begin; i < end; ++i) {
    // name["key"], not preceded by '.' (someone.parameters is another dictionary).
    if (is(t, i, dictionary) && (i == 0 || !is(t, i - 1, ".")) && is(t, i + 1, "[") && i + 3 < end &&
        t[i + 2].kind == Token::Kind::string && !t[i + 2].interpolated && is(t, i + 3, "]")) {
      ParameterRead read{t[i + 2].text, {}, false, cls.file, t[i].line};
      std::size_t k = i + 4;
      if (is(t, k, "as") && (is(t, k + 1, "?") || is(t, k + 1, "!")) && is_identifier(t, k + 2)) {
        read.forced = is(t, k + 1, "!");
        k += 2;
        read.cast = t[k].text;
        while (is(t, k + 1, ".") && is_identifier(t, k + 2)) {  // Swift.Float
          k += 2;
          read.cast = t[k].text;
        }
      }
      cls.reads.push_back(std::move(read));
    }
    // func setWeightData(_ weights: [Data]) { … }: does the body read `weights`?
    if (is(t, i, "func") && is(t, i + 1, "setWeightData") && is(t, i + 2, "(")) {
      const std::size_t close = matching(t, i + 2, "(", ")");
      std::size_t colon = i + 3;
      while (colon < close && !is(t, colon, ":")) ++colon;
      if (colon >= close || colon == i + 3 || !is_identifier(t, colon - 1)) continue;
      const std::string argument = t[colon - 1].text;
      cls.has_set_weight_data = true;
      cls.set_weight_data_line = t[i].line;
      std::size_t open = close;
      while (open < end && !is(t, open, "{")) ++open;
      const std::size_t body_end = matching(t, open, "{", "}");
      for (std::size_t k = open + 1; k < body_end && k < end; ++k)
        if (is(t, k, argument) && !is(t, k - 1, ".")) cls.set_weight_data_uses_argument = true;
    }
  }
}

// Names a class or extension declaration may not have: `class func`, `class var`, … declare type members.
const std::set<std::string, std::less<>> not_class_names = {"func", "var", "let", "subscript", "init", "override",
                                                            "static", "final", "convenience", "required", "deinit"};

}  // namespace

bool SwiftClass::adopts(std::string_view protocol) const {
  return std::find(inherits.begin(), inherits.end(), protocol) != inherits.end();
}

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

std::vector<SwiftClass> scan_source(std::string_view source, const std::string& file) {
  Tokens t;
  try {
    t = tokenize(source);
  } catch (Error& error) {
    throw error.in_file(file);
  }
  std::vector<SwiftClass> classes;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    const bool is_class = is(t, i, "class") && (i == 0 || !is(t, i - 1, "."));
    const bool is_extension = is(t, i, "extension");
    if ((!is_class && !is_extension) || !is_identifier(t, i + 1) || not_class_names.contains(t[i + 1].text)) continue;
    SwiftClass cls;
    cls.file = file;
    cls.line = t[i].line;
    cls.is_extension = is_extension;
    std::size_t k = i + 1;
    cls.name = t[k].text;
    while (is(t, k + 1, ".") && is_identifier(t, k + 2)) {  // extension Module.Name
      k += 2;
      cls.name = t[k].text;
    }
    if (is_class) cls.objc_name = objc_name_before(t, i);
    ++k;
    if (is(t, k, "<")) k = matching(t, k, "<", ">") + 1;  // generic parameters
    if (is(t, k, ":")) {
      ++k;
      while (k < t.size() && !is(t, k, "{") && !is(t, k, "where")) {
        if (is_identifier(t, k) && !is(t, k + 1, ".")) cls.inherits.push_back(t[k].text);
        if (is(t, k, "<")) {
          k = matching(t, k, "<", ">");
          if (k >= t.size()) break;
        }
        ++k;
      }
    }
    while (k < t.size() && !is(t, k, "{")) ++k;
    const std::size_t body_end = matching(t, k, "{", "}");
    scan_body(t, k, std::min(body_end, t.size()), cls);
    classes.push_back(std::move(cls));
  }
  return classes;
}

std::vector<SwiftClass> scan_directory(const std::filesystem::path& dir) {
  std::error_code code;
  if (!std::filesystem::is_directory(dir, code))
    throw Error("not a directory of Swift sources", Error::Kind::usage).in_file(dir.string());
  std::vector<std::filesystem::path> files;
  for (std::filesystem::recursive_directory_iterator it(dir, code), end; !code && it != end; it.increment(code)) {
    if (it->is_regular_file(code) && it->path().extension() == ".swift") files.push_back(it->path());
  }
  if (code) throw Error("cannot list the directory: " + code.message(), Error::Kind::io).in_file(dir.string());
  std::sort(files.begin(), files.end());
  std::vector<SwiftClass> classes;
  std::vector<SwiftClass> extensions;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot open", Error::Kind::io).in_file(file.string());
    std::ostringstream text;
    text << in.rdbuf();
    for (auto& cls : scan_source(text.str(), file.string()))
      (cls.is_extension ? extensions : classes).push_back(std::move(cls));
  }
  // An extension adds protocols and members to the class of the same Swift name.
  for (auto& ext : extensions) {
    auto owner = std::find_if(classes.begin(), classes.end(), [&](const SwiftClass& c) { return c.name == ext.name; });
    if (owner == classes.end()) continue;  // extends a type declared elsewhere (a struct, a framework class)
    owner->inherits.insert(owner->inherits.end(), ext.inherits.begin(), ext.inherits.end());
    owner->reads.insert(owner->reads.end(), ext.reads.begin(), ext.reads.end());
    if (ext.has_set_weight_data && !owner->has_set_weight_data) {
      owner->has_set_weight_data = true;
      owner->set_weight_data_line = ext.set_weight_data_line;
      owner->set_weight_data_uses_argument = ext.set_weight_data_uses_argument;
    }
  }
  return classes;
}

}  // namespace mlconv::cli::swift
