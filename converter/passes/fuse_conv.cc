// Fusions after a Conv with constant weights, each its own pass:
//   "conv-bn"   Conv -> BatchNormalization (inference): W'[m] = W[m] * s[m],
//               b'[m] = (b[m] - mean[m]) * s[m] + beta[m], s = gamma / sqrt(var + eps);
//   "conv-mul"  Conv -> Mul by a per-channel constant d: W'[m] = W[m] * d[m], b' = b * d;
//   "conv-add"  Conv -> Add of a per-channel constant d: b' = b + d.
// Only when the Conv's output feeds that one node; new weights are computed in double
// and stored as float32, so results move by float rounding only.
#include <cmath>
#include <set>

#include "converter/passes/fusion_support.h"

namespace mlconv::converter {
namespace {

struct ConvWeights {
  std::vector<std::int64_t> dims;  // W's dims; dims[0] is the output channel count M
  std::vector<double> weights;
  std::vector<double> bias;  // M values, zeros when the Conv has none
};

std::optional<ConvWeights> conv_weights(const Node& conv) {
  const Value* w = conv.input(1);
  const auto weights = float_constant(w);
  if (!weights || w->constant->dims.size() < 3) return std::nullopt;
  ConvWeights out{w->constant->dims, *weights, std::vector<double>(static_cast<std::size_t>(w->constant->dims[0]), 0.0)};
  if (const Value* b = conv.input(2)) {
    const auto bias = float_constant(b);
    if (!bias || bias->size() != out.bias.size()) return std::nullopt;
    out.bias = *bias;
  }
  return out;
}

void write_back(Graph& graph, Node& conv, const ConvWeights& fused) {
  replace_input_with_constant(graph, conv, 1, "W", fused.dims, fused.weights);
  replace_input_with_constant(graph, conv, 2, "B", {fused.dims[0]}, fused.bias);
}

void scale_channels(ConvWeights& conv, const std::vector<double>& scale) {
  const std::size_t per_channel = conv.weights.size() / conv.bias.size();
  for (std::size_t m = 0; m < conv.bias.size(); ++m) {
    for (std::size_t k = 0; k < per_channel; ++k) conv.weights[m * per_channel + k] *= scale[m];
  }
}

// Runs `fuse` on every Conv followed by a `follower_op` node; `fuse` returns false
// when the follower's parameters do not allow it.
template <typename Fuse>
bool fuse_after_conv(Graph& graph, std::string_view follower_op, Fuse&& fuse) {
  bool changed = false;
  std::set<const Node*> removed;  // followers taken over; they may come later in the order
  for (Node* conv : graph.topological_order()) {
    if (removed.contains(conv) || !is_onnx_op(*conv, "Conv") || conv->outputs.size() != 1) continue;
    Node* follower = sole_reader(graph, *conv, follower_op);
    if (follower == nullptr) continue;
    auto weights = conv_weights(*conv);
    if (!weights || !fuse(*conv->outputs[0], *follower, *weights)) continue;
    write_back(graph, *conv, *weights);
    removed.insert(follower);
    take_over_output(graph, *conv, *follower);
    changed = true;
  }
  return changed;
}

}  // namespace

bool fuse_conv_batchnorm(Graph& graph) {
  return fuse_after_conv(graph, "BatchNormalization", [&](const Value& x, const Node& bn, ConvWeights& conv) {
    const Attribute* training = bn.find_attribute("training_mode");
    if (bn.input(0) != &x || bn.outputs.size() != 1 || (training != nullptr && training->as_int() != 0)) return false;
    const auto channels = static_cast<std::int64_t>(conv.bias.size());
    std::vector<std::vector<double>> params;  // gamma, beta, mean, var
    for (std::size_t i = 1; i <= 4; ++i) {
      const auto values = per_axis_constant(bn.input(i), 0, 1, channels);
      if (!values) return false;
      params.push_back(*values);
    }
    const Attribute* epsilon_attribute = bn.find_attribute("epsilon");
    // BatchNormalization computes in the input's float type; eps is a float attribute.
    const double epsilon = epsilon_attribute != nullptr ? epsilon_attribute->as_float() : 1e-5;
    std::vector<double> scale(conv.bias.size());
    for (std::size_t m = 0; m < scale.size(); ++m) {
      scale[m] = params[0][m] / std::sqrt(params[3][m] + epsilon);
      conv.bias[m] = (conv.bias[m] - params[2][m]) * scale[m] + params[1][m];
    }
    scale_channels(conv, scale);
    return true;
  });
}

bool fuse_conv_mul(Graph& graph) {
  return fuse_after_conv(graph, "Mul", [&](const Value& x, const Node& mul, ConvWeights& conv) {
    const auto scale = per_axis_constant(other_input(mul, &x), 1, conv.dims.size(), static_cast<std::int64_t>(conv.bias.size()));
    if (!scale) return false;
    scale_channels(conv, *scale);
    for (std::size_t m = 0; m < conv.bias.size(); ++m) conv.bias[m] *= (*scale)[m];
    return true;
  });
}

bool fuse_conv_add(Graph& graph) {
  return fuse_after_conv(graph, "Add", [&](const Value& x, const Node& add, ConvWeights& conv) {
    const auto shift = per_axis_constant(other_input(add, &x), 1, conv.dims.size(), static_cast<std::int64_t>(conv.bias.size()));
    if (!shift) return false;
    for (std::size_t m = 0; m < conv.bias.size(); ++m) conv.bias[m] += (*shift)[m];
    return true;
  });
}

}  // namespace mlconv::converter
