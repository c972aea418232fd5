// The LSTM kernels of the recurrent family: uniDirectionalLSTM and biDirectionalLSTM. Both run
// the same one-direction recurrence; the bidirectional layer projects the sequence through
// both directions' input matrices in one GEMM and runs the two directions side by side.
#include <algorithm>
#include <array>
#include <cmath>

#include "executor/kernels/recurrent_common.h"
#include "spec/error.h"

namespace mlconv::exec::recurrent {
namespace {

using LSTMParams = CoreML::Specification::LSTMParams;

// What both directions share: sizes and LSTMParams.
struct LstmSettings {
  std::int64_t input = 0;
  std::int64_t hidden = 0;
  bool sequence_output = false;
  bool coupled = false;
  float cell_clip = 50.0F;
};

LstmSettings read_settings(std::uint64_t input, std::uint64_t hidden, const LSTMParams& params) {
  LstmSettings s;
  s.input = vector_size(input, "inputVectorSize");
  s.hidden = vector_size(hidden, "outputVectorSize");
  s.sequence_output = params.sequenceoutput();
  s.coupled = params.coupledinputandforgetgate();
  // forgetBias is deliberately not read: Core ML adds nothing at run time (see recurrent.md).
  const float clip = params.cellclipthreshold();
  if (!std::isfinite(clip) || clip < 0.0F)
    throw Error("params.cellClipThreshold is " + std::to_string(clip) +
                "; expected 0 (meaning 50) or a positive value");
  s.cell_clip = clip == 0.0F ? 50.0F : clip;
  return s;
}

// One direction's weights, gates packed in the spec's order [i, f, z, o].
struct LstmDirection {
  RowMatrix w;                                // [4h, input]
  RowMatrix r;                                // [4h, h]
  std::vector<float> bias;                    // [4h]
  std::vector<float> peephole;                // [p_i, p_f, p_o], [3h]; empty without peepholes
  std::array<GateActivation, 3> activations;  // f (gates), g (block input), h (cell output)
};

LstmDirection read_direction(const LayerWeights& weights, const std::string& prefix, const LSTMParams& params,
                             const LstmSettings& s, const std::vector<GateActivation>& activations) {
  LstmDirection d;
  const std::string p = prefix + ".";
  d.w = stack_matrices(weights,
                       {p + "inputGateWeightMatrix", p + "forgetGateWeightMatrix", p + "blockInputWeightMatrix",
                        p + "outputGateWeightMatrix"},
                       s.hidden, s.input);
  d.r = stack_matrices(weights,
                       {p + "inputGateRecursionMatrix", p + "forgetGateRecursionMatrix",
                        p + "blockInputRecursionMatrix", p + "outputGateRecursionMatrix"},
                       s.hidden, s.hidden);
  d.bias = stack_vectors(
      weights,
      {p + "inputGateBiasVector", p + "forgetGateBiasVector", p + "blockInputBiasVector", p + "outputGateBiasVector"},
      s.hidden, params.hasbiasvectors());
  if (params.haspeepholevectors())
    d.peephole = stack_vectors(
        weights, {p + "inputGatePeepholeVector", p + "forgetGatePeepholeVector", p + "outputGatePeepholeVector"},
        s.hidden, true);
  std::copy(activations.begin(), activations.end(), d.activations.begin());
  return d;
}

// Runs one direction over the sequence. `projected` holds W x + b for every (time, batch) row,
// this direction's 4h values at column `column` of rows `stride` wide. `h` and `c` hold the
// initial state on entry and the final one on return. With sequence output, the output of
// step k goes to y's position k (`aligned` false: processing order) or to its input time
// (`aligned` true: bidirectional layers), `y_width` values per row starting at `y_column`.
void run_direction(const LstmDirection& d, const LstmSettings& s, const float* projected, std::int64_t stride,
                   std::int64_t column, std::int64_t steps, std::int64_t batch, bool reverse, bool aligned, float* h,
                   float* c, float* y, std::int64_t y_width, std::int64_t y_column) {
  const std::int64_t n = s.hidden;
  const GateActivation& f = d.activations[0];
  const GateActivation& g = d.activations[1];
  const GateActivation& out = d.activations[2];
  const bool peephole = !d.peephole.empty();
  const float* p_i = peephole ? d.peephole.data() : nullptr;
  const float* p_f = peephole ? d.peephole.data() + n : nullptr;
  const float* p_o = peephole ? d.peephole.data() + 2 * n : nullptr;
  MatrixMap state(h, batch, n);
  RowMatrix gates(batch, 4 * n);
  std::vector<float> cell_out(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = reverse ? steps - 1 - k : k;
    for (std::int64_t b = 0; b < batch; ++b) {
      const float* source = projected + (t * batch + b) * stride + column;
      std::copy(source, source + 4 * n, gates.data() + b * 4 * n);
    }
    gates.noalias() += state * d.r.transpose();
    for (std::int64_t b = 0; b < batch; ++b) {
      float* gi = gates.data() + b * 4 * n;
      float* gf = gi + n;
      float* gz = gi + 2 * n;
      float* go = gi + 3 * n;
      float* cell = c + b * n;
      if (peephole) {
        for (std::int64_t j = 0; j < n; ++j) gi[j] += p_i[j] * cell[j];
        for (std::int64_t j = 0; j < n; ++j) gf[j] += p_f[j] * cell[j];
      }
      f.apply_clipped(gi, s.coupled ? n : 2 * n);
      g.apply_clipped(gz, n);
      if (s.coupled) {
        for (std::int64_t j = 0; j < n; ++j) cell[j] = cell[j] * (1.0F - gi[j]) + gi[j] * gz[j];
      } else {
        for (std::int64_t j = 0; j < n; ++j) cell[j] = cell[j] * gf[j] + gi[j] * gz[j];
      }
      for (std::int64_t j = 0; j < n; ++j) cell[j] = std::clamp(cell[j], -s.cell_clip, s.cell_clip);
      if (peephole)
        for (std::int64_t j = 0; j < n; ++j) go[j] += p_o[j] * cell[j];
      f.apply_clipped(go, n);
      std::copy(cell, cell + n, cell_out.begin());
      out.apply(cell_out.data(), n);
      float* hidden = h + b * n;
      for (std::int64_t j = 0; j < n; ++j) hidden[j] = go[j] * cell_out[static_cast<std::size_t>(j)];
    }
    if (s.sequence_output) {
      const std::int64_t position = aligned ? t : k;
      for (std::int64_t b = 0; b < batch; ++b)
        std::copy(h + b * n, h + (b + 1) * n, y + (position * batch + b) * y_width + y_column);
    }
  }
  if (!s.sequence_output)
    for (std::int64_t b = 0; b < batch; ++b) std::copy(h + b * n, h + (b + 1) * n, y + b * y_width + y_column);
}

void write_state(Tensor* output, std::int64_t batch, const std::vector<float>& values) {
  output->resize(sequence_shape(1, batch, static_cast<std::int64_t>(values.size()) / batch));
  std::copy(values.begin(), values.end(), output->data());
}

class UniLstmKernel final : public Kernel {
 public:
  explicit UniLstmKernel(const Layer& layer) {
    const auto& p = layer.unidirectionallstm();
    check_counts(layer, 3, 3, "[x, initial h, initial c]", "[y, final h, final c]");
    settings_ = read_settings(p.inputvectorsize(), p.outputvectorsize(), p.params());
    reverse_ = p.reverseinput();
    const auto activations = gate_activations(p.activations(), 3, "activations",
                                              "[f for the gates, g for the block input, h for the cell output]");
    direction_ = read_direction(LayerWeights(layer), "weightParams", p.params(), settings_, activations);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const auto [steps, batch] = read_sequence(*inputs[0], settings_.input);
    const std::int64_t n = settings_.hidden;
    std::vector<float> projected(static_cast<std::size_t>(steps * batch * 4 * n));
    project_inputs(inputs[0]->data(), steps * batch, direction_.w, direction_.bias, projected.data(), *ctx.pool);
    std::vector<float> h(static_cast<std::size_t>(batch * n));
    std::vector<float> c(h.size());
    initial_state(inputs, 1, "initial h", batch, n, h.data());
    initial_state(inputs, 2, "initial c", batch, n, c.data());
    Tensor& y = *outputs[0];
    y.resize(sequence_shape(settings_.sequence_output ? steps : 1, batch, n));
    run_direction(direction_, settings_, projected.data(), 4 * n, 0, steps, batch, reverse_, false, h.data(), c.data(),
                  y.data(), n, 0);
    if (outputs.size() > 1) write_state(outputs[1], batch, h);
    if (outputs.size() > 2) write_state(outputs[2], batch, c);
  }

 private:
  LstmSettings settings_;
  bool reverse_ = false;
  LstmDirection direction_;
};

// Output row at time t: [forward output after x_0..x_t, backward output after x_{T-1}..x_t].
class BiLstmKernel final : public Kernel {
 public:
  explicit BiLstmKernel(const Layer& layer) {
    const auto& p = layer.bidirectionallstm();
    check_counts(layer, 5, 5, "[x, initial h, initial c, initial h (backward), initial c (backward)]",
                 "[y, final h, final c, final h (backward), final c (backward)]");
    settings_ = read_settings(p.inputvectorsize(), p.outputvectorsize(), p.params());
    const char* meaning = "[f for the gates, g for the block input, h for the cell output]";
    const auto forward = gate_activations(p.activationsforwardlstm(), 3, "activationsForwardLSTM", meaning);
    // The spec requires equal lists; an empty backward list is read as "same as forward".
    const auto backward = p.activationsbackwardlstm().empty()
                              ? forward
                              : gate_activations(p.activationsbackwardlstm(), 3, "activationsBackwardLSTM", meaning);
    if (p.weightparams_size() != 2)
      throw Error("weightParams holds " + std::to_string(p.weightparams_size()) +
                  " weight sets; expected 2 (forward, backward)");
    const LayerWeights weights(layer);
    forward_ = read_direction(weights, "weightParams[0]", p.params(), settings_, forward);
    backward_ = read_direction(weights, "weightParams[1]", p.params(), settings_, backward);
    both_w_.resize(forward_.w.rows() * 2, forward_.w.cols());
    both_w_ << forward_.w, backward_.w;
    both_bias_ = forward_.bias;
    both_bias_.insert(both_bias_.end(), backward_.bias.begin(), backward_.bias.end());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    // Plain variables: clang 14 cannot capture a structured binding in a lambda.
    const auto sequence = read_sequence(*inputs[0], settings_.input);
    const std::int64_t steps = sequence.steps;
    const std::int64_t batch = sequence.batch;
    const std::int64_t n = settings_.hidden;
    std::vector<float> projected(static_cast<std::size_t>(steps * batch * 8 * n));
    project_inputs(inputs[0]->data(), steps * batch, both_w_, both_bias_, projected.data(), *ctx.pool);
    std::array<std::vector<float>, 4> states;  // h, c forward; h, c backward
    const char* names[4] = {"initial h", "initial c", "initial h (backward)", "initial c (backward)"};
    for (std::size_t i = 0; i < 4; ++i) {
      states[i].resize(static_cast<std::size_t>(batch * n));
      initial_state(inputs, i + 1, names[i], batch, n, states[i].data());
    }
    Tensor& y = *outputs[0];
    y.resize(sequence_shape(settings_.sequence_output ? steps : 1, batch, 2 * n));
    // The directions are independent until the output, and write disjoint halves of y.
    ctx.pool->parallel_for(2, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t which = begin; which < end; ++which) {
        const bool back = which == 1;
        run_direction(back ? backward_ : forward_, settings_, projected.data(), 8 * n, back ? 4 * n : 0, steps, batch,
                      back, true, states[back ? 2 : 0].data(), states[back ? 3 : 1].data(), y.data(), 2 * n,
                      back ? n : 0);
      }
    });
    for (std::size_t i = 1; i < outputs.size(); ++i) write_state(outputs[i], batch, states[i - 1]);
  }

 private:
  LstmSettings settings_;
  LstmDirection forward_;
  LstmDirection backward_;
  RowMatrix both_w_;  // [forward W; backward W], [8h, input]
  std::vector<float> both_bias_;
};

}  // namespace

void register_lstm_kernels(KernelRegistry& registry) {
  registry.add(Layer::kUniDirectionalLSTM, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<UniLstmKernel>(layer);
  });
  registry.add(Layer::kBiDirectionalLSTM, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<BiLstmKernel>(layer);
  });
}

}  // namespace mlconv::exec::recurrent
