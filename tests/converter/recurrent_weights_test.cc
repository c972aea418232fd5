// The ONNX -> Core ML recurrent weight layout (converter/export/recurrent_weights.h).
// Expected blocks were worked out with NumPy: slice W/R/B/P per ONNX gate block and
// list them in Core ML's gate order, biases as W bias + R bias.
#include <doctest/doctest.h>

#include <numeric>

#include "converter/export/recurrent_weights.h"

namespace mlconv::test {
namespace {

using converter::RecurrentOp;

std::vector<float> iota_from(std::size_t n, float first) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST_CASE("recurrent weights: LSTM gates i, o, f, c become input, forget, block input, output (backward direction)") {
  // hidden 2, input 1, two directions; W = arange, R = 100 + arange, B = 1000 + arange, P = 0.5 * arange.
  const auto w = iota_from(2 * 4 * 2 * 1, 0.0F);
  const auto r = iota_from(2 * 4 * 2 * 2, 100.0F);
  const auto b = iota_from(2 * 8 * 2, 1000.0F);
  std::vector<float> p = iota_from(2 * 3 * 2, 0.0F);
  for (auto& v : p) v *= 0.5F;
  const auto g = converter::recurrent_gate_weights(RecurrentOp::lstm, w, r, b, p, 1, 2, 1);
  using V = std::vector<float>;
  CHECK(g.input_matrices == std::vector<V>{{8, 9}, {12, 13}, {14, 15}, {10, 11}});
  CHECK(g.recursion_matrices ==
        std::vector<V>{{116, 117, 118, 119}, {124, 125, 126, 127}, {128, 129, 130, 131}, {120, 121, 122, 123}});
  CHECK(g.biases == std::vector<V>{{2040, 2042}, {2048, 2050}, {2052, 2054}, {2044, 2046}});
  CHECK(g.peepholes == std::vector<V>{{3, 3.5F}, {5, 5.5F}, {4, 4.5F}});
}

TEST_CASE("recurrent weights: GRU keeps z, r, h as update, reset, output and sums the two bias halves") {
  const auto w = iota_from(3 * 1 * 2, 0.0F);
  const std::vector<float> r{7, 8, 9};
  const std::vector<float> b{1, 2, 3, 10, 20, 30};
  const auto g = converter::recurrent_gate_weights(RecurrentOp::gru, w, r, b, {}, 0, 1, 2);
  using V = std::vector<float>;
  CHECK(g.input_matrices == std::vector<V>{{0, 1}, {2, 3}, {4, 5}});
  CHECK(g.recursion_matrices == std::vector<V>{{7}, {8}, {9}});
  CHECK(g.biases == std::vector<V>{{11}, {22}, {33}});
  CHECK(g.peepholes.empty());
}

TEST_CASE("recurrent weights: RNN has one gate; without B there are no biases") {
  const std::vector<float> w{1, 2, 3, 4};  // [dirs 2, h 1, in 2]
  const std::vector<float> r{5, 6};
  const auto g = converter::recurrent_gate_weights(RecurrentOp::rnn, w, r, {}, {}, 1, 1, 2);
  CHECK(g.input_matrices == std::vector<std::vector<float>>{{3, 4}});
  CHECK(g.recursion_matrices == std::vector<std::vector<float>>{{6}});
  CHECK(g.biases.empty());
  CHECK(converter::recurrent_gate_count(RecurrentOp::lstm) == 4);
}

}  // namespace
}  // namespace mlconv::test
