// Text helpers for generated code: names and strings from a model are
// untrusted, so each goes through a function that makes it a valid literal,
// identifier or one-line comment in the target language.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spec/validation/bindings.h"

namespace mlconv::cli::scaffold {

std::string swift_string(std::string_view text);  // "…" with \" \\ \n \t \r \u{…} escapes
std::string cpp_string(std::string_view text);    // "…" with octal escapes for control bytes
std::string comment_text(std::string_view text);  // control characters replaced by spaces
std::string join_quoted(const std::vector<std::string>& names);  // 'a', 'b'

// A distinct identifier per parameter of the class, valid in Swift and C++.
std::map<std::string, std::string> member_names(const spec::validation::ClassBinding& binding);

}  // namespace mlconv::cli::scaffold
