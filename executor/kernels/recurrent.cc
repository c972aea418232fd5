// Kernels of the recurrent family: simpleRecurrent and gru here, the LSTMs in recurrent_lstm.cc,
// plus the helpers they share (recurrent_common.h). Every layer projects the whole input
// sequence through its input matrices in one GEMM, then walks the steps adding R * h.
// Semantics and the choices made where the spec is silent: docs/executor/recurrent.md.
#include <algorithm>
#include <cmath>
#include <limits>

#include "executor/kernels/recurrent_common.h"
#include "executor/simd/vector_math.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace recurrent {

namespace {

// After the last step: the output holds the final state unless it holds every
// step, and the optional second output is the final state too.
void write_final_state(const float* state, std::int64_t batch, std::int64_t h, bool sequence_output,
                       std::span<Tensor* const> outputs) {
  if (!sequence_output) std::copy(state, state + batch * h, outputs[0]->data());
  if (outputs.size() > 1) {
    outputs[1]->resize(sequence_shape(1, batch, h));
    std::copy(state, state + batch * h, outputs[1]->data());
  }
}

constexpr float kGateClip = 50.0F;

using ActivationParams = CoreML::Specification::ActivationParams;

std::string activation_case_name(const ActivationParams& params) {
  const auto* field = ActivationParams::descriptor()->FindFieldByNumber(params.NonlinearityType_case());
  return field == nullptr ? "unset" : field->name();
}

}  // namespace

void GateActivation::apply_clipped(float* values, std::int64_t n) const {
  for (std::int64_t i = 0; i < n; ++i) values[i] = std::clamp(values[i], -kGateClip, kGateClip);
  apply(values, n);
}

void GateActivation::apply(float* values, std::int64_t n) const {
  switch (kind) {
    case Kind::linear:
      for (std::int64_t i = 0; i < n; ++i) values[i] = alpha * values[i] + beta;
      break;
    case Kind::sigmoid:
      for (std::int64_t i = 0; i < n; ++i) values[i] = simd::vector_sigmoid(values[i]);
      break;
    case Kind::tanh:
      for (std::int64_t i = 0; i < n; ++i) values[i] = std::tanh(values[i]);
      break;
    case Kind::relu:
      for (std::int64_t i = 0; i < n; ++i) values[i] = std::max(values[i], 0.0F);
      break;
    case Kind::scaled_tanh:
      for (std::int64_t i = 0; i < n; ++i) values[i] = alpha * std::tanh(beta * values[i]);
      break;
    case Kind::sigmoid_hard:
      for (std::int64_t i = 0; i < n; ++i) values[i] = std::clamp(alpha * values[i] + beta, 0.0F, 1.0F);
      break;
  }
}

GateActivation gate_activation(const ActivationParams& params, const std::string& field) {
  using Kind = GateActivation::Kind;
  GateActivation result;
  // Converters write linear, scaledTanh and sigmoidHard with empty messages (alpha = beta = 0),
  // and Core ML then computes x, tanh(x) and clamp(0.2 x + 0.5, 0, 1): an all-zero parameter
  // pair means the default, any other pair is used as stored.
  auto parameters = [&](float alpha, float beta, float default_alpha, float default_beta) {
    const bool unset = alpha == 0.0F && beta == 0.0F;
    result.alpha = unset ? default_alpha : alpha;
    result.beta = unset ? default_beta : beta;
  };
  switch (params.NonlinearityType_case()) {
    case ActivationParams::kLinear:
      result.kind = Kind::linear;
      parameters(params.linear().alpha(), params.linear().beta(), 1.0F, 0.0F);
      break;
    case ActivationParams::kSigmoid:
      result.kind = Kind::sigmoid;
      break;
    case ActivationParams::kTanh:
      result.kind = Kind::tanh;
      break;
    case ActivationParams::kReLU:
      result.kind = Kind::relu;
      break;
    case ActivationParams::kScaledTanh:
      result.kind = Kind::scaled_tanh;
      parameters(params.scaledtanh().alpha(), params.scaledtanh().beta(), 1.0F, 1.0F);
      break;
    case ActivationParams::kSigmoidHard:
      result.kind = Kind::sigmoid_hard;
      parameters(params.sigmoidhard().alpha(), params.sigmoidhard().beta(), 0.2F, 0.5F);
      break;
    case ActivationParams::NONLINEARITYTYPE_NOT_SET:
      throw Error(field +
                  " is not set; recurrent layers need one of linear, sigmoid, tanh, ReLU, scaledTanh, sigmoidHard");
    default:
      throw Error(field + " is " + activation_case_name(params) +
                  "; recurrent layers support only linear, sigmoid, tanh, ReLU, scaledTanh and sigmoidHard");
  }
  if (!std::isfinite(result.alpha) || !std::isfinite(result.beta))
    throw Error(field + " has a non-finite alpha or beta");
  return result;
}

std::vector<GateActivation> gate_activations(const google::protobuf::RepeatedPtrField<ActivationParams>& list,
                                             int expected, const std::string& field, const std::string& meaning) {
  if (list.size() != expected)
    throw Error(field + " holds " + std::to_string(list.size()) + " activations; expected " + std::to_string(expected) +
                " " + meaning);
  std::vector<GateActivation> result;
  for (int i = 0; i < list.size(); ++i)
    result.push_back(gate_activation(list[i], field + "[" + std::to_string(i) + "]"));
  return result;
}

std::int64_t vector_size(std::uint64_t value, const char* field) {
  // A bound far above any real layer keeps every product of two sizes inside int64.
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 24;
  if (value == 0 || value > kLimit)
    throw Error(std::string(field) + " is " + std::to_string(value) + "; expected 1 to " + std::to_string(kLimit));
  return static_cast<std::int64_t>(value);
}

Sequence read_sequence(const Tensor& input, std::int64_t input_size) {
  if (input.rank() != 5)
    throw Error("the input must be a rank-5 sequence [Seq, Batch, inputVectorSize, 1, 1]; got " +
                shape_to_string(input.shape()));
  const Shape& shape = input.shape();
  const std::int64_t vector = shape[2] * shape[3] * shape[4];
  if (vector != input_size)
    throw Error("the input " + shape_to_string(shape) + " holds vectors of " + std::to_string(vector) +
                " values (C * H * W); inputVectorSize is " + std::to_string(input_size));
  if (shape[0] == 0 || shape[1] == 0)
    throw Error("the input " + shape_to_string(shape) + " is empty; a sequence needs at least one step and batch item");
  return {shape[0], shape[1]};
}

Shape sequence_shape(std::int64_t steps, std::int64_t batch, std::int64_t size) { return {steps, batch, size, 1, 1}; }

void initial_state(std::span<const Tensor* const> inputs, std::size_t index, const char* what, std::int64_t batch,
                   std::int64_t hidden, float* dst) {
  if (index >= inputs.size()) {
    std::fill(dst, dst + batch * hidden, 0.0F);
    return;
  }
  const Tensor& state = *inputs[index];
  if (state.size() != batch * hidden)
    throw Error(std::string(what) + " (input " + std::to_string(index) + ") has shape " +
                shape_to_string(state.shape()) + "; expected " + std::to_string(batch * hidden) + " values, [1, " +
                std::to_string(batch) + ", " + std::to_string(hidden) + ", 1, 1]");
  std::copy(state.data(), state.data() + state.size(), dst);
}

RowMatrix stack_matrices(const LayerWeights& weights, const std::vector<std::string>& fields, std::int64_t rows,
                         std::int64_t cols) {
  RowMatrix stacked(static_cast<Eigen::Index>(rows * static_cast<std::int64_t>(fields.size())), cols);
  for (std::size_t g = 0; g < fields.size(); ++g) {
    const std::vector<float> values = weights.get(fields[g], rows * cols);
    std::copy(values.begin(), values.end(), stacked.data() + static_cast<std::int64_t>(g) * rows * cols);
  }
  return stacked;
}

std::vector<float> stack_vectors(const LayerWeights& weights, const std::vector<std::string>& fields, std::int64_t size,
                                 bool present) {
  std::vector<float> stacked(fields.size() * static_cast<std::size_t>(size), 0.0F);
  if (!present) return stacked;
  for (std::size_t g = 0; g < fields.size(); ++g) {
    const std::vector<float> values = weights.get(fields[g], size);
    std::copy(values.begin(), values.end(), stacked.begin() + static_cast<std::ptrdiff_t>(g) * size);
  }
  return stacked;
}

void project_inputs(const float* x, std::int64_t rows, const RowMatrix& w, const std::vector<float>& bias, float* out,
                    ThreadPool& pool) {
  const std::int64_t cols = w.cols();
  const std::int64_t width = w.rows();
  // Chunks of at least ~64k multiply-adds keep the pool's overhead negligible.
  const std::int64_t min_chunk =
      std::max<std::int64_t>(1, (std::int64_t{1} << 16) / std::max<std::int64_t>(1, cols * width));
  pool.parallel_for(rows, min_chunk, [&](std::int64_t begin, std::int64_t end) {
    const ConstMatrixMap in(x + begin * cols, end - begin, cols);
    MatrixMap result(out + begin * width, end - begin, width);
    result.noalias() = in * w.transpose();
    result.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), width);
  });
}

void check_counts(const Layer& layer, int max_inputs, int max_outputs, const char* inputs_meaning,
                  const char* outputs_meaning) {
  if (layer.input_size() < 1 || layer.input_size() > max_inputs)
    throw Error("takes 1 to " + std::to_string(max_inputs) + " inputs " + inputs_meaning + "; the layer has " +
                std::to_string(layer.input_size()));
  if (layer.output_size() < 1 || layer.output_size() > max_outputs)
    throw Error("produces 1 to " + std::to_string(max_outputs) + " outputs " + outputs_meaning + "; the layer has " +
                std::to_string(layer.output_size()));
}

namespace {

// The input's time index at processing step k.
std::int64_t time_at(std::int64_t k, std::int64_t steps, bool reverse) { return reverse ? steps - 1 - k : k; }

// y_t = f(clip(W x_t + R y_{t-1} + b))
class SimpleRecurrentKernel final : public Kernel {
 public:
  explicit SimpleRecurrentKernel(const Layer& layer) {
    const auto& p = layer.simplerecurrent();
    check_counts(layer, 2, 2, "[x, initial h]", "[y, final h]");
    input_ = vector_size(p.inputvectorsize(), "inputVectorSize");
    hidden_ = vector_size(p.outputvectorsize(), "outputVectorSize");
    activation_ = gate_activation(p.activation(), "activation");
    sequence_output_ = p.sequenceoutput();
    reverse_ = p.reverseinput();
    const LayerWeights weights(layer);
    w_ = stack_matrices(weights, {"weightMatrix"}, hidden_, input_);
    r_ = stack_matrices(weights, {"recursionMatrix"}, hidden_, hidden_);
    bias_ = stack_vectors(weights, {"biasVector"}, hidden_, p.hasbiasvector());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const auto [steps, batch] = read_sequence(*inputs[0], input_);
    const std::int64_t h = hidden_;
    std::vector<float> projected(static_cast<std::size_t>(steps * batch * h));
    project_inputs(inputs[0]->data(), steps * batch, w_, bias_, projected.data(), *ctx.pool);
    RowMatrix state(batch, h);
    initial_state(inputs, 1, "initial h", batch, h, state.data());
    Tensor& y = *outputs[0];
    y.resize(sequence_shape(sequence_output_ ? steps : 1, batch, h));
    for (std::int64_t k = 0; k < steps; ++k) {
      MatrixMap pre(projected.data() + time_at(k, steps, reverse_) * batch * h, batch, h);
      pre.noalias() += state * r_.transpose();
      activation_.apply_clipped(pre.data(), batch * h);
      state = pre;
      if (sequence_output_) std::copy(state.data(), state.data() + batch * h, y.data() + k * batch * h);
    }
    write_final_state(state.data(), batch, h, sequence_output_, outputs);
  }

 private:
  std::int64_t input_ = 0;
  std::int64_t hidden_ = 0;
  GateActivation activation_;
  bool sequence_output_ = false;
  bool reverse_ = false;
  RowMatrix w_;
  RowMatrix r_;
  std::vector<float> bias_;
};

// z = f(W_z x + R_z h + b_z), r = f(W_r x + R_r h + b_r), o = g(W_o x + R_o (r * h) + b_o),
// h' = (1 - z) * o + z * h. Gates are packed [z, r, o] so z and r share one recurrent product.
class GruKernel final : public Kernel {
 public:
  explicit GruKernel(const Layer& layer) {
    const auto& p = layer.gru();
    check_counts(layer, 2, 2, "[x, initial h]", "[y, final h]");
    input_ = vector_size(p.inputvectorsize(), "inputVectorSize");
    hidden_ = vector_size(p.outputvectorsize(), "outputVectorSize");
    const auto activations =
        gate_activations(p.activations(), 2, "activations", "[f for the update and reset gates, g for the output]");
    f_ = activations[0];
    g_ = activations[1];
    sequence_output_ = p.sequenceoutput();
    reverse_ = p.reverseinput();
    const LayerWeights weights(layer);
    w_ = stack_matrices(weights, {"updateGateWeightMatrix", "resetGateWeightMatrix", "outputGateWeightMatrix"}, hidden_,
                        input_);
    r_zr_ = stack_matrices(weights, {"updateGateRecursionMatrix", "resetGateRecursionMatrix"}, hidden_, hidden_);
    r_o_ = stack_matrices(weights, {"outputGateRecursionMatrix"}, hidden_, hidden_);
    bias_ = stack_vectors(weights, {"updateGateBiasVector", "resetGateBiasVector", "outputGateBiasVector"}, hidden_,
                          p.hasbiasvectors());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const auto [steps, batch] = read_sequence(*inputs[0], input_);
    const std::int64_t h = hidden_;
    std::vector<float> projected(static_cast<std::size_t>(steps * batch * 3 * h));
    project_inputs(inputs[0]->data(), steps * batch, w_, bias_, projected.data(), *ctx.pool);
    RowMatrix state(batch, h);
    initial_state(inputs, 1, "initial h", batch, h, state.data());
    RowMatrix reset_state(batch, h);
    Tensor& y = *outputs[0];
    y.resize(sequence_shape(sequence_output_ ? steps : 1, batch, h));
    for (std::int64_t k = 0; k < steps; ++k) {
      MatrixMap pre(projected.data() + time_at(k, steps, reverse_) * batch * 3 * h, batch, 3 * h);
      pre.leftCols(2 * h).noalias() += state * r_zr_.transpose();
      for (std::int64_t b = 0; b < batch; ++b) {
        float* row = pre.data() + b * 3 * h;
        f_.apply_clipped(row, 2 * h);
        const float* reset = row + h;
        const float* old = state.data() + b * h;
        float* gated = reset_state.data() + b * h;
        for (std::int64_t j = 0; j < h; ++j) gated[j] = reset[j] * old[j];
      }
      pre.rightCols(h).noalias() += reset_state * r_o_.transpose();
      for (std::int64_t b = 0; b < batch; ++b) {
        float* row = pre.data() + b * 3 * h;
        const float* update = row;
        float* candidate = row + 2 * h;
        g_.apply_clipped(candidate, h);
        float* current = state.data() + b * h;
        for (std::int64_t j = 0; j < h; ++j) current[j] = (1.0F - update[j]) * candidate[j] + update[j] * current[j];
      }
      if (sequence_output_) std::copy(state.data(), state.data() + batch * h, y.data() + k * batch * h);
    }
    write_final_state(state.data(), batch, h, sequence_output_, outputs);
  }

 private:
  std::int64_t input_ = 0;
  std::int64_t hidden_ = 0;
  GateActivation f_;
  GateActivation g_;
  bool sequence_output_ = false;
  bool reverse_ = false;
  RowMatrix w_;     // [W_z; W_r; W_o], [3h, input]
  RowMatrix r_zr_;  // [R_z; R_r], [2h, h]
  RowMatrix r_o_;   // [h, h]
  std::vector<float> bias_;
};

}  // namespace
}  // namespace recurrent

void register_recurrent_kernels(KernelRegistry& registry) {
  registry.add(Layer::kSimpleRecurrent, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<recurrent::SimpleRecurrentKernel>(layer);
  });
  registry.add(Layer::kGru, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<recurrent::GruKernel>(layer);
  });
  recurrent::register_lstm_kernels(registry);
}

}  // namespace mlconv::exec
