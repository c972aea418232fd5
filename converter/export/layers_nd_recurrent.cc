// N-d (iOS 13) mappings of ONNX LSTM, GRU and RNN onto Core ML's recurrent layers
// (uniDirectionalLSTM, biDirectionalLSTM, gru, simpleRecurrent). Core ML's layers read a
// rank-5 sequence [Seq, Batch, C, 1, 1] and write [Seq, Batch, hidden, 1, 1] in the order
// they process the steps, so the mapping reshapes around them, flips reverse outputs
// back to input time, and rebuilds ONNX's Y [Seq, dirs, Batch, h], Y_h and Y_c (with
// the batch axis first when layout = 1). Weight reordering: recurrent_weights.h.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"
#include "converter/export/recurrent_weights.h"

namespace mlconv::converter {
namespace {

struct RecurrentKind {
  RecurrentOp op;
  int activations_per_direction;        // LSTM f, g, h; GRU f, g; RNN f
  std::array<const char*, 3> defaults;  // ONNX's default activations
};

constexpr RecurrentKind lstm_kind{RecurrentOp::lstm, 3, {"Sigmoid", "Tanh", "Tanh"}};
constexpr RecurrentKind gru_kind{RecurrentOp::gru, 2, {"Sigmoid", "Tanh", ""}};
constexpr RecurrentKind rnn_kind{RecurrentOp::rnn, 1, {"Tanh", "", ""}};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::vector<std::string> attr_strings(const LayerBuilder& b, std::string_view name) {
  const Attribute* a = b.node().find_attribute(name);
  if (a == nullptr) return {};
  try {
    return a->as_strings();
  } catch (const Error& e) {
    b.fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::vector<float> attr_floats(const LayerBuilder& b, std::string_view name) {
  const Attribute* a = b.node().find_attribute(name);
  if (a == nullptr) return {};
  try {
    const auto values = a->as_floats();
    return {values.begin(), values.end()};
  } catch (const Error& e) {
    b.fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

// The activations of every direction as Core ML ActivationParams. ONNX hands out
// activation_alpha / activation_beta in list order to the functions that take them.
std::vector<cml::ActivationParams> activations(const LayerBuilder& b, const RecurrentKind& kind, std::int64_t dirs) {
  std::vector<std::string> names = attr_strings(b, "activations");
  const auto count = static_cast<std::size_t>(kind.activations_per_direction * dirs);
  if (names.empty()) {
    for (std::int64_t d = 0; d < dirs; ++d) names.insert(names.end(), kind.defaults.begin(), kind.defaults.begin() + kind.activations_per_direction);
  }
  if (names.size() != count) {
    b.fail("attribute 'activations' holds " + std::to_string(names.size()) + " functions; expected " + std::to_string(count) + " (" +
           std::to_string(kind.activations_per_direction) + " per direction)");
  }
  const std::vector<float> alphas = attr_floats(b, "activation_alpha");
  const std::vector<float> betas = attr_floats(b, "activation_beta");
  std::size_t next_alpha = 0;
  std::size_t next_beta = 0;
  auto take = [](const std::vector<float>& list, std::size_t& next, float fallback) { return next < list.size() ? list[next++] : fallback; };
  std::vector<cml::ActivationParams> out;
  for (const std::string& name : names) {
    cml::ActivationParams params;
    const std::string key = lower(name);
    float alpha = 0.0F;
    float beta = 0.0F;
    if (key == "sigmoid") {
      params.mutable_sigmoid();
    } else if (key == "tanh") {
      params.mutable_tanh();
    } else if (key == "relu") {
      params.mutable_relu();
    } else if (key == "hardsigmoid") {
      alpha = take(alphas, next_alpha, 0.2F);
      beta = take(betas, next_beta, 0.5F);
      params.mutable_sigmoidhard()->set_alpha(alpha);
      params.mutable_sigmoidhard()->set_beta(beta);
    } else if (key == "scaledtanh") {
      alpha = take(alphas, next_alpha, 1.0F);
      beta = take(betas, next_beta, 1.0F);
      params.mutable_scaledtanh()->set_alpha(alpha);
      params.mutable_scaledtanh()->set_beta(beta);
    } else if (key == "affine") {
      alpha = take(alphas, next_alpha, 1.0F);
      beta = take(betas, next_beta, 0.0F);
      params.mutable_linear()->set_alpha(alpha);
      params.mutable_linear()->set_beta(beta);
    } else {
      b.fail("activation '" + name +
             "' has no Core ML counterpart in recurrent layers; supported: Sigmoid, Tanh, Relu, HardSigmoid, ScaledTanh, Affine");
    }
    // Core ML reads an all-zero (alpha, beta) pair as the function's default parameters.
    if (!params.has_sigmoid() && !params.has_tanh() && !params.has_relu() && alpha == 0.0F && beta == 0.0F) {
      b.fail("activation '" + name + "' with alpha = beta = 0 cannot be expressed: Core ML reads that pair as the default parameters");
    }
    out.push_back(std::move(params));
  }
  return out;
}

void set_weights(cml::WeightParams* params, const std::vector<float>& values) { set_float_weights(*params, values); }

bool is_used(const LayerBuilder& b, std::size_t output) {
  if (output >= b.node().outputs.size()) return false;
  const Value* value = b.node().outputs[output];
  const auto& graph_outputs = b.graph().outputs();
  return !value->consumers.empty() || std::find(graph_outputs.begin(), graph_outputs.end(), value) != graph_outputs.end();
}

class RecurrentMapping {
 public:
  RecurrentMapping(LayerBuilder& b, const RecurrentKind& kind) : b_(b), kind_(kind) {}

  void build() {
    read_shapes_and_attributes();
    read_weights();
    const std::string sequence = input_sequence();
    const auto h0 = initial_states(5, "initial_h");
    const auto c0 = kind_.op == RecurrentOp::lstm ? initial_states(6, "initial_c") : std::vector<std::string>{};
    if (kind_.op == RecurrentOp::lstm && dirs_ == 2) {
      build_bidirectional_lstm(sequence, h0, c0);
    } else {
      for (std::int64_t d = 0; d < dirs_; ++d) build_direction(d, sequence, h0, c0);
    }
    write_outputs();
  }

 private:
  void read_shapes_and_attributes() {
    const auto& x = b_.shape(0);
    if (x.size() != 3) b_.fail("X has shape " + nd::dims_text(x) + "; expected rank 3");
    layout_ = b_.attr_int("layout", 0);
    if (layout_ != 0 && layout_ != 1) b_.fail("attribute 'layout' is " + std::to_string(layout_) + "; expected 0 or 1");
    steps_ = layout_ == 0 ? x[0] : x[1];
    batch_ = layout_ == 0 ? x[1] : x[0];
    input_ = x[2];
    const std::string direction = b_.attr_string("direction", "forward");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
      b_.fail("attribute 'direction' is '" + direction + "'; expected forward, reverse or bidirectional");
    }
    reverse_ = direction == "reverse";
    dirs_ = direction == "bidirectional" ? 2 : 1;
    gates_ = recurrent_gate_count(kind_.op);
    const auto& r = b_.shape(2);
    hidden_ = b_.attr_int("hidden_size", r.size() == 3 ? r[2] : 0);
    if (hidden_ < 1) b_.fail("attribute 'hidden_size' is missing or not positive");
    if (b_.has_attr("clip") && b_.attr_float("clip", 0.0) < 50.0) {
      b_.fail("attribute 'clip' is " + std::to_string(b_.attr_float("clip", 0.0)) +
              "; Core ML clips gate pre-activations at 50 only, so a smaller clip cannot be expressed");
    }
    if (kind_.op == RecurrentOp::gru && b_.attr_int("linear_before_reset", 0) != 0) {
      b_.fail("attribute 'linear_before_reset' is 1; Core ML's gru applies the reset gate before the recurrence matrix "
              "(linear_before_reset = 0)");
    }
    if (kind_.op == RecurrentOp::lstm && b_.attr_int("input_forget", 0) != 0) {
      b_.fail("attribute 'input_forget' is 1; coupled input and forget gates are not converted");
    }
    activations_ = activations(b_, kind_, dirs_);
    if (b_.has_input(4)) {
      const TensorData* lens = b_.constant(4);
      if (lens == nullptr) {
        b_.fail("sequence_lens (input 4) is computed at run time; Core ML's recurrent layers always run the whole sequence, "
                "so only an absent or constant full-length sequence_lens converts");
      }
      for (const auto n : lens->to_ints()) {
        if (n != steps_) b_.fail("sequence_lens holds " + std::to_string(n) + ", not the full length " + std::to_string(steps_) + "; Core ML cannot stop a sequence early");
      }
    }
  }

  void expect_shape(std::size_t index, const char* role, const std::vector<std::int64_t>& expected) const {
    if (b_.shape(index) != expected) {
      b_.fail(std::string(role) + " has shape " + nd::dims_text(b_.shape(index)) + "; expected " + nd::dims_text(expected));
    }
  }

  void read_weights() {
    expect_shape(1, "W", {dirs_, gates_ * hidden_, input_});
    expect_shape(2, "R", {dirs_, gates_ * hidden_, hidden_});
    w_ = b_.constant_floats(1, "W");
    r_ = b_.constant_floats(2, "R");
    if (b_.has_input(3)) {
      expect_shape(3, "B", {dirs_, 2 * gates_ * hidden_});
      bias_ = b_.constant_floats(3, "B");
    }
    if (kind_.op == RecurrentOp::lstm && b_.has_input(7)) {
      expect_shape(7, "P", {dirs_, 3 * hidden_});
      peephole_ = b_.constant_floats(7, "P");
    }
  }

  // X as Core ML's [Seq, Batch, input, 1, 1].
  std::string input_sequence() {
    std::string x = b_.operand(0);
    if (layout_ == 1) {
      const std::string swapped = b_.temp_blob("x_seq_first");
      auto& transpose = *b_.add_layer("x_seq_first", {x}, {swapped}).mutable_transpose();
      for (const std::uint64_t axis : {1, 0, 2}) transpose.add_axes(axis);
      x = swapped;
    }
    return nd::reshape_static(b_, "x_rank5", x, {steps_, batch_, input_, 1, 1});
  }

  // One [1, Batch, h, 1, 1] blob per direction from the optional state input, or none.
  std::vector<std::string> initial_states(std::size_t index, const char* role) {
    if (!b_.has_input(index)) return {};
    // layout 1 puts the batch axis first: [Batch, dirs, h].
    expect_shape(index, role, layout_ == 0 ? std::vector<std::int64_t>{dirs_, batch_, hidden_} : std::vector<std::int64_t>{batch_, dirs_, hidden_});
    std::string state = b_.operand(index);
    if (layout_ == 1 && dirs_ == 2) {
      const std::string swapped = b_.temp_blob(std::string(role) + "_directions_first");
      auto& transpose = *b_.add_layer(std::string(role) + "_directions_first", {state}, {swapped}).mutable_transpose();
      for (const std::uint64_t axis : {1, 0, 2}) transpose.add_axes(axis);
      state = swapped;
    }
    std::vector<std::string> parts{state};
    if (dirs_ == 2) {
      parts = {b_.temp_blob(std::string(role) + "_forward"), b_.temp_blob(std::string(role) + "_backward")};
      auto& split = *b_.add_layer(std::string(role) + "_split", {state}, parts).mutable_splitnd();
      split.set_axis(0);
      split.set_numsplits(2);
    }
    std::vector<std::string> out;
    for (std::size_t d = 0; d < parts.size(); ++d) {
      out.push_back(nd::reshape_static(b_, std::string(role) + "_rank5_" + std::to_string(d), parts[d], {1, batch_, hidden_, 1, 1}));
    }
    return out;
  }

  std::string zero_state(std::string_view suffix) {
    return b_.constant_blob(suffix, nd::zeros(b_, "the initial state", {1, batch_, hidden_, 1, 1}));
  }

  // Layer inputs [x, h0, c0, ...]: states listed only when given, zeros filling gaps.
  std::vector<std::string> layer_inputs(const std::string& sequence, const std::vector<std::vector<std::string>>& states) {
    std::vector<std::string> inputs{sequence};
    std::size_t last = 0;  // states up to the last given one are listed
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (!states[i].empty()) last = i + 1;
    }
    for (std::size_t i = 0; i < last; ++i) inputs.push_back(states[i].empty() ? zero_state("zero_state_" + std::to_string(i)) : states[i][0]);
    return inputs;
  }

  void fill_lstm_weights(cml::LSTMWeightParams& params, std::int64_t d) const {
    const RecurrentGateWeights g = recurrent_gate_weights(RecurrentOp::lstm, w_, r_, bias_, peephole_, d, hidden_, input_);
    set_weights(params.mutable_inputgateweightmatrix(), g.input_matrices[0]);
    set_weights(params.mutable_forgetgateweightmatrix(), g.input_matrices[1]);
    set_weights(params.mutable_blockinputweightmatrix(), g.input_matrices[2]);
    set_weights(params.mutable_outputgateweightmatrix(), g.input_matrices[3]);
    set_weights(params.mutable_inputgaterecursionmatrix(), g.recursion_matrices[0]);
    set_weights(params.mutable_forgetgaterecursionmatrix(), g.recursion_matrices[1]);
    set_weights(params.mutable_blockinputrecursionmatrix(), g.recursion_matrices[2]);
    set_weights(params.mutable_outputgaterecursionmatrix(), g.recursion_matrices[3]);
    if (!g.biases.empty()) {
      set_weights(params.mutable_inputgatebiasvector(), g.biases[0]);
      set_weights(params.mutable_forgetgatebiasvector(), g.biases[1]);
      set_weights(params.mutable_blockinputbiasvector(), g.biases[2]);
      set_weights(params.mutable_outputgatebiasvector(), g.biases[3]);
    }
    if (!g.peepholes.empty()) {
      set_weights(params.mutable_inputgatepeepholevector(), g.peepholes[0]);
      set_weights(params.mutable_forgetgatepeepholevector(), g.peepholes[1]);
      set_weights(params.mutable_outputgatepeepholevector(), g.peepholes[2]);
    }
  }

  void fill_lstm_params(cml::LSTMParams& params) const {
    params.set_sequenceoutput(true);
    params.set_hasbiasvectors(!bias_.empty());
    params.set_haspeepholevectors(!peephole_.empty());
    // forgetBias stays false: Core ML would not add 1 anyway, and ONNX does not.
  }

  const cml::ActivationParams& activation(std::int64_t d, int i) const {
    return activations_[static_cast<std::size_t>(d * kind_.activations_per_direction + i)];
  }

  // One unidirectional layer for direction d (d = 1 is the backward half of a bidirectional op).
  void build_direction(std::int64_t d, const std::string& sequence, const std::vector<std::string>& h0, const std::vector<std::string>& c0) {
    const bool backward = reverse_ || d == 1;
    const std::string suffix = dirs_ == 2 ? (d == 0 ? "forward" : "backward") : "";
    auto slice = [&](const std::vector<std::string>& states) { return states.empty() ? states : std::vector<std::string>{states[static_cast<std::size_t>(d)]}; };
    std::vector<std::string> outputs{b_.temp_blob(suffix + "y"), b_.temp_blob(suffix + "h")};
    if (kind_.op == RecurrentOp::lstm) outputs.push_back(b_.temp_blob(suffix + "c"));
    auto& layer = b_.add_layer(suffix, layer_inputs(sequence, {slice(h0), slice(c0)}), outputs);
    const auto ops = gate_weights(d);
    switch (kind_.op) {
      case RecurrentOp::lstm: {
        auto& p = *layer.mutable_unidirectionallstm();
        p.set_inputvectorsize(static_cast<std::uint64_t>(input_));
        p.set_outputvectorsize(static_cast<std::uint64_t>(hidden_));
        for (int i = 0; i < 3; ++i) *p.add_activations() = activation(d, i);
        fill_lstm_params(*p.mutable_params());
        fill_lstm_weights(*p.mutable_weightparams(), d);
        p.set_reverseinput(backward);
        break;
      }
      case RecurrentOp::gru: {
        auto& p = *layer.mutable_gru();
        p.set_inputvectorsize(static_cast<std::uint64_t>(input_));
        p.set_outputvectorsize(static_cast<std::uint64_t>(hidden_));
        for (int i = 0; i < 2; ++i) *p.add_activations() = activation(d, i);
        p.set_sequenceoutput(true);
        p.set_hasbiasvectors(!ops.biases.empty());
        set_weights(p.mutable_updategateweightmatrix(), ops.input_matrices[0]);
        set_weights(p.mutable_resetgateweightmatrix(), ops.input_matrices[1]);
        set_weights(p.mutable_outputgateweightmatrix(), ops.input_matrices[2]);
        set_weights(p.mutable_updategaterecursionmatrix(), ops.recursion_matrices[0]);
        set_weights(p.mutable_resetgaterecursionmatrix(), ops.recursion_matrices[1]);
        set_weights(p.mutable_outputgaterecursionmatrix(), ops.recursion_matrices[2]);
        if (!ops.biases.empty()) {
          set_weights(p.mutable_updategatebiasvector(), ops.biases[0]);
          set_weights(p.mutable_resetgatebiasvector(), ops.biases[1]);
          set_weights(p.mutable_outputgatebiasvector(), ops.biases[2]);
        }
        p.set_reverseinput(backward);
        break;
      }
      case RecurrentOp::rnn: {
        auto& p = *layer.mutable_simplerecurrent();
        p.set_inputvectorsize(static_cast<std::uint64_t>(input_));
        p.set_outputvectorsize(static_cast<std::uint64_t>(hidden_));
        *p.mutable_activation() = activation(d, 0);
        p.set_sequenceoutput(true);
        p.set_hasbiasvector(!ops.biases.empty());
        set_weights(p.mutable_weightmatrix(), ops.input_matrices[0]);
        set_weights(p.mutable_recursionmatrix(), ops.recursion_matrices[0]);
        if (!ops.biases.empty()) set_weights(p.mutable_biasvector(), ops.biases[0]);
        p.set_reverseinput(backward);
        break;
      }
    }
    // A reversed layer writes its outputs in processing order; ONNX indexes Y by input time.
    std::string y = outputs[0];
    if (backward && is_used(b_, 0)) {
      const std::string flipped = b_.temp_blob(suffix + "y_input_order");
      auto& reverse = *b_.add_layer(suffix + "y_input_order", {y}, {flipped}).mutable_reverse();
      for (const bool flip : {true, false, false, false, false}) reverse.add_reversedim(flip);
      y = flipped;
    }
    y_.push_back(y);
    h_.push_back(outputs[1]);
    if (kind_.op == RecurrentOp::lstm) c_.push_back(outputs[2]);
  }

  [[nodiscard]] RecurrentGateWeights gate_weights(std::int64_t d) const {
    if (kind_.op == RecurrentOp::lstm) return {};
    return recurrent_gate_weights(kind_.op, w_, r_, bias_, {}, d, hidden_, input_);
  }

  void build_bidirectional_lstm(const std::string& sequence, const std::vector<std::string>& h0, const std::vector<std::string>& c0) {
    for (int i = 0; i < 3; ++i) {
      if (activation(0, i).SerializeAsString() != activation(1, i).SerializeAsString()) {
        b_.fail("the two directions use different activations; Core ML's biDirectionalLSTM takes one set for both");
      }
    }
    auto at = [](const std::vector<std::string>& states, std::size_t d) { return states.empty() ? std::vector<std::string>{} : std::vector<std::string>{states[d]}; };
    const std::vector<std::string> outputs{b_.temp_blob("y"), b_.temp_blob("h_forward"), b_.temp_blob("c_forward"),
                                           b_.temp_blob("h_backward"), b_.temp_blob("c_backward")};
    auto& p = *b_.add_layer("", layer_inputs(sequence, {at(h0, 0), at(c0, 0), at(h0, 1), at(c0, 1)}), outputs).mutable_bidirectionallstm();
    p.set_inputvectorsize(static_cast<std::uint64_t>(input_));
    p.set_outputvectorsize(static_cast<std::uint64_t>(hidden_));
    for (int i = 0; i < 3; ++i) {
      *p.add_activationsforwardlstm() = activation(0, i);
      *p.add_activationsbackwardlstm() = activation(1, i);
    }
    fill_lstm_params(*p.mutable_params());
    fill_lstm_weights(*p.add_weightparams(), 0);
    fill_lstm_weights(*p.add_weightparams(), 1);
    bidirectional_y_ = outputs[0];
    h_ = {outputs[1], outputs[3]};
    c_ = {outputs[2], outputs[4]};
  }

  // [Seq, Batch, dirs*h, 1, 1] with the directions side by side, in input time.
  std::string joined_sequence() {
    if (!bidirectional_y_.empty()) return bidirectional_y_;
    if (y_.size() == 1) return y_[0];
    const std::string joined = b_.temp_blob("y_joined");
    b_.add_layer("y_joined", y_, {joined}).mutable_concatnd()->set_axis(2);
    return joined;
  }

  // States [1, Batch, h, 1, 1] per direction -> ONNX [dirs, Batch, h] (layout 0) or [Batch, dirs, h].
  void write_state(std::size_t output, const std::vector<std::string>& states, const std::string& suffix) {
    if (!is_used(b_, output)) return;
    std::string joined = states[0];
    if (states.size() == 2) {
      joined = b_.temp_blob(suffix + "_joined");
      b_.add_layer(suffix + "_joined", states, {joined}).mutable_concatnd()->set_axis(0);
    }
    if (layout_ == 1 && dirs_ == 2) {
      const std::string flat = nd::reshape_static(b_, suffix + "_rank3", joined, {dirs_, batch_, hidden_});
      auto& transpose = *b_.add_layer(suffix + "_batch_first", {flat}, {b_.output_blob(output)}).mutable_transpose();
      for (const std::uint64_t axis : {1, 0, 2}) transpose.add_axes(axis);
      b_.set_output_shape(output, {batch_, dirs_, hidden_});
      return;
    }
    std::vector<std::int64_t> shape = layout_ == 0 ? std::vector<std::int64_t>{dirs_, batch_, hidden_} : std::vector<std::int64_t>{batch_, dirs_, hidden_};
    nd::reshape_static(b_, suffix + "_out", joined, shape, b_.output_blob(output));
    b_.set_output_shape(output, shape);
  }

  void write_outputs() {
    if (is_used(b_, 0)) {
      const std::string y = joined_sequence();
      if (layout_ == 0 && dirs_ == 1) {
        nd::reshape_static(b_, "y_out", y, {steps_, 1, batch_, hidden_}, b_.output_blob(0));
        b_.set_output_shape(0, {steps_, 1, batch_, hidden_});
      } else {
        const std::string split = nd::reshape_static(b_, "y_rank4", y, {steps_, batch_, dirs_, hidden_});
        auto& transpose = *b_.add_layer("y_out", {split}, {b_.output_blob(0)}).mutable_transpose();
        const std::array<std::uint64_t, 4> perm = layout_ == 0 ? std::array<std::uint64_t, 4>{0, 2, 1, 3} : std::array<std::uint64_t, 4>{1, 0, 2, 3};
        for (const auto axis : perm) transpose.add_axes(axis);
        b_.set_output_shape(0, layout_ == 0 ? std::vector<std::int64_t>{steps_, dirs_, batch_, hidden_}
                                            : std::vector<std::int64_t>{batch_, steps_, dirs_, hidden_});
      }
    }
    write_state(1, h_, "y_h");
    if (kind_.op == RecurrentOp::lstm) write_state(2, c_, "y_c");
  }

  LayerBuilder& b_;
  const RecurrentKind& kind_;
  std::int64_t layout_ = 0, steps_ = 0, batch_ = 0, input_ = 0, hidden_ = 0, dirs_ = 1, gates_ = 1;
  bool reverse_ = false;
  std::vector<cml::ActivationParams> activations_;
  std::vector<float> w_, r_, bias_, peephole_;
  std::vector<std::string> y_, h_, c_;
  std::string bidirectional_y_;
};

}  // namespace

void build_nd_lstm_layer(LayerBuilder& b) { RecurrentMapping(b, lstm_kind).build(); }
void build_nd_gru_layer(LayerBuilder& b) { RecurrentMapping(b, gru_kind).build(); }
void build_nd_rnn_layer(LayerBuilder& b) { RecurrentMapping(b, rnn_kind).build(); }

}  // namespace mlconv::converter
