// The gate reordering of recurrent_weights.h. ONNX gate blocks: LSTM i, o, f, c;
// GRU z, r, h; RNN one block. Core ML wants LSTM input, forget, block input (c), output;
// GRU update (z), reset (r), output (h).
#include "converter/export/recurrent_weights.h"

#include <array>

namespace mlconv::converter {
namespace {

// For each Core ML gate, the ONNX block it comes from.
std::span<const std::int64_t> onnx_block_of_gate(RecurrentOp op) {
  static constexpr std::array<std::int64_t, 1> rnn{0};
  static constexpr std::array<std::int64_t, 3> gru{0, 1, 2};
  static constexpr std::array<std::int64_t, 4> lstm{0, 2, 3, 1};
  switch (op) {
    case RecurrentOp::rnn: return rnn;
    case RecurrentOp::gru: return gru;
    case RecurrentOp::lstm: return lstm;
  }
  return rnn;
}

std::vector<float> block(std::span<const float> values, std::int64_t offset, std::int64_t count) {
  const auto first = values.begin() + offset;
  return {first, first + count};
}

}  // namespace

std::int64_t recurrent_gate_count(RecurrentOp op) { return static_cast<std::int64_t>(onnx_block_of_gate(op).size()); }

RecurrentGateWeights recurrent_gate_weights(RecurrentOp op, std::span<const float> w, std::span<const float> r,
                                            std::span<const float> b, std::span<const float> p, std::int64_t direction,
                                            std::int64_t hidden, std::int64_t input) {
  const std::int64_t gates = recurrent_gate_count(op);
  RecurrentGateWeights out;
  for (const std::int64_t source : onnx_block_of_gate(op)) {
    const std::int64_t row = direction * gates * hidden + source * hidden;
    out.input_matrices.push_back(block(w, row * input, hidden * input));
    out.recursion_matrices.push_back(block(r, row * hidden, hidden * hidden));
    if (!b.empty()) {
      // B[d] is [Wb (gates*h), Rb (gates*h)]; Core ML has one bias per gate, their sum.
      const std::int64_t base = direction * 2 * gates * hidden + source * hidden;
      std::vector<float> sum = block(b, base, hidden);
      for (std::int64_t j = 0; j < hidden; ++j) sum[static_cast<std::size_t>(j)] += b[static_cast<std::size_t>(base + gates * hidden + j)];
      out.biases.push_back(std::move(sum));
    }
  }
  if (op == RecurrentOp::lstm && !p.empty()) {
    // P[d] is [p_i, p_o, p_f]; Core ML lists input, forget, output.
    for (const std::int64_t source : {0, 2, 1}) out.peepholes.push_back(block(p, (direction * 3 + source) * hidden, hidden));
  }
  return out;
}

}  // namespace mlconv::converter
