// A token-level scan of Swift sources for `validate --swift`: finds the
// classes that adopt MLCustomLayer, their @objc names, superclass, the keys
// their init(parameters:) reads from the dictionary (and the type each is
// cast to), and whether setWeightData uses its argument. Not a Swift parser:
// it only has to get comments, string literals (raw, multi-line,
// interpolated) and brace nesting right so that nothing in a comment or a
// string is mistaken for code.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlconv::cli::swift {

struct Token {
  enum class Kind { identifier, string, number, punctuation };
  Kind kind = Kind::punctuation;
  std::string text;  // a string literal's value (escapes decoded); interpolations become "\(...)"
  int line = 1;
  bool interpolated = false;  // a string literal with \( ... ) inside
};

// Throws mlconv::Error (without a file) on an unterminated comment or string.
std::vector<Token> tokenize(std::string_view source);

struct ParameterRead {
  std::string key;     // parameters["beta"]
  std::string cast;    // the type after as?/as!, e.g. "Float", "NSNumber"; empty when not cast right there
  bool forced = false; // as! (a failed cast crashes instead of giving nil)
  std::string file;    // extensions may live in other files than their class
  int line = 0;
};

struct SwiftClass {
  std::string name;       // the Swift name
  std::string objc_name;  // from @objc(Name); empty when the attribute has no name or is missing
  std::vector<std::string> inherits;  // superclass and protocols as written, last component of dotted names
  bool is_extension = false;
  std::string file;
  int line = 0;
  std::vector<ParameterRead> reads;
  bool has_set_weight_data = false;
  bool set_weight_data_uses_argument = false;
  int set_weight_data_line = 0;

  [[nodiscard]] bool adopts(std::string_view protocol) const;
};

// Classes and extensions declared in one source, in order (nested ones too).
std::vector<SwiftClass> scan_source(std::string_view source, const std::string& file);

// Every *.swift file under `dir` (recursively, in path order), with each
// extension merged into the class it extends. Throws mlconv::Error naming the
// file for unreadable or unscannable sources, and when `dir` is no directory.
std::vector<SwiftClass> scan_directory(const std::filesystem::path& dir);

}  // namespace mlconv::cli::swift
