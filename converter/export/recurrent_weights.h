// ONNX LSTM / GRU / RNN weights rearranged for Core ML's recurrent layers: ONNX stacks
// the gates of every direction in one tensor (W [dirs, gates*h, in], R [dirs, gates*h, h],
// B [dirs, 2*gates*h] as input then recurrence biases, P [dirs, 3*h]); Core ML has one
// matrix and one bias vector per gate, in its own gate order. Pure functions, so the
// layout can be tested on its own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mlconv::converter {

enum class RecurrentOp { rnn, gru, lstm };

// One direction's weights in Core ML's gate order: LSTM [input, forget, block input,
// output], GRU [update, reset, output], RNN [the one gate].
struct RecurrentGateWeights {
  std::vector<std::vector<float>> input_matrices;      // per gate, [h, in] row-major
  std::vector<std::vector<float>> recursion_matrices;  // per gate, [h, h] row-major
  std::vector<std::vector<float>> biases;              // per gate, [h]: W bias + R bias; empty without B
  std::vector<std::vector<float>> peepholes;           // LSTM with P: [input, forget, output] gates, [h] each
};

// How many gate blocks ONNX stacks for `op` (RNN 1, GRU 3, LSTM 4).
std::int64_t recurrent_gate_count(RecurrentOp op);

// The weights of `direction` (0 forward, 1 backward). `b` and `p` may be empty (absent).
// Sizes are the caller's to check: w holds dirs*gates*h*in values, r dirs*gates*h*h,
// b dirs*2*gates*h, p dirs*3*h.
RecurrentGateWeights recurrent_gate_weights(RecurrentOp op, std::span<const float> w, std::span<const float> r,
                                            std::span<const float> b, std::span<const float> p, std::int64_t direction,
                                            std::int64_t hidden, std::int64_t input);

}  // namespace mlconv::converter
