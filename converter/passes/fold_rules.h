// Constant evaluation for "fold-constants": one kernel per op that shape sub-graphs
// and constant preprocessing use (Shape, Gather, Concat, Cast, Slice, arithmetic on
// integers, ...). Numbers are computed as int64 for integer and bool tensors and as
// double for floating ones, then stored in the output's element type.
#pragma once

#include <optional>

#include "converter/passes/shape_rules.h"

namespace mlconv::converter {

// Folding must not turn a small graph into a huge constant (ConstantOfShape, Expand
// or Tile of a large shape).
inline constexpr std::int64_t max_folded_elements = max_generated_elements;

// Thrown by a fold kernel before it allocates a tensor over max_folded_elements: the
// node stays in the graph as a layer. The check must come before the allocation,
// because a shape only known from constant data (ConstantOfShape's input) was not
// inferred, and a hostile model can ask for 2^60 elements.
struct TooLargeToFold {};

class FoldContext : public ShapeContext {
 public:
  using ShapeContext::ShapeContext;
  // Input `i`'s constant data; null when absent or computed.
  [[nodiscard]] const TensorData* constant(std::size_t i) const;
  // Input `i`'s constant data for an input the op requires: an absent one (an empty name
  // in the graph) is an error naming the node, not a null to dereference.
  [[nodiscard]] const TensorData& required(std::size_t i) const;
  // The inferred shape of output 0 when all its sizes are known.
  [[nodiscard]] std::optional<std::vector<std::int64_t>> output_dims() const;
};

struct FoldRule {
  std::string_view op_type;
  // Which inputs must be constant: all present ones, or none (Shape and Size read only
  // the input's static shape).
  bool needs_constant_inputs;
  // The folded output 0, or nullopt when this node cannot be folded after all.
  std::optional<TensorData> (*fold)(FoldContext& context);
};

const FoldRule* find_fold_rule(const Node& node);

}  // namespace mlconv::converter
