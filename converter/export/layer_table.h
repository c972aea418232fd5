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

struct LayerMapping {
  std::string_view op_type;
  std::string_view domain;        // "" = default ONNX domain
  std::string_view layer_summary; // the Core ML layers written, for reports: "convolution", "activation (ELU) + multiply"
  void (*build)(LayerBuilder&);
};

std::span<const LayerMapping> builtin_layer_mappings();

// One rule per table row, in table order, with origin "built-in".
std::vector<Rule> builtin_rules();

}  // namespace mlconv::converter
