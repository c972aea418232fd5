// Pieces shared by the recurrent kernels (simpleRecurrent, gru in recurrent.cc; the LSTMs in
// recurrent_lstm.cc): gate activations, the [Seq, Batch, vector] reading of a rank-5 sequence
// blob, initial states, stacked gate matrices and the one-GEMM projection of a whole sequence.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "executor/kernel.h"
#include "executor/kernel_registry.h"
#include "executor/layer_weights.h"

namespace mlconv::exec::recurrent {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

// One of the activations the spec allows in recurrent layers.
struct GateActivation {
  enum class Kind { linear, sigmoid, tanh, relu, scaled_tanh, sigmoid_hard };
  Kind kind = Kind::sigmoid;
  float alpha = 1.0F;
  float beta = 0.0F;

  // In place on n values; gate pre-activations are first clipped to [-50, 50] as the spec says.
  void apply_clipped(float* values, std::int64_t n) const;
  // Without the clip: for h(c), whose argument the cell clip already bounds.
  void apply(float* values, std::int64_t n) const;
};

// Reads one ActivationParams; `field` names it in errors ("activations[1]").
GateActivation gate_activation(const CoreML::Specification::ActivationParams& params, const std::string& field);
// Reads a list that must hold exactly `expected` entries (e.g. GRU's [f, g]).
std::vector<GateActivation> gate_activations(
    const google::protobuf::RepeatedPtrField<CoreML::Specification::ActivationParams>& list, int expected,
    const std::string& field, const std::string& meaning);

// The layer's vector sizes as signed counts, checked to be positive and small enough to index.
std::int64_t vector_size(std::uint64_t value, const char* field);

// A sequence blob [Seq, Batch, C, H, W] read as Seq x Batch vectors of C*H*W values.
struct Sequence {
  std::int64_t steps = 0;
  std::int64_t batch = 0;
};
Sequence read_sequence(const Tensor& input, std::int64_t input_size);

// [steps, batch, size, 1, 1]
Shape sequence_shape(std::int64_t steps, std::int64_t batch, std::int64_t size);

// Copies the optional state input `index` into dst (batch * hidden values), or zeros when the
// layer has fewer inputs; `what` names the state in errors ("initial h").
void initial_state(std::span<const Tensor* const> inputs, std::size_t index, const char* what, std::int64_t batch,
                   std::int64_t hidden, float* dst);

// Gate matrices (each [rows, cols] row-major) stacked one under the other: [gates * rows, cols].
RowMatrix stack_matrices(const LayerWeights& weights, const std::vector<std::string>& fields, std::int64_t rows,
                         std::int64_t cols);
// Gate vectors of `size` values concatenated; zeros for every gate when `present` is false.
std::vector<float> stack_vectors(const LayerWeights& weights, const std::vector<std::string>& fields, std::int64_t size,
                                 bool present);

// out[rows, W.rows()] = x[rows, W.cols()] * W^T + bias, rows split across the pool. This is the
// input half of every gate for the whole sequence at once; the steps then only add R * h.
void project_inputs(const float* x, std::int64_t rows, const RowMatrix& w, const std::vector<float>& bias, float* out,
                    ThreadPool& pool);

// Checks the output count against what the layer type defines (the spec lists them all; fewer
// outputs are accepted and the missing states are simply not written).
void check_counts(const Layer& layer, int max_inputs, int max_outputs, const char* inputs_meaning,
                  const char* outputs_meaning);

void register_lstm_kernels(KernelRegistry& registry);

}  // namespace mlconv::exec::recurrent
