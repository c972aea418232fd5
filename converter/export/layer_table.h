// The built-in op -> layer table: data, one row per ONNX op, read by the rules
// engine as the rules that follow every user rule.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "converter/rules/rule.h"

namespace mlconv::converter {

class LayerBuilder;

// A row may have two build functions: `build` writes rank-5 (classic, iOS 11-12)
// layers, `build_nd` writes layers for an exact-shape N-d network (iOS 13). The
// exporter uses the classic ones when every node has one and the graph fits rank 5,
// the N-d ones otherwise. Either may be null (the op has no mapping of that kind).
struct LayerMapping {
  std::string_view op_type;
  std::string_view domain;        // "" = default ONNX domain
  std::string_view layer_summary; // the Core ML layers written, for reports: "convolution", "activation (ELU) + multiply"
  void (*build)(LayerBuilder&) = nullptr;
  std::string_view nd_summary{};  // the layers of the N-d mapping; empty when the same as layer_summary
  void (*build_nd)(LayerBuilder&) = nullptr;

  // What check reports show: the classic layers, else the N-d ones.
  [[nodiscard]] std::string_view summary() const { return build != nullptr || nd_summary.empty() ? layer_summary : nd_summary; }
};

std::span<const LayerMapping> builtin_layer_mappings();

// One rule per table row, in table order, with origin "built-in".
std::vector<Rule> builtin_rules();

}  // namespace mlconv::converter
