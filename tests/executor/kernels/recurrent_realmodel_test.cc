// Recurrent family on the recurrent layers of real converted models (fp16 GRU encoder, Keras LSTM
// decoder, Turi Create LSTM, Keras bidirectional LSTM). Expected values come from
// tests/executor/fixtures/recurrent_realmodels.py, an independent NumPy run of the spec's
// equations on the same weights, read with the protobuf Python runtime.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "spec/model_io.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::run_layer;

// 0.5 * sin(0.37 k + seed) * scale, the inputs the reference script uses.
std::vector<float> formula(std::int64_t count, double seed, double scale = 1.0) {
  std::vector<float> values;
  for (std::int64_t k = 0; k < count; ++k)
    values.push_back(static_cast<float>(scale * 0.5 * std::sin(0.37 * static_cast<double>(k) + seed)));
  return values;
}

Layer real_layer(const std::string& file, const std::string& name) {
  const spec::LoadedModel loaded = spec::load_model(std::string(MLCONV_REALMODELS_DIR) + "/" + file);
  const auto& model = loaded.model;
  const auto& layers =
      model.has_neuralnetwork() ? model.neuralnetwork().layers() : model.neuralnetworkclassifier().layers();
  for (const Layer& layer : layers)
    if (layer.name() == name) return layer;
  FAIL("no layer " << name << " in " << file);
  return {};
}

// Checks the sum, the sum of magnitudes and the first values of a tensor against the reference.
void check_summary(const Tensor& t, double sum, double sum_abs, const std::vector<float>& first) {
  double s = 0;
  double a = 0;
  for (float v : t.values()) {
    s += v;
    a += std::fabs(v);
  }
  CHECK(s == doctest::Approx(sum).epsilon(2e-5));
  CHECK(a == doctest::Approx(sum_abs).epsilon(2e-5));
  const std::vector<float> head(t.values().begin(), t.values().begin() + static_cast<std::ptrdiff_t>(first.size()));
  check_tensor(Tensor({static_cast<std::int64_t>(first.size())}, head), {static_cast<std::int64_t>(first.size())},
               first, 2e-5F, 1e-4F);
}

TEST_CASE("recurrent: real fp16 GRU encoder (forward and reverseInput layers) matches NumPy") {
  const char* file = "kodeco_mlt-materials__Es2EnBidirGruCharEncoder16Bit.mlmodel";
  const Tensor x({5, 1, 101, 1, 1}, formula(5 * 101, 0.0));
  const Tensor h0({1, 1, 512, 1, 1}, formula(512, 1.0, 0.2));
  const auto fwd = run_layer(real_layer(file, "fwd_enc_gru"), {x, h0});
  REQUIRE(fwd.size() == 2);
  CHECK(fwd[0].shape() == Shape{1, 1, 512, 1, 1});
  check_summary(fwd[1], -6.1569493, 240.41161,
                {0.71509061, 0.075144139, 0.32037211, -0.11205629, 0.49212678, 0.99980063});
  const auto rev = run_layer(real_layer(file, "rev_enc_gru"), {x, h0}, {.threads = 2});
  check_summary(rev[1], -19.007705, 292.33932,
                {0.87086927, -0.99999971, 0.75753744, 0.10532669, 0.42914025, -0.57910213});
}

TEST_CASE("recurrent: real fp16 LSTM decoder with sigmoidHard gates and forgetBias matches NumPy") {
  const Layer layer = real_layer("kodeco_mlt-materials__Es2EnCharDecoder16Bit.mlmodel", "decoder_lstm");
  const auto out = run_layer(
      layer, {Tensor({4, 1, 87, 1, 1}, formula(4 * 87, 2.0)), Tensor({1, 1, 256, 1, 1}, formula(256, 3.0, 0.2)),
              Tensor({1, 1, 256, 1, 1}, formula(256, 4.0))});
  REQUIRE(out.size() == 3);
  CHECK(out[0].shape() == Shape{4, 1, 256, 1, 1});
  check_summary(out[0], -40.803414, 226.75559, {-0.66604252, -0.22254417, -0.25285335, 0, -0.075773676, 0.15441531});
  check_summary(out[2], -27.471828, 163.63668, {-0.65535233, 1.1704675, 0.999602, 0, 0.38480264, 0.99546186});
}

TEST_CASE("recurrent: real Turi Create LSTM matches NumPy") {
  const Layer layer = real_layer("kodeco_mlt-materials__GestureClassifier.mlmodel", "lstm_layer");
  const Tensor zeros({1, 1, 200, 1, 1});
  const auto out = run_layer(layer, {Tensor({3, 1, 64, 1, 1}, formula(3 * 64, 5.0)), zeros, zeros});
  check_summary(out[1], -1.1011271, 12.188903,
                {0.064425418, 0.17379542, 0.086662015, 0.052663289, -0.070505465, -0.020641899});
  check_summary(out[2], -1.7108991, 24.0423,
                {0.11773101, 0.36267281, 0.17412171, 0.12700804, -0.15134266, -0.042672554});
}

TEST_CASE("recurrent: real Keras bidirectional LSTM matches NumPy") {
  const Layer layer =
      real_layer("mariozusag_activity-prediction-app__live_coreml_model_BiLSTM.mlmodel", "bidirectional_1");
  const Tensor zeros({1, 1, 100, 1, 1});
  const auto out =
      run_layer(layer, {Tensor({50, 1, 3, 1, 1}, formula(50 * 3, 6.0)), zeros, zeros, zeros, zeros}, {.threads = 2});
  REQUIRE(out.size() == 5);
  CHECK(out[0].shape() == Shape{1, 1, 200, 1, 1});
  check_summary(out[0], 1.0652071, 36.98474,
                {0.34278574, -0.41547984, -0.38584681, -0.29853441, -0.48745603, 0.38010088});
  check_summary(out[4], -1.2324721, 8.0327573,
                {-0.072606971, 0.062186392, -0.10542177, 0.12248402, -0.08651744, -0.0042803125});
}

}  // namespace
}  // namespace mlconv::exec
