// Static shape inference for a neural network: the shape of every blob, from
// the declared inputs through every layer whose rule is known, in the two
// conventions Core ML uses (rank-5 [S, B, C, H, W] for classic networks, true
// N-d shapes once any iOS 13 layer or the exact mappings are in play). What
// cannot be known stays unknown, never guessed: a whole blob (no rank), or one
// dimension (unknown_dim). Validation reports the contradictions it meets;
// bindings and plugins reuse the shapes, and can supply the output shapes of
// custom layers that the model itself cannot state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Model.pb.h"

namespace mlconv::spec {

inline constexpr std::int64_t unknown_dim = -1;

// Dimensions outermost first; unknown_dim where only run time knows the size.
using Shape = std::vector<std::int64_t>;
using MaybeShape = std::optional<Shape>;  // nullopt: not even the rank is known

// "[1, 1, 3, 224, 224]", with "?" for unknown dimensions.
std::string shape_text(const Shape& shape);

// The output shapes of a custom layer given its input shapes (parallel to
// layer.input()); return nullopt, or nullopt entries, for what it cannot tell.
using CustomShapeFunction = std::function<std::optional<std::vector<MaybeShape>>(
    const CoreML::Specification::NeuralNetworkLayer& layer, const std::vector<MaybeShape>& inputs)>;

struct ShapeOptions {
  CustomShapeFunction custom_shapes;  // asked first for every custom layer
};

// A contradiction or a gap found while propagating.
struct ShapeIssue {
  enum class Kind {
    parameters,         // a layer's input does not fit its parameters (channels, kernel, element count)
    inputs,             // a layer's inputs do not fit each other (concat, elementwise)
    per_channel,        // a per-channel weight has neither 1 nor C values
    declared_output,    // a model output is declared with a shape the network cannot produce
    custom_unknown,     // a layer needs a static shape that only a custom layer could state
  };
  Kind kind;
  std::string where;  // layer_where(), or "output 'name'"
  const CoreML::Specification::NeuralNetworkLayer* layer = nullptr;  // null for model outputs
  std::string message;
  std::string hint;
};

struct ShapeInference {
  bool nd = false;  // N-d interpretation (iOS 13 rules) instead of rank 5
  // Every model input and every layer output, those written inside loop and
  // branch bodies included (dimensions that vary between iterations or
  // branches are unknown).
  std::map<std::string, MaybeShape> shapes;
  std::vector<ShapeIssue> issues;
};

// Infers the shapes of a neuralNetwork, neuralNetworkClassifier or
// neuralNetworkRegressor model; an empty result for other model types.
ShapeInference infer_shapes(const CoreML::Specification::Model& model, const ShapeOptions& options = {});

}  // namespace mlconv::spec
