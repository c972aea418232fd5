// A minimal JSON walker that only tracks where values start; the text has already
// been parsed by nlohmann, so it need not diagnose anything.
#include "converter/frontends/json_locations.h"

#include <algorithm>

#include "spec/error.h"
#include "spec/json_limits.h"

namespace mlconv::converter {
namespace {

class Walker {
 public:
  Walker(std::string_view text, std::map<std::string, int>& lines) : text_(text), lines_(lines) {}

  void value(const std::string& pointer) {
    skip_space();
    lines_.emplace(pointer, line_);
    if (at_end()) return;
    const char c = text_[pos_];
    if (c == '{') {
      object(pointer);
    } else if (c == '[') {
      array(pointer);
    } else if (c == '"') {
      string();
    } else {
      while (!at_end() && std::string_view(",]} \t\r\n").find(text_[pos_]) == std::string_view::npos) ++pos_;
    }
  }

 private:
  void object(const std::string& pointer) {
    ++pos_;
    skip_space();
    if (!at_end() && text_[pos_] == '}') {
      ++pos_;
      return;
    }
    while (!at_end()) {
      skip_space();
      const std::string key = string();
      skip_space();
      ++pos_;  // ':'
      value(pointer_child(pointer, key));
      skip_space();
      if (at_end() || text_[pos_++] == '}') return;  // otherwise ','
    }
  }

  void array(const std::string& pointer) {
    ++pos_;
    skip_space();
    if (!at_end() && text_[pos_] == ']') {
      ++pos_;
      return;
    }
    for (std::size_t index = 0; !at_end(); ++index) {
      value(pointer_child(pointer, index));
      skip_space();
      if (at_end() || text_[pos_++] == ']') return;
    }
  }

  // Returns the raw key text; escapes other than \" and \\ are kept as written, which is
  // enough to match the keys this project's formats use.
  std::string string() {
    std::string out;
    ++pos_;
    while (!at_end() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        const char escaped = text_[pos_ + 1];
        out += (escaped == '"' || escaped == '\\' || escaped == '/') ? std::string(1, escaped)
                                                                     : std::string(text_.substr(pos_, 2));
        pos_ += 2;
        continue;
      }
      out += text_[pos_++];
    }
    ++pos_;
    return out;
  }

  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }

  std::string_view text_;
  std::map<std::string, int>& lines_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

JsonLocations::JsonLocations(std::string file, std::string_view text) : file_(std::move(file)) {
  Walker(text, lines_).value("");
}

int JsonLocations::line(const std::string& pointer) const {
  std::string probe = pointer;
  while (true) {
    const auto it = lines_.find(probe);
    if (it != lines_.end()) return it->second;
    if (probe.empty()) return 0;
    probe.erase(probe.rfind('/'));
  }
}

std::string JsonLocations::where(const std::string& pointer) const {
  const int at = line(pointer);
  return at > 0 ? file_ + ":" + std::to_string(at) : file_;
}

nlohmann::json parse_json_text(const std::string& file, std::string_view text) {
  // Before parsing: the location walker below recurses once per level.
  spec::check_json_depth(text, file);
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann reports a byte offset; count the newlines before it for the line.
    const std::size_t offset = std::min<std::size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size());
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    std::string detail = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line L, column C: " prefix.
    if (const auto colon = detail.find(": "); colon != std::string::npos) detail = detail.substr(colon + 2);
    throw Error("invalid JSON: " + detail).in_file(file + ":" + std::to_string(line));
  } catch (const nlohmann::json::exception& error) {
    // Not a syntax error but a value nlohmann cannot hold (a number like 1e99999 overflows a
    // double: out_of_range.406); it carries no offset, so the message names the file only.
    std::string detail = error.what();
    if (const auto tag = detail.find("] "); tag != std::string::npos) detail = detail.substr(tag + 2);
    throw Error("invalid JSON: " + detail).in_file(file);
  }
}

std::string pointer_child(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

}  // namespace mlconv::converter
