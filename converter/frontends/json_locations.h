// Line numbers for JSON pointers. nlohmann::json keeps no positions, yet every
// message about a graph or rules file should say "file.json:42"; this scanner walks
// the (already validated) text once and records where each value starts.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mlconv::converter {

class JsonLocations {
 public:
  JsonLocations() = default;
  // `text` must be valid JSON (parse it with nlohmann first).
  JsonLocations(std::string file, std::string_view text);

  // The 1-based line where the value at `pointer` starts; the nearest recorded
  // ancestor's line when the pointer is not in the map; 0 when nothing matches.
  [[nodiscard]] int line(const std::string& pointer) const;
  // "file:line" for a pointer.
  [[nodiscard]] std::string where(const std::string& pointer) const;
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, int> lines_;
};

// Parses JSON text; a syntax error becomes mlconv::Error "file:line: invalid JSON: ...".
nlohmann::json parse_json_text(const std::string& file, std::string_view text);

// Appends an escaped reference token to a pointer: ("/nodes", 3) -> "/nodes/3".
std::string pointer_child(const std::string& pointer, std::string_view key);
std::string pointer_child(const std::string& pointer, std::size_t index);

}  // namespace mlconv::converter
