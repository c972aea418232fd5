// Per-layer shape rules used by infer_shapes (shape_inference.cc): given the
// input shapes of one layer, its output shapes, and the contradictions seen.
// Internal to spec/validation.
#pragma once

#include <string>
#include <vector>

#include "spec/validation/shape_inference.h"

namespace mlconv::spec::shape_rules {

struct LayerShapes {
  const CoreML::Specification::NeuralNetworkLayer& layer;
  const std::string& where;
  std::vector<MaybeShape> inputs;  // parallel to layer.input()
  bool nd;                         // N-d interpretation; otherwise every blob is rank 5
  std::vector<ShapeIssue>& issues;

  void issue(ShapeIssue::Kind kind, std::string message, std::string hint) const {
    issues.push_back(ShapeIssue{kind, where, &layer, std::move(message), std::move(hint)});
  }
};

// Output shapes parallel to layer.output(); nullopt for what the rules cannot
// tell (unknown layer types, custom layers, unknown inputs).
std::vector<MaybeShape> infer_layer(const LayerShapes& in);

// Number of elements, or unknown_dim when a dimension is unknown (or the product overflows).
std::int64_t element_count(const Shape& shape);

// Elements of a Python-style start:end:stride slice of an axis of length len
// (negative indices count from the end; masked ends take the whole axis);
// unknown_dim when len is unknown or the stride is not positive.
std::int64_t slice_length(std::int64_t len, std::int64_t start, std::int64_t end, std::int64_t stride,
                          bool start_masked, bool end_masked);

}  // namespace mlconv::spec::shape_rules
