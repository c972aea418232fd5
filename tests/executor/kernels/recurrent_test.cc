// Recurrent family: simpleRecurrent, gru, uniDirectionalLSTM, biDirectionalLSTM. Every expected
// value comes from tests/executor/fixtures/recurrent_reference.py (NumPy, float64, straight from
// the equations in NeuralNetwork.proto), which also printed the layer texts below.
#include <cmath>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

constexpr float kAtol = 2e-6F;
constexpr float kRtol = 2e-5F;

// x [Seq 3, Batch 2, inputVectorSize 2] and [Seq 4, Batch 2, 2], as rank-5 blobs.
const Tensor kX3({3, 2, 2, 1, 1}, {0.89, 0.02, 0.95, -0.84, 0.21, -0.25, 0.6, -0.65, 0.74, 0.09, 0.8, -0.05});
const Tensor kX4({4, 2, 2, 1, 1},
                 {-0.86, -0.23, -0.04, -0.78, 0.34, -0.03, 0, 0.19, 0.87, 0.18, -0.81, -0.71, 0.39, -0.35, 0.51, 0.02});

// NumPy (simpleRecurrent reverse=False seq=True)
constexpr const char* kRnnForward =
    R"(name: "rnn" input: "x" input: "h0" output: "y" output: "h" simpleRecurrent { inputVectorSize: 2 outputVectorSize: 3 activation { tanh {} } sequenceOutput: true hasBiasVector: true )"
    R"(weightMatrix { floatValue: [-0.64, 0.22, 0.41, 0.89, 0.33, -0.73] } )"
    R"(recursionMatrix { floatValue: [-0.00, -0.01, 0.00, 0.92, -0.30, -0.55, 0.04, 0.28, 0.88] } )"
    R"(biasVector { floatValue: [0.16, -0.46, 0.86] } reverseInput: false } )";

// NumPy (simpleRecurrent reverse=True seq=False)
constexpr const char* kRnnReverse =
    R"(name: "rnn" input: "x" input: "h0" output: "y" output: "h" simpleRecurrent { inputVectorSize: 2 outputVectorSize: 3 activation { tanh {} } sequenceOutput: false hasBiasVector: true )"
    R"(weightMatrix { floatValue: [-0.64, 0.22, 0.41, 0.89, 0.33, -0.73] } )"
    R"(recursionMatrix { floatValue: [-0.00, -0.01, 0.00, 0.92, -0.30, -0.55, 0.04, 0.28, 0.88] } )"
    R"(biasVector { floatValue: [0.16, -0.46, 0.86] } reverseInput: true } )";

// NumPy (gru sigmoid tanh reverse=False)
constexpr const char* kGruForward =
    R"(name: "gru" input: "x" input: "h0" output: "y" output: "h" gru { inputVectorSize: 2 outputVectorSize: 3 activations { sigmoid {} } activations { tanh {} } sequenceOutput: true hasBiasVectors: true )"
    R"(updateGateWeightMatrix { floatValue: [-0.02, 0.35, -0.05, -0.57, 0.39, 0.54] } )"
    R"(resetGateWeightMatrix { floatValue: [-0.62, -0.08, -0.28, -0.66, -0.56, 0.93] } )"
    R"(outputGateWeightMatrix { floatValue: [0.77, -0.24, 0.48, -0.92, 0.83, 0.07] } )"
    R"(updateGateRecursionMatrix { floatValue: [0.64, -0.45, -0.25, -0.30, 0.94, -0.14, -0.00, 0.91, 0.81] } )"
    R"(resetGateRecursionMatrix { floatValue: [-0.21, -0.39, 0.61, -0.79, -0.22, 0.75, 0.84, -0.53, -0.84] } )"
    R"(outputGateRecursionMatrix { floatValue: [0.58, 0.24, -0.52, 0.01, -0.86, 0.40, 0.05, 0.41, -0.82] } )"
    R"(updateGateBiasVector { floatValue: [0.29, -0.26, -0.00] } )"
    R"(resetGateBiasVector { floatValue: [-0.33, 0.27, 0.14] } )"
    R"(outputGateBiasVector { floatValue: [0.23, -0.87, -0.55] } reverseInput: false } )";

// NumPy (gru sigmoidHard linear reverse=True)
constexpr const char* kGruReverse =
    R"(name: "gru" input: "x" input: "h0" output: "y" output: "h" gru { inputVectorSize: 2 outputVectorSize: 3 activations { sigmoidHard {} } activations { linear {} } sequenceOutput: true hasBiasVectors: false )"
    R"(updateGateWeightMatrix { floatValue: [-0.02, 0.35, -0.05, -0.57, 0.39, 0.54] } )"
    R"(resetGateWeightMatrix { floatValue: [-0.62, -0.08, -0.28, -0.66, -0.56, 0.93] } )"
    R"(outputGateWeightMatrix { floatValue: [0.77, -0.24, 0.48, -0.92, 0.83, 0.07] } )"
    R"(updateGateRecursionMatrix { floatValue: [0.64, -0.45, -0.25, -0.30, 0.94, -0.14, -0.00, 0.91, 0.81] } )"
    R"(resetGateRecursionMatrix { floatValue: [-0.21, -0.39, 0.61, -0.79, -0.22, 0.75, 0.84, -0.53, -0.84] } )"
    R"(outputGateRecursionMatrix { floatValue: [0.58, 0.24, -0.52, 0.01, -0.86, 0.40, 0.05, 0.41, -0.82] } reverseInput: true } )";

// NumPy (uniDirectionalLSTM peephole clip)
constexpr const char* kLstmPeephole =
    R"(name: "lstm" input: "x" input: "h0" input: "c0" output: "y" output: "h" output: "c" uniDirectionalLSTM { inputVectorSize: 2 outputVectorSize: 3 activations { sigmoid {} } activations { tanh {} } activations { tanh {} } )"
    R"(params { sequenceOutput: true hasBiasVectors: true forgetBias: true hasPeepholeVectors: true coupledInputAndForgetGate: false cellClipThreshold: 0.5 } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [0.81, 0.63, 0.64, 0.26, -0.98, -0.43] } )"
    R"(forgetGateWeightMatrix { floatValue: [0.00, 0.80, -0.27, 0.10, 0.70, -0.32] } )"
    R"(blockInputWeightMatrix { floatValue: [0.50, 0.19, 0.05, 0.26, -0.03, -0.77] } )"
    R"(outputGateWeightMatrix { floatValue: [0.79, 0.94, 0.67, -0.29, 0.27, 0.54] } )"
    R"(inputGateRecursionMatrix { floatValue: [-0.88, 0.58, -0.83, 0.88, -0.52, 0.93, -0.54, 0.07, 0.66] } )"
    R"(forgetGateRecursionMatrix { floatValue: [0.98, 0.41, 0.67, -0.22, 0.50, -0.23, 0.86, 0.55, -0.24] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.57, -0.87, 0.85, 0.39, -0.35, 0.29, 0.57, 0.26, 0.77] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.17, -0.36, -0.26, -0.44, -0.04, 0.51, 0.75, 0.27, 0.57] } )"
    R"(inputGateBiasVector { floatValue: [0.94, 0.32, -0.83] } )"
    R"(forgetGateBiasVector { floatValue: [0.25, -0.96, 0.36] } )"
    R"(blockInputBiasVector { floatValue: [1.00, -0.02, 0.87] } )"
    R"(outputGateBiasVector { floatValue: [-0.96, 0.93, -0.66] } )"
    R"(inputGatePeepholeVector { floatValue: [0.68, -0.40, -0.21] } )"
    R"(forgetGatePeepholeVector { floatValue: [-0.73, -0.93, 0.50] } )"
    R"(outputGatePeepholeVector { floatValue: [0.49, -0.75, 0.25] } } reverseInput: false } )";

// NumPy (uniDirectionalLSTM coupled reverse)
constexpr const char* kLstmCoupled =
    R"(name: "lstm" input: "x" output: "y" output: "h" output: "c" uniDirectionalLSTM { inputVectorSize: 2 outputVectorSize: 3 activations { sigmoidHard {} } activations { scaledTanh { alpha: 1.7159 beta: 0.6667 } } activations { ReLU {} } )"
    R"(params { sequenceOutput: false hasBiasVectors: true forgetBias: true hasPeepholeVectors: false coupledInputAndForgetGate: true cellClipThreshold: 0 } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [0.81, 0.63, 0.64, 0.26, -0.98, -0.43] } )"
    R"(forgetGateWeightMatrix { floatValue: [0.00, 0.80, -0.27, 0.10, 0.70, -0.32] } )"
    R"(blockInputWeightMatrix { floatValue: [0.50, 0.19, 0.05, 0.26, -0.03, -0.77] } )"
    R"(outputGateWeightMatrix { floatValue: [0.79, 0.94, 0.67, -0.29, 0.27, 0.54] } )"
    R"(inputGateRecursionMatrix { floatValue: [-0.88, 0.58, -0.83, 0.88, -0.52, 0.93, -0.54, 0.07, 0.66] } )"
    R"(forgetGateRecursionMatrix { floatValue: [0.98, 0.41, 0.67, -0.22, 0.50, -0.23, 0.86, 0.55, -0.24] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.57, -0.87, 0.85, 0.39, -0.35, 0.29, 0.57, 0.26, 0.77] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.17, -0.36, -0.26, -0.44, -0.04, 0.51, 0.75, 0.27, 0.57] } )"
    R"(inputGateBiasVector { floatValue: [0.94, 0.32, -0.83] } )"
    R"(forgetGateBiasVector { floatValue: [0.25, -0.96, 0.36] } )"
    R"(blockInputBiasVector { floatValue: [1.00, -0.02, 0.87] } )"
    R"(outputGateBiasVector { floatValue: [-0.96, 0.93, -0.66] } } reverseInput: true } )";

// NumPy (biDirectionalLSTM seq=True)
constexpr const char* kBiLstmSequence =
    R"(name: "bi" input: "x" input: "hf" input: "cf" input: "hb" input: "cb" output: "y" output: "hf_out" output: "cf_out" output: "hb_out" output: "cb_out" biDirectionalLSTM { inputVectorSize: 2 outputVectorSize: 2 activationsForwardLSTM { sigmoid {} } activationsForwardLSTM { tanh {} } activationsForwardLSTM { tanh {} } activationsBackwardLSTM { sigmoid {} } activationsBackwardLSTM { tanh {} } activationsBackwardLSTM { tanh {} } )"
    R"(params { sequenceOutput: true hasBiasVectors: true hasPeepholeVectors: true } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [-0.48, 0.79, -0.73, 0.18] } )"
    R"(forgetGateWeightMatrix { floatValue: [0.78, 0.08, 0.34, 0.62] } )"
    R"(blockInputWeightMatrix { floatValue: [0.41, 0.65, -0.55, 0.82] } )"
    R"(outputGateWeightMatrix { floatValue: [0.01, 0.83, 0.40, 0.47] } )"
    R"(inputGateRecursionMatrix { floatValue: [0.90, -0.79, 0.74, -0.42] } )"
    R"(forgetGateRecursionMatrix { floatValue: [0.64, -0.55, -0.06, -0.72] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.61, -0.41, -0.05, 0.59] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.26, 0.77, 0.02, 0.89] } )"
    R"(inputGateBiasVector { floatValue: [0.54, 0.99] } )"
    R"(forgetGateBiasVector { floatValue: [0.43, -0.37] } )"
    R"(blockInputBiasVector { floatValue: [0.06, 0.88] } )"
    R"(outputGateBiasVector { floatValue: [0.85, -0.50] } )"
    R"(inputGatePeepholeVector { floatValue: [-0.49, -0.49] } )"
    R"(forgetGatePeepholeVector { floatValue: [0.25, -0.61] } )"
    R"(outputGatePeepholeVector { floatValue: [0.41, -0.36] } } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [0.68, -0.51, 0.85, -0.34] } )"
    R"(forgetGateWeightMatrix { floatValue: [-0.93, -0.68, 0.63, -0.66] } )"
    R"(blockInputWeightMatrix { floatValue: [-0.50, 0.99, -0.17, 0.29] } )"
    R"(outputGateWeightMatrix { floatValue: [0.09, -0.06, 0.79, -0.93] } )"
    R"(inputGateRecursionMatrix { floatValue: [-0.24, -0.10, 0.37, 0.46] } )"
    R"(forgetGateRecursionMatrix { floatValue: [-0.99, -0.80, -0.52, -0.33] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.54, 0.48, 0.85, -0.20] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.16, -0.72, 0.79, 0.80] } )"
    R"(inputGateBiasVector { floatValue: [0.91, 0.47] } )"
    R"(forgetGateBiasVector { floatValue: [0.76, 0.13] } )"
    R"(blockInputBiasVector { floatValue: [0.68, -0.35] } )"
    R"(outputGateBiasVector { floatValue: [0.51, 0.52] } )"
    R"(inputGatePeepholeVector { floatValue: [0.24, 0.68] } )"
    R"(forgetGatePeepholeVector { floatValue: [0.35, -0.50] } )"
    R"(outputGatePeepholeVector { floatValue: [-0.90, -0.35] } } } )";

// NumPy (biDirectionalLSTM seq=False)
constexpr const char* kBiLstmLast =
    R"(name: "bi" input: "x" input: "hf" input: "cf" input: "hb" input: "cb" output: "y" output: "hf_out" output: "cf_out" output: "hb_out" output: "cb_out" biDirectionalLSTM { inputVectorSize: 2 outputVectorSize: 2 activationsForwardLSTM { sigmoid {} } activationsForwardLSTM { tanh {} } activationsForwardLSTM { tanh {} } activationsBackwardLSTM { sigmoid {} } activationsBackwardLSTM { tanh {} } activationsBackwardLSTM { tanh {} } )"
    R"(params { sequenceOutput: false hasBiasVectors: true hasPeepholeVectors: true } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [-0.48, 0.79, -0.73, 0.18] } )"
    R"(forgetGateWeightMatrix { floatValue: [0.78, 0.08, 0.34, 0.62] } )"
    R"(blockInputWeightMatrix { floatValue: [0.41, 0.65, -0.55, 0.82] } )"
    R"(outputGateWeightMatrix { floatValue: [0.01, 0.83, 0.40, 0.47] } )"
    R"(inputGateRecursionMatrix { floatValue: [0.90, -0.79, 0.74, -0.42] } )"
    R"(forgetGateRecursionMatrix { floatValue: [0.64, -0.55, -0.06, -0.72] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.61, -0.41, -0.05, 0.59] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.26, 0.77, 0.02, 0.89] } )"
    R"(inputGateBiasVector { floatValue: [0.54, 0.99] } )"
    R"(forgetGateBiasVector { floatValue: [0.43, -0.37] } )"
    R"(blockInputBiasVector { floatValue: [0.06, 0.88] } )"
    R"(outputGateBiasVector { floatValue: [0.85, -0.50] } )"
    R"(inputGatePeepholeVector { floatValue: [-0.49, -0.49] } )"
    R"(forgetGatePeepholeVector { floatValue: [0.25, -0.61] } )"
    R"(outputGatePeepholeVector { floatValue: [0.41, -0.36] } } )"
    R"(weightParams { )"
    R"(inputGateWeightMatrix { floatValue: [0.68, -0.51, 0.85, -0.34] } )"
    R"(forgetGateWeightMatrix { floatValue: [-0.93, -0.68, 0.63, -0.66] } )"
    R"(blockInputWeightMatrix { floatValue: [-0.50, 0.99, -0.17, 0.29] } )"
    R"(outputGateWeightMatrix { floatValue: [0.09, -0.06, 0.79, -0.93] } )"
    R"(inputGateRecursionMatrix { floatValue: [-0.24, -0.10, 0.37, 0.46] } )"
    R"(forgetGateRecursionMatrix { floatValue: [-0.99, -0.80, -0.52, -0.33] } )"
    R"(blockInputRecursionMatrix { floatValue: [0.54, 0.48, 0.85, -0.20] } )"
    R"(outputGateRecursionMatrix { floatValue: [-0.16, -0.72, 0.79, 0.80] } )"
    R"(inputGateBiasVector { floatValue: [0.91, 0.47] } )"
    R"(forgetGateBiasVector { floatValue: [0.76, 0.13] } )"
    R"(blockInputBiasVector { floatValue: [0.68, -0.35] } )"
    R"(outputGateBiasVector { floatValue: [0.51, 0.52] } )"
    R"(inputGatePeepholeVector { floatValue: [0.24, 0.68] } )"
    R"(forgetGatePeepholeVector { floatValue: [0.35, -0.50] } )"
    R"(outputGatePeepholeVector { floatValue: [-0.90, -0.35] } } } )";

TEST_CASE("recurrent: simpleRecurrent tanh with bias, initial h and sequence output") {
  const auto out = run_layer(kRnnForward, {kX3,
                             Tensor({1, 2, 3, 1, 1}, {-0.14, 0.58, 0.97, -0.26, 0.94, 0.86})});
  REQUIRE(out.size() == 2);
  check_tensor(out[0], {3, 2, 3, 1, 1},
               {-0.38932144, -0.72285566, 0.97319974, -0.56639565, -0.94806505, 0.99257699, -0.022167811,
                -0.85460297, 0.94140323, -0.34302714, -0.91783034, 0.97147362, -0.27776074, -0.34370276,
                0.92559869, -0.33976045, -0.63577278, 0.94076739},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {-0.27776074, -0.34370276, 0.92559869, -0.33976045, -0.63577278, 0.94076739},
               kAtol, kRtol);
}

TEST_CASE("recurrent: simpleRecurrent reverseInput with last-step output") {
  const auto out = run_layer(kRnnReverse, {kX3,
                             Tensor({1, 2, 3, 1, 1}, {-0.14, 0.58, 0.97, -0.26, 0.94, 0.86})});
  REQUIRE(out.size() == 2);
  check_tensor(out[0], {1, 2, 3, 1, 1},
               {-0.37731696, -0.35156151, 0.93963294, -0.55385703, -0.88613802, 0.98303831},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {-0.37731696, -0.35156151, 0.93963294, -0.55385703, -0.88613802, 0.98303831},
               kAtol, kRtol);
}

TEST_CASE("recurrent: gru sigmoid and tanh with biases and sequence output") {
  const auto out = run_layer(kGruForward, {kX3,
                             Tensor({1, 2, 3, 1, 1}, {-0.14, 0.58, 0.97, -0.26, 0.94, 0.86})});
  REQUIRE(out.size() == 2);
  check_tensor(out[0], {3, 2, 3, 1, 1},
               {0.35111292, 0.018951011, 0.8494697, 0.51190752, 0.62670433, 0.77387938, 0.36554105, -0.22884134,
                0.36980918, 0.63638691, 0.27377502, 0.56396728, 0.46073681, -0.34464026, 0.17804144, 0.66765132,
                -0.12947548, 0.4096749},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {0.46073681, -0.34464026, 0.17804144, 0.66765132, -0.12947548, 0.4096749},
               kAtol, kRtol);
}

TEST_CASE("recurrent: gru sigmoidHard (empty params) and linear, no biases, reverseInput output in processing order") {
  const auto out = run_layer(kGruReverse, {kX3,
                             Tensor({1, 2, 3, 1, 1}, {-0.14, 0.58, 0.97, -0.26, 0.94, 0.86})});
  REQUIRE(out.size() == 2);
  check_tensor(out[0], {3, 2, 3, 1, 1},
               {0.25189945, 0.35355939, 0.90872242, 0.34321211, 0.62279136, 0.85236406, 0.23388534, 0.30793337,
                0.64915611, 0.57710581, 0.62243167, 0.75691746, 0.4682973, 0.33185889, 0.64859049, 0.88119719,
                0.747824, 0.76763368},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {0.4682973, 0.33185889, 0.64859049, 0.88119719, 0.747824, 0.76763368},
               kAtol, kRtol);
}

TEST_CASE("recurrent: uniDirectionalLSTM peepholes, cell clip 0.5, initial h and c, forgetBias adds nothing") {
  const auto out = run_layer(kLstmPeephole, {kX4,
                             Tensor({1, 2, 3, 1, 1}, {-0.14, 0.58, 0.97, -0.26, 0.94, 0.86}),
                             Tensor({1, 2, 3, 1, 1}, {-0.48, 0.96, -1.26, -0.86, -0.84, -0.34})});
  REQUIRE(out.size() == 3);
  check_tensor(out[0], {4, 2, 3, 1, 1},
               {-0.01147707, 0.086775727, 0.13750144, -0.0287502, -0.4079849, 0.13818073, 0.17018466, 0.020100664,
                0.16129008, 0.11741862, -0.018151921, 0.13525577, 0.23838033, 0.11073192, 0.20229855, 0.040414267,
                -0.051868894, 0.12639782, 0.13654924, 0.035112061, 0.1972556, 0.19503683, 0.029146408, 0.19686676},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {0.13654924, 0.035112061, 0.1972556, 0.19503683, 0.029146408, 0.19686676},
               kAtol, kRtol);
  check_tensor(out[2], {1, 2, 3, 1, 1},
               {0.5, 0.045174666, 0.5, 0.5, 0.037212883, 0.5},
               kAtol, kRtol);
}

TEST_CASE("recurrent: uniDirectionalLSTM coupled gates, reverseInput, scaledTanh and ReLU, zero states for a 1-input layer") {
  const auto out = run_layer(kLstmCoupled, {kX4});
  REQUIRE(out.size() == 3);
  check_tensor(out[0], {1, 2, 3, 1, 1},
               {0.099492996, 0.085382707, 0.39674718, 0.13679437, 0.019021002, 0.42808369},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 3, 1, 1},
               {0.099492996, 0.085382707, 0.39674718, 0.13679437, 0.019021002, 0.42808369},
               kAtol, kRtol);
  check_tensor(out[2], {1, 2, 3, 1, 1},
               {1.1388507, 0.14803314, 0.98678064, 1.134163, 0.025986781, 1.1294088},
               kAtol, kRtol);
}

TEST_CASE("recurrent: biDirectionalLSTM sequence output aligns the backward direction to input time") {
  const auto out = run_layer(kBiLstmSequence, {kX3,
                             Tensor({1, 2, 2, 1, 1}, {-0.61, 0.81, 0.07, 0.46}),
                             Tensor({1, 2, 2, 1, 1}, {0.85, 0.58, 0.73, 0.12}),
                             Tensor({1, 2, 2, 1, 1}, {0.52, 0.91, -0.12, 0.4}),
                             Tensor({1, 2, 2, 1, 1}, {0.91, -0.52, -0.86, -0.04})});
  REQUIRE(out.size() == 5);
  check_tensor(out[0], {3, 2, 4, 1, 1},
               {0.38670777, 0.22833832, 0.32152345, -0.29411308, 0.30411857, 0.0009685229, -0.66433374,
                -0.69723329, 0.26993456, 0.17931039, 0.35199452, -0.27984538, 0.23018984, 0.00083215713,
                -0.30572933, -0.51823466, 0.39485277, 0.21767389, 0.1958858, -0.37441428, 0.37086443, 0.099877058,
                -0.039635512, -0.37763067},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 2, 1, 1},
               {0.39485277, 0.21767389, 0.37086443, 0.099877058},
               kAtol, kRtol);
  check_tensor(out[2], {1, 2, 2, 1, 1},
               {0.56296347, 0.52236308, 0.56140413, 0.23680777},
               kAtol, kRtol);
  check_tensor(out[3], {1, 2, 2, 1, 1},
               {0.32152345, -0.29411308, -0.66433374, -0.69723329},
               kAtol, kRtol);
  check_tensor(out[4], {1, 2, 2, 1, 1},
               {0.71893272, -0.38508458, -0.99126826, -1.1365546},
               kAtol, kRtol);
}

TEST_CASE("recurrent: biDirectionalLSTM last-step output joins the final forward and backward states") {
  const auto out = run_layer(kBiLstmLast, {kX3,
                             Tensor({1, 2, 2, 1, 1}, {-0.61, 0.81, 0.07, 0.46}),
                             Tensor({1, 2, 2, 1, 1}, {0.85, 0.58, 0.73, 0.12}),
                             Tensor({1, 2, 2, 1, 1}, {0.52, 0.91, -0.12, 0.4}),
                             Tensor({1, 2, 2, 1, 1}, {0.91, -0.52, -0.86, -0.04})});
  REQUIRE(out.size() == 5);
  check_tensor(out[0], {1, 2, 4, 1, 1},
               {0.39485277, 0.21767389, 0.32152345, -0.29411308, 0.37086443, 0.099877058, -0.66433374, -0.69723329},
               kAtol, kRtol);
  check_tensor(out[1], {1, 2, 2, 1, 1},
               {0.39485277, 0.21767389, 0.37086443, 0.099877058},
               kAtol, kRtol);
  check_tensor(out[2], {1, 2, 2, 1, 1},
               {0.56296347, 0.52236308, 0.56140413, 0.23680777},
               kAtol, kRtol);
  check_tensor(out[3], {1, 2, 2, 1, 1},
               {0.32152345, -0.29411308, -0.66433374, -0.69723329},
               kAtol, kRtol);
  check_tensor(out[4], {1, 2, 2, 1, 1},
               {0.71893272, -0.38508458, -0.99126826, -1.1365546},
               kAtol, kRtol);
}
TEST_CASE("recurrent: biDirectionalLSTM 2 threads on a larger layer match NumPy") {
  // Weights from the formula the reference script uses: 0.5 * sin(0.37 * k + seed).
  constexpr std::int64_t kSeq = 20, kBatch = 4, kInput = 32, kHidden = 16;
  auto formula = [](std::int64_t count, double seed, double scale) {
    std::vector<float> values;
    for (std::int64_t k = 0; k < count; ++k)
      values.push_back(static_cast<float>(scale * 0.5 * std::sin(0.37 * static_cast<double>(k) + seed)));
    return values;
  };
  auto fill = [](CoreML::Specification::WeightParams* params, const std::vector<float>& values) {
    for (float v : values) params->add_floatvalue(v);
  };
  Layer layer = testing::layer_from_text(
      R"(name: "bi" input: "x" output: "y" output: "hf" output: "cf" output: "hb" output: "cb"
         biDirectionalLSTM { inputVectorSize: 32 outputVectorSize: 16
           activationsForwardLSTM { sigmoid {} } activationsForwardLSTM { tanh {} } activationsForwardLSTM { tanh {} }
           params { sequenceOutput: true hasBiasVectors: true } })");
  for (double seed : {100.0, 200.0}) {
    auto* w = layer.mutable_bidirectionallstm()->add_weightparams();
    CoreML::Specification::WeightParams* inputs[] = {w->mutable_inputgateweightmatrix(), w->mutable_forgetgateweightmatrix(),
                                                     w->mutable_blockinputweightmatrix(), w->mutable_outputgateweightmatrix()};
    CoreML::Specification::WeightParams* recursions[] = {
        w->mutable_inputgaterecursionmatrix(), w->mutable_forgetgaterecursionmatrix(),
        w->mutable_blockinputrecursionmatrix(), w->mutable_outputgaterecursionmatrix()};
    CoreML::Specification::WeightParams* biases[] = {w->mutable_inputgatebiasvector(), w->mutable_forgetgatebiasvector(),
                                                     w->mutable_blockinputbiasvector(), w->mutable_outputgatebiasvector()};
    for (int g = 0; g < 4; ++g) {
      fill(inputs[g], formula(kHidden * kInput, seed + g, 0.3));
      fill(recursions[g], formula(kHidden * kHidden, seed + 10 + g, 0.3));
      fill(biases[g], formula(kHidden, seed + 20 + g, 1.0));
    }
  }
  Tensor x({kSeq, kBatch, kInput, 1, 1}, formula(kSeq * kBatch * kInput, 0.0, 1.0));
  const auto out = run_layer(layer, {x}, LayerRun{.threads = 2});
  REQUIRE(out.size() == 5);
  const Tensor& y = out[0];
  REQUIRE(y.shape() == Shape{kSeq, kBatch, 2 * kHidden, 1, 1});
  double sum = 0;
  double sum_abs = 0;
  for (float v : y.values()) {
    sum += v;
    sum_abs += std::fabs(v);
  }
  // NumPy: y.sum(), np.abs(y).sum()
  CHECK(sum == doctest::Approx(-99.547111).epsilon(1e-5));
  CHECK(sum_abs == doctest::Approx(239.42222).epsilon(1e-5));
  // NumPy: y[7, 2, :]
  const std::vector<float> row(y.data() + (7 * kBatch + 2) * 2 * kHidden, y.data() + (7 * kBatch + 3) * 2 * kHidden);
  check_tensor(Tensor({2 * kHidden}, row), {2 * kHidden},
               {-0.0052923828, -0.12347698, -0.11196544, -0.090116737, -0.068682686, 0.012866825, -0.026938685,
                -0.088555494, -0.07818021, -0.097839422, -0.15467342, -0.15227592, -0.033578799, 0.19028942,
                0.22787793, 0.067536636, -0.086414467, -0.13673493, -0.073208585, -0.025875689, 0.0010911731,
                -0.073582365, -0.13291968, -0.11000541, -0.14390681, -0.19201198, -0.17650393, -0.1179104,
                0.069272148, 0.11595149, -0.020801608, 0.096410866},
               kAtol, kRtol);
}

TEST_CASE("recurrent: parameter and shape errors name what is wrong") {
  const std::string gru_weights =
      R"(updateGateWeightMatrix { floatValue: [1, 2] } resetGateWeightMatrix { floatValue: [1, 2] }
         outputGateWeightMatrix { floatValue: [1, 2] } updateGateRecursionMatrix { floatValue: [1] }
         resetGateRecursionMatrix { floatValue: [1] } outputGateRecursionMatrix { floatValue: [1] })";
  auto gru = [&](const std::string& settings) {
    return R"(name: "g" input: "x" output: "y" gru { inputVectorSize: 2 outputVectorSize: 1 )" + settings + " " +
           gru_weights + " }";
  };
  const std::string ok_activations = "activations { sigmoid {} } activations { tanh {} }";
  const Tensor x({1, 1, 2, 1, 1}, {1, 2});

  CHECK_THROWS_WITH_AS(run_layer(gru("activations { sigmoid {} }"), {x}),
                       "layer 'g' (gru): activations holds 1 activations; expected 2 [f for the update and reset "
                       "gates, g for the output]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(gru("activations { sigmoid {} } activations { leakyReLU {} }"), {x}),
                       "layer 'g' (gru): activations[1] is leakyReLU; recurrent layers support only linear, sigmoid, "
                       "tanh, ReLU, scaledTanh and sigmoidHard",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(gru(ok_activations), {Tensor({1, 1, 3, 1, 1}, {1, 2, 3})}),
                       "layer 'g' (gru): the input [1, 1, 3, 1, 1] holds vectors of 3 values (C * H * W); "
                       "inputVectorSize is 2",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(gru(ok_activations), {Tensor({1, 2}, {1, 2})}),
                       "layer 'g' (gru): the input must be a rank-5 sequence [Seq, Batch, inputVectorSize, 1, 1]; "
                       "got [1, 2]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "g" input: "x" input: "h0" output: "y" gru { inputVectorSize: 2
                                    outputVectorSize: 1 )" + ok_activations + " " + gru_weights + " }",
                                 {x, Tensor({1, 2, 1, 1, 1}, {0, 0})}),
                       "layer 'g' (gru): initial h (input 1) has shape [1, 2, 1, 1, 1]; expected 1 values, "
                       "[1, 1, 1, 1, 1]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(gru(ok_activations + " hasBiasVectors: true"), {x}),
                       "layer 'g' (gru): weights 'updateGateBiasVector' are missing", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "x" output: "y" simpleRecurrent { inputVectorSize: 2
                                    outputVectorSize: 1 activation { tanh {} } weightMatrix { floatValue: [1, 2, 3] }
                                    recursionMatrix { floatValue: [1] } })",
                                 {x}),
                       "layer 'r' (simpleRecurrent): weights 'weightMatrix' hold 3 values; expected 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "x" output: "y" simpleRecurrent { inputVectorSize: 0
                                    outputVectorSize: 1 activation { tanh {} } })",
                                 {x}),
                       "layer 'r' (simpleRecurrent): inputVectorSize is 0; expected 1 to 16777216", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "l" input: "x" output: "y" uniDirectionalLSTM { inputVectorSize: 2
                                    outputVectorSize: 1 activations { sigmoid {} } activations { tanh {} }
                                    activations { tanh {} } params { cellClipThreshold: -1 } })",
                                 {x}),
                       "layer 'l' (uniDirectionalLSTM): params.cellClipThreshold is -1.000000; expected 0 (meaning "
                       "50) or a positive value",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "b" input: "x" output: "y" biDirectionalLSTM { inputVectorSize: 2
                                    outputVectorSize: 1 activationsForwardLSTM { sigmoid {} }
                                    activationsForwardLSTM { tanh {} } activationsForwardLSTM { tanh {} }
                                    weightParams {} })",
                                 {x}),
                       "layer 'b' (biDirectionalLSTM): weightParams holds 1 weight sets; expected 2 (forward, "
                       "backward)",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "l" input: "x" input: "a" input: "b" input: "c" output: "y"
                                    uniDirectionalLSTM { inputVectorSize: 2 outputVectorSize: 1 })",
                                 {x, x, x, x}),
                       "layer 'l' (uniDirectionalLSTM): takes 1 to 3 inputs [x, initial h, initial c]; the layer "
                       "has 4",
                       Error);
}

}  // namespace
}  // namespace mlconv::exec
