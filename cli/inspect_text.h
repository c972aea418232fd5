// The text view of an inspect report: what a person reads in a terminal.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace mlconv::cli {

struct InspectTextOptions {
  bool layers = false;   // one line per layer
  bool weights = false;  // per-blob statistics
  std::size_t max_labels = 8;
};

void render_inspect_text(const nlohmann::ordered_json& report, const InspectTextOptions& options, std::ostream& out);

// 1234567 -> "1,234,567"; 1536 bytes -> "1.5 kB"
std::string group_thousands(std::uint64_t value);
std::string human_bytes(std::uint64_t bytes);

}  // namespace mlconv::cli
