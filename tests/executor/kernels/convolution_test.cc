// convolution and convolution3d kernels against NumPy references. Inputs,
// weights and biases come from patterns.h; the NumPy scripts that produced the
// expected values build the same arrays and apply the direct definitions
// (zero-pad, slide the dilated window, sum; deconvolution as scatter-add, then crop).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

using testing::bias_pattern;
using testing::check_summary;
using testing::check_tensor;
using testing::pattern_tensor;
using testing::weight_pattern;

void fill(CoreML::Specification::WeightParams* params, const std::vector<float>& values) {
  for (float v : values) params->add_floatvalue(v);
}

// A convolution layer from text plus pattern weights (and bias when the text sets hasBias).
Layer conv_layer(std::string_view text, std::int64_t weight_count) {
  Layer layer = testing::layer_from_text(text);
  auto* p = layer.mutable_convolution();
  fill(p->mutable_weights(), weight_pattern(weight_count));
  if (p->hasbias()) fill(p->mutable_bias(), bias_pattern(static_cast<std::int64_t>(p->outputchannels())));
  return layer;
}

Layer conv3d_layer(std::string_view text, std::int64_t weight_count) {
  Layer layer = testing::layer_from_text(text);
  auto* p = layer.mutable_convolution3d();
  fill(p->mutable_weights(), weight_pattern(weight_count));
  if (p->hasbias()) fill(p->mutable_bias(), bias_pattern(p->outputchannels()));
  return layer;
}

TEST_CASE("convolution: grouped, strided, dilated, explicit valid padding, bias") {
  // conv2d(x=X((1,4,5,6)), w=W(72).reshape(6,2,3,2), b=B(6), groups=2, stride=(2,1), dil=(1,2), pads t1 b0 l2 r1)
  const Layer layer = conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 6 kernelChannels: 2 nGroups: 2 kernelSize: [3, 2] stride: [2, 1] dilationFactor: [1, 2]
      valid { paddingAmounts { borderAmounts { startEdgeSize: 1 } borderAmounts { startEdgeSize: 2 endEdgeSize: 1 } } }
      hasBias: true })", 72);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 1, 4, 5, 6})});
  check_tensor(out[0], {1, 1, 6, 2, 7}, {-0.1015625, -0.4296875, -2.625, 0.34375, -0.28125, -0.1875, -0.140625, -0.9296875, -0.1953125, 0.3984375, -1.1015625, -1.1640625, 0.9296875, -0.234375, 0.15625, -0.2109375, 0.84375, -1.015625, 0.5390625, -0.78125, -0.3046875, -0.078125, -1.390625, 0.875, -0.5625, -0.5625, -0.203125, -1.484375, 0.4140625, 0.0078125, -2.0703125, 0.7421875, 0.3203125, 0.2578125, 0.421875, -0.5625, 0.234375, 0.7578125, -0.6171875, -0.5546875, 1.484375, 0.3828125, 0.515625, -0.0078125, 0.3046875, 0.7265625, -0.46875, 0.4921875, -0.5234375, 0.5078125, 0.796875, -2.09375, 1.546875, -0.0234375, 0.7421875, 0.7734375, 0.6171875, -0.2265625, 1.3828125, -0.171875, 1.5078125, 0.4921875, 1.3671875, 0.6953125, 1.015625, 1.9375, -1.1875, 0.5390625, 1.3671875, -0.28125, 1.015625, 0.59375, 0.828125, 1.453125, -0.078125, 1.0859375, -0.15625, 1.03125, 1.3828125, -1.6015625, 2.1640625, 0.359375, 1.25, 1.1875});
}

TEST_CASE("convolution: same padding puts the odd pad where asymmetryMode says") {
  // 4x4 kernel, stride 2 on 5x5: total padding 3; TOP_LEFT_HEAVY pads (2, 1), BOTTOM_RIGHT_HEAVY (1, 2)
  const char* top_left = R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 2 kernelChannels: 2 kernelSize: [4, 4] stride: [2, 2] same { asymmetryMode: TOP_LEFT_HEAVY } })";
  const char* bottom_right = R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 2 kernelChannels: 2 kernelSize: [4, 4] stride: [2, 2] same { } })";
  auto out = testing::run_layer(conv_layer(top_left, 64), {pattern_tensor({1, 1, 2, 5, 5})});
  check_tensor(out[0], {1, 1, 2, 3, 3}, {0.7109375, 0.1953125, 0.015625, -0.7421875, 1.0546875, -0.3671875, -0.5546875, 0.2578125, 0.140625, 0.6953125, -3.0390625, 0.5234375, 2.078125, -1.1953125, 0.6953125, 0.734375, 2.484375, 0.203125});
  out = testing::run_layer(conv_layer(bottom_right, 64), {pattern_tensor({1, 1, 2, 5, 5})});
  check_tensor(out[0], {1, 1, 2, 3, 3}, {1.1875, -1.0859375, 0.2265625, -0.84375, 0.671875, -1.21875, -0.140625, -1.2578125, -0.609375, 0.8125, -0.6015625, 0.9609375, 1.8359375, -1.96875, 0.1953125, -0.859375, -0.4765625, 0.109375});
}

TEST_CASE("convolution: depthwise, dilated and strided, same padding, bias") {
  // conv2d(X((1,3,5,6)), W(27).reshape(3,1,3,3), B(3), groups=3, stride=(2,2), dil=(2,1), pads t2 b2 l0 r1)
  const Layer layer = conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 3 kernelChannels: 1 nGroups: 3 kernelSize: [3, 3] stride: [2, 2] dilationFactor: [2, 1]
      same { } hasBias: true })", 27);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 1, 3, 5, 6})});
  check_tensor(out[0], {1, 1, 3, 3, 3}, {-0.265625, -0.8671875, 0.0078125, -0.328125, 0.640625, -1.5390625, 0.15625, -0.2421875, -1.1640625, -0.796875, -1.1328125, 0.8125, -1.6015625, 2, 0.3125, 1.0703125, -1.0390625, -0.265625, -0.9765625, 0.59375, 1.28125, 2.0390625, 1.4921875, -0.9375, -0.9765625, -0.4609375, -0.3203125});
}

// The 3x3 depthwise path (taps summed in registers, zero rows above and below, border columns
// bounds-checked), 1 and 2 threads. NumPy: x = np.arange(C*H*W)*0.25 + start, w = np.arange(18)*0.125 - 1,
// b = [0.5, -0.25]; zero-pad, then out[c, oy, ox] = b[c] + sum(w[c] * xp[c, oy*s:oy*s+3, ox*s:ox*s+3]).
TEST_CASE("convolution: 3x3 depthwise, stride 1 and 2, same padding, bias") {
  auto layer = [](int stride) {
    Layer l = testing::layer_from_text("name: \"c\" input: \"x\" output: \"y\" convolution { outputChannels: 2 "
                                       "kernelChannels: 1 nGroups: 2 kernelSize: [3, 3] same { } hasBias: true stride: [" +
                                       std::to_string(stride) + ", " + std::to_string(stride) + "] }");
    for (int i = 0; i < 18; ++i) l.mutable_convolution()->mutable_weights()->add_floatvalue(i * 0.125F - 1);
    l.mutable_convolution()->mutable_bias()->add_floatvalue(0.5F);
    l.mutable_convolution()->mutable_bias()->add_floatvalue(-0.25F);
    return l;
  };
  for (int threads : {1, 2}) {
    const testing::LayerRun run{.threads = threads};
    // stride 2 on 7x8: pads top 1, bottom 1, left 0, right 1 (bottom-right heavy)
    std::vector<float> expected = {23.78125, 22.84375, 21.90625, 16.84375, 44.5625, 42.3125, 40.0625, 28.4375, 26.5625, 24.3125, 22.0625, 14.9375, 8.96875, 6.90625, 4.84375, 2.40625, 11.96875, 14.40625, 16.84375, 11.40625, 33.96875, 36.78125, 39.59375, 25.15625, 56.46875, 59.28125, 62.09375, 38.65625, 33.15625, 34.46875, 35.78125, 20.96875};
    Tensor x = testing::arange({1, 1, 2, 7, 8});
    for (std::int64_t i = 0; i < x.size(); ++i) x.data()[i] = x.data()[i] * 0.25F - 13;
    auto out = testing::run_layer(layer(2), {x}, run);
    check_tensor(out[0], {1, 1, 2, 4, 4}, expected);
    // stride 1 on 5x6: pads 1 all round
    x = testing::arange({1, 1, 2, 5, 6});
    for (std::int64_t i = 0; i < x.size(); ++i) x.data()[i] = x.data()[i] * 0.25F - 7;
    out = testing::run_layer(layer(1), {x}, run);
    check_tensor(out[0], {1, 1, 2, 5, 6}, {7.21875, 12.71875, 12.25, 11.78125, 11.3125, 8.78125, 16.90625, 27.6875, 26.5625, 25.4375, 24.3125, 17.5625, 12.96875, 20.9375, 19.8125, 18.6875, 17.5625, 12.5, 9.03125, 14.1875, 13.0625, 11.9375, 10.8125, 7.4375, 5.15625, 7.65625, 6.625, 5.59375, 4.5625, 2.96875, 5.15625, 8.03125, 9.25, 10.46875, 11.6875, 7.46875, 10.8125, 15.96875, 17.375, 18.78125, 20.1875, 12.59375, 17.0, 24.40625, 25.8125, 27.21875, 28.625, 17.65625, 23.1875, 32.84375, 34.25, 35.65625, 37.0625, 22.71875, 12.09375, 16.46875, 17.125, 17.78125, 18.4375, 10.65625});
  }
}

// Stride 1 goes through an explicitly padded copy of each plane; asymmetric padding puts
// the input off-centre in it. NumPy as above with x = np.arange(40) * 0.25 - 3 on 2x4x5,
// np.pad(x, ((0, 0), (0, 2), (2, 0))): pads top 0, bottom 2, left 2, right 0.
TEST_CASE("convolution: 3x3 depthwise, stride 1, asymmetric valid padding") {
  Layer layer = testing::layer_from_text(
      "name: \"c\" input: \"x\" output: \"y\" convolution { outputChannels: 2 kernelChannels: 1 nGroups: 2 "
      "kernelSize: [3, 3] stride: [1, 1] hasBias: true valid { paddingAmounts { "
      "borderAmounts { startEdgeSize: 0 endEdgeSize: 2 } borderAmounts { startEdgeSize: 2 endEdgeSize: 0 } } } }");
  for (int i = 0; i < 18; ++i) layer.mutable_convolution()->mutable_weights()->add_floatvalue(i * 0.125F - 1);
  layer.mutable_convolution()->mutable_bias()->add_floatvalue(0.5F);
  layer.mutable_convolution()->mutable_bias()->add_floatvalue(-0.25F);
  Tensor x = testing::arange({1, 1, 2, 4, 5});
  for (std::int64_t i = 0; i < x.size(); ++i) x.data()[i] = x.data()[i] * 0.25F - 3;
  for (int threads : {1, 2}) {
    const auto out = testing::run_layer(layer, {x}, testing::LayerRun{.threads = threads});
    check_tensor(out[0], {1, 1, 2, 4, 5},
                 {3.40625, 6.6875, 10.25, 9.125, 8.0, 2.0, 3.40625, 4.625, 3.5, 2.375, 0.59375, 0.375, -0.21875, -1.25,
                  -2.28125, -0.0625, -0.90625, -2.0625, -2.71875, -3.375, 8.0, 15.59375, 22.4375, 23.84375, 25.25, 10.8125,
                  20.75, 29.46875, 30.875, 32.28125, 5.75, 10.75, 14.6875, 15.34375, 16.0, 1.90625, 3.4375, 4.3125, 4.5,
                  4.6875});
  }
}

// Stride 2 with asymmetric padding and an odd width: the first input column lands under
// either tap column, and the row's end is bounds-checked. NumPy as above with
// x = np.arange(126) * 0.25 - 10 on 2x7x9, padded (top, bottom, left, right) as below.
TEST_CASE("convolution: 3x3 depthwise, stride 2, asymmetric valid padding") {
  auto layer = [](int top, int bottom, int left, int right) {
    Layer l = testing::layer_from_text(
        "name: \"c\" input: \"x\" output: \"y\" convolution { outputChannels: 2 kernelChannels: 1 nGroups: 2 "
        "kernelSize: [3, 3] stride: [2, 2] hasBias: true valid { paddingAmounts { borderAmounts { startEdgeSize: " +
        std::to_string(top) + " endEdgeSize: " + std::to_string(bottom) + " } borderAmounts { startEdgeSize: " +
        std::to_string(left) + " endEdgeSize: " + std::to_string(right) + " } } } }");
    for (int i = 0; i < 18; ++i) l.mutable_convolution()->mutable_weights()->add_floatvalue(i * 0.125F - 1);
    l.mutable_convolution()->mutable_bias()->add_floatvalue(0.5F);
    l.mutable_convolution()->mutable_bias()->add_floatvalue(-0.25F);
    return l;
  };
  Tensor x = testing::arange({1, 1, 2, 7, 9});
  for (std::int64_t i = 0; i < x.size(); ++i) x.data()[i] = x.data()[i] * 0.25F - 10;
  for (int threads : {1, 2}) {
    const testing::LayerRun run{.threads = threads};
    auto out = testing::run_layer(layer(2, 0, 1, 2), {x}, run);
    check_tensor(out[0], {1, 1, 2, 4, 5},
                 {1.75, 4.125, 3.9375, 3.75, 3.5625, 23.9375, 38.375, 36.125, 33.875, 23.75, 12.125, 18.125, 15.875, 13.625,
                  8.5625, 0.3125, -2.125, -4.375, -6.625, -6.625, 12.25, 18.5625, 20.0625, 21.5625, 14.0625, 36.6875,
                  52.8125, 55.625, 58.4375, 36.5, 55.25, 78.125, 80.9375, 83.75, 51.6875, 73.8125, 103.4375, 106.25,
                  109.0625, 66.875});
    out = testing::run_layer(layer(0, 1, 2, 0), {x}, run);
    check_tensor(out[0], {1, 1, 2, 3, 5},
                 {10.90625, 39.5, 37.25, 35.0, 32.75, 5.84375, 19.25, 17.0, 14.75, 12.5, 0.78125, -1.0, -3.25, -5.5, -7.75,
                  19.4375, 51.40625, 54.21875, 57.03125, 59.84375, 29.5625, 76.71875, 79.53125, 82.34375, 85.15625,
                  39.6875, 102.03125, 104.84375, 107.65625, 110.46875});
  }
}

TEST_CASE("convolution: deconvolution with groups, stride 2, asymmetric valid padding, bias") {
  // deconv2d(X((1,4,2,3)), W(72).reshape(4,2,3,3), B(4), groups=2, stride=(2,2)): full 5x7, crop top 1, right 2
  const Layer layer = conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 4 kernelChannels: 4 nGroups: 2 kernelSize: [3, 3] stride: [2, 2] isDeconvolution: true
      valid { paddingAmounts { borderAmounts { startEdgeSize: 1 } borderAmounts { endEdgeSize: 2 } } }
      hasBias: true })", 72);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 1, 4, 2, 3})});
  check_tensor(out[0], {1, 1, 4, 4, 5}, {-0.4296875, -0.2109375, -0.1640625, -0.609375, -0.2421875, -1.78125, -0.03125, 0.5859375, -0.3671875, -1.8046875, -0.4375, -0.6875, -1.296875, -0.546875, -0.1171875, 0, -0.25, -0.0703125, -1.09375, -1.6796875, -0.2890625, -0.0703125, -0.0546875, -0.390625, 0.0234375, 0.1171875, -1.546875, 0.21875, 0.5859375, 0.453125, -0.0625, -0.3125, -1.078125, -0.453125, -0.1015625, -0.8125, 0.125, 0.296875, 0.3359375, -0.1796875, -0.796875, 0.6171875, 1.0078125, 0.53125, 0.5546875, 0.3828125, 0.1953125, -0.8046875, -0.71875, -0.375, -0.890625, 0.1796875, 0.7265625, 0.09375, 0.2734375, 0.2421875, 0.2734375, -1.0390625, -0.28125, 0.46875, 0.15625, -0.65625, 0.0703125, 0.671875, 0.75, 0.7265625, 0.5390625, 0.3828125, -0.21875, -1.671875, 0.53125, -0.625, 0.1328125, 0.703125, 0.8125, 0.4765625, 0.5078125, 0.4453125, 0.03125, -0.328125});
}

TEST_CASE("convolution: deconvolution same padding and explicit outputShape") {
  // deconv2d(X((1,2,2,2)), W(18).reshape(2,1,3,3), stride 2): full 5x5, output 4x4 cropped at (0,0) for
  // BOTTOM_RIGHT_HEAVY and (1,1) for TOP_LEFT_HEAVY; outputShape [5, 3] with valid left padding 1 crops at (0,1)
  const char* base = R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 1 kernelChannels: 2 kernelSize: [3, 3] stride: [2, 2] isDeconvolution: true )";
  auto out = testing::run_layer(conv_layer(std::string(base) + "same { } }", 18), {pattern_tensor({1, 1, 2, 2, 2})});
  check_tensor(out[0], {1, 1, 1, 4, 4}, {0.546875, -0.7109375, -0.3125, 0.8359375, -0.109375, 0.265625, 0.4296875, 0.0078125, -0.4609375, -1.0625, 0.640625, 0.5, 0.046875, 0.109375, 0.1171875, -0.1484375});
  out = testing::run_layer(conv_layer(std::string(base) + "same { asymmetryMode: TOP_LEFT_HEAVY } }", 18),
                           {pattern_tensor({1, 1, 2, 2, 2})});
  check_tensor(out[0], {1, 1, 1, 4, 4}, {0.265625, 0.4296875, 0.0078125, 0.2265625, -1.0625, 0.640625, 0.5, -0.1171875, 0.109375, 0.1171875, -0.1484375, -0.2421875, 0, 0.9140625, 0.015625, -0.078125});
  out = testing::run_layer(
      conv_layer(std::string(base) +
                     "valid { paddingAmounts { borderAmounts { } borderAmounts { startEdgeSize: 1 } } } outputShape: [5, 3] }",
                 18),
      {pattern_tensor({1, 1, 2, 2, 2})});
  check_tensor(out[0], {1, 1, 1, 5, 3}, {-0.7109375, -0.3125, 0.8359375, 0.265625, 0.4296875, 0.0078125, -1.0625, 0.640625, 0.5, 0.109375, 0.1171875, -0.1484375, 0, 0.9140625, 0.015625});
}

TEST_CASE("convolution: weights from a second input") {
  // conv2d(X((1,2,4,4)), W(24).reshape(3,2,2,2)), stride 1, valid
  const auto out = testing::run_layer(R"(name: "c" input: "x" input: "w" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 kernelSize: [2, 2] valid { } })",
                                      {pattern_tensor({1, 2, 4, 4}), Tensor({3, 2, 2, 2}, weight_pattern(24))},
                                      {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 3, 3, 3}, {0.4140625, -1.078125, 0.125, -0.5234375, 0.5, 0.265625, -0.7421875, -0.4375, 0.5859375, -0.6328125, 0.7421875, 0.3203125, -0.1640625, -0.765625, 0.7890625, 1.0234375, -0.296875, -0.8984375, 0.1015625, 0.3359375, 1.109375, -0.3984375, 0.1953125, -0.46875, -0.1796875, -0.3046875, 0.2890625});
}

TEST_CASE("convolution: rank-3 ND input keeps rank 3") {
  // The same numbers as the dynamic-weights case, through static weights on a [C, H, W] input
  const auto out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 kernelSize: [2, 2] valid { } })", 24),
                                      {pattern_tensor({2, 4, 4})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {3, 3, 3}, {0.4140625, -1.078125, 0.125, -0.5234375, 0.5, 0.265625, -0.7421875, -0.4375, 0.5859375, -0.6328125, 0.7421875, 0.3203125, -0.1640625, -0.765625, 0.7890625, 1.0234375, -0.296875, -0.8984375, 0.1015625, 0.3359375, 1.109375, -0.3984375, 0.1953125, -0.46875, -0.1796875, -0.3046875, 0.2890625});
}

TEST_CASE("convolution: multi-threaded runs (im2col tiles, pointwise, depthwise, deconvolution)") {
  const testing::LayerRun two{.threads = 2};
  // conv2d(X((2,5,13,11)), W(180).reshape(4,5,3,3), B(4), stride 1, pads 1 all round) -- two sequence items
  auto out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 4 kernelChannels: 5 kernelSize: [3, 3] same { } hasBias: true })", 180),
                                {pattern_tensor({2, 1, 5, 13, 11})}, two);
  check_summary(out[0], {2, 1, 4, 13, 11}, -142.8125, -559.335938);
  CHECK(out[0].data()[571] == doctest::Approx(-0.109375));
  // pointwise: conv2d(X((1,6,12,12)), W(30).reshape(5,6,1,1), B(5))
  out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 5 kernelChannels: 6 kernelSize: [1, 1] valid { } hasBias: true })", 30),
                           {pattern_tensor({1, 1, 6, 12, 12})}, two);
  check_summary(out[0], {1, 1, 5, 12, 12}, 1.578125, 7.546875);
  CHECK(out[0].data()[500] == doctest::Approx(0.8046875));
  // depthwise: conv2d(X((1,4,12,10)), W(36).reshape(4,1,3,3), groups 4, pads 1 all round)
  out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 4 kernelChannels: 1 nGroups: 4 kernelSize: [3, 3]
      valid { paddingAmounts { borderAmounts { startEdgeSize: 1 endEdgeSize: 1 } borderAmounts { startEdgeSize: 1 endEdgeSize: 1 } } } })",
                                      36),
                           {pattern_tensor({1, 1, 4, 12, 10})}, two);
  check_summary(out[0], {1, 1, 4, 12, 10}, -1.234375, 15.0859375);
  // deconv2d(X((1,4,9,8)), W(128).reshape(4,2,4,4), B(4), groups 2, stride 2, crop 1 on every side)
  out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 4 kernelChannels: 4 nGroups: 2 kernelSize: [4, 4] stride: [2, 2] isDeconvolution: true
      valid { paddingAmounts { borderAmounts { startEdgeSize: 1 endEdgeSize: 1 } borderAmounts { startEdgeSize: 1 endEdgeSize: 1 } } }
      hasBias: true })", 128),
                           {pattern_tensor({1, 1, 4, 9, 8})}, two);
  check_summary(out[0], {1, 1, 4, 18, 16}, -144.96875, -556.960938);
  CHECK(out[0].data()[777] == doctest::Approx(0.7109375));
}

TEST_CASE("convolution: 3x3 stride-1 layers with enough channels take the Winograd path") {
  // conv2d(X((2,16,13,12)), W(2592).reshape(18,16,3,3), B(18), pads 1 all round); outputs 13x12 (odd rows)
  auto out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 18 kernelChannels: 16 kernelSize: [3, 3] same { } hasBias: true })", 2592),
                                {pattern_tensor({2, 1, 16, 13, 12})}, {.threads = 2});
  check_summary(out[0], {2, 1, 18, 13, 12}, -162.539062, -668.289062);
  CHECK(out[0].data()[0] == doctest::Approx(2.25));
  CHECK(out[0].data()[4000] == doctest::Approx(6.53125));
  // conv2d(X((1,32,15,17)), W(4608).reshape(32,16,3,3), groups 2, pads top 2 bottom 0 left 0 right 1)
  out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 32 kernelChannels: 16 nGroups: 2 kernelSize: [3, 3]
      valid { paddingAmounts { borderAmounts { startEdgeSize: 2 } borderAmounts { endEdgeSize: 1 } } } })", 4608),
                           {pattern_tensor({1, 1, 32, 15, 17})});
  check_summary(out[0], {1, 1, 32, 15, 16}, -9.9453125, -46.375);
  CHECK(out[0].data()[0] == doctest::Approx(-2.359375));
  CHECK(out[0].data()[2999] == doctest::Approx(0.9765625));
}

TEST_CASE("convolution: an infinite weight gives infinities, not the NaN Winograd's transforms would make") {
  // 16 -> 16 channels, 3x3 on 14x14 (a Winograd shape); weight [0][0][0][0] is +inf and every input is 1,
  // so output channel 0 is +inf wherever its top-left tap reads the input, and the others stay finite.
  Layer layer = conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 16 kernelChannels: 16 kernelSize: [3, 3] same { } })", 2304);
  layer.mutable_convolution()->mutable_weights()->set_floatvalue(0, std::numeric_limits<float>::infinity());
  Tensor ones({1, 1, 16, 14, 14});
  std::fill(ones.data(), ones.data() + ones.size(), 1.0F);
  const auto out = testing::run_layer(layer, {ones});
  REQUIRE(out[0].shape() == Shape{1, 1, 16, 14, 14});
  for (std::int64_t y = 1; y < 14; ++y)
    for (std::int64_t x = 1; x < 14; ++x) CHECK(out[0].data()[y * 14 + x] == std::numeric_limits<float>::infinity());
  for (std::int64_t i = 196; i < out[0].size(); ++i) REQUIRE(std::isfinite(out[0].data()[i]));
}

TEST_CASE("convolution: a Winograd layer keeps only transformed weights and recovers them for a small output") {
  // conv2d(X((1,16,4,5)), W(2304).reshape(16,16,3,3), B(16), pads 1): 20 outputs, too few to pay for Winograd
  const auto out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 16 kernelChannels: 16 kernelSize: [3, 3] same { } hasBias: true })", 2304),
                                      {pattern_tensor({1, 1, 16, 4, 5})});
  check_summary(out[0], {1, 1, 16, 4, 5}, -4.625, -86.734375);
  CHECK(out[0].data()[0] == doctest::Approx(-2.25));
  CHECK(out[0].data()[200] == doctest::Approx(-1.5625));
}

TEST_CASE("convolution: small feature maps split output channels across threads") {
  const testing::LayerRun two{.threads = 2};
  // conv2d(X((1,8,3,3)), W(2880).reshape(40,8,3,3), B(40), pads 1): one column tile, two channel blocks
  auto out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 40 kernelChannels: 8 kernelSize: [3, 3] same { } hasBias: true })", 2880),
                                {pattern_tensor({1, 1, 8, 3, 3})}, two);
  check_summary(out[0], {1, 1, 40, 3, 3}, 1.6171875, -2.671875);
  CHECK(out[0].data()[200] == doctest::Approx(2.71875));
  // deconv2d(X((1,4,3,3)), W(128).reshape(4,8,2,2), stride 2): 32 GEMM rows in two blocks
  out = testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 8 kernelChannels: 4 kernelSize: [2, 2] stride: [2, 2] isDeconvolution: true valid { } })", 128),
                           {pattern_tensor({1, 1, 4, 3, 3})}, two);
  check_summary(out[0], {1, 1, 8, 6, 6}, -2.3125, -17.171875);
  CHECK(out[0].data()[100] == doctest::Approx(-0.5546875));
}

TEST_CASE("convolution: parameter and shape errors") {
  CHECK_THROWS_WITH_AS(testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 kernelSize: [2, 2] valid { } })", 24), {pattern_tensor({1, 1, 3, 4, 4})}),
                       "layer 'c' (convolution): input [1, 1, 3, 4, 4] has 3 channels; the layer expects 2 "
                       "(kernelChannels x nGroups)", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 nGroups: 2 kernelSize: [2, 2] valid { } })", 12), {pattern_tensor({1, 1, 4, 4, 4})}),
                       "layer 'c' (convolution): outputChannels 3 is not divisible by nGroups 2", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 kernelSize: [2, 2] valid { } })", 23), {pattern_tensor({1, 1, 2, 4, 4})}),
                       "layer 'c' (convolution): weights 'weights' hold 23 values; expected 24", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 1 kernelChannels: 1 kernelSize: [5, 2] valid { } })", 10), {pattern_tensor({1, 1, 1, 4, 4})}),
                       "layer 'c' (convolution): the height window 5 is larger than the padded input height 4 "
                       "(input 4 + padding 0)", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(R"(name: "c" input: "x" input: "w" output: "y" convolution {
      outputChannels: 1 kernelChannels: 1 kernelSize: [2, 2] isDeconvolution: true })",
                                          {pattern_tensor({1, 1, 1, 4, 4}), pattern_tensor({1, 1, 2, 2})}),
                       "layer 'c' (convolution): weights from a second input are not allowed for a deconvolution", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(R"(name: "c" input: "x" input: "w" output: "y" convolution {
      outputChannels: 3 kernelChannels: 2 kernelSize: [2, 2] })",
                                          {pattern_tensor({1, 2, 4, 4}), pattern_tensor({3, 2, 3, 3})},
                                          {.mapping = ShapeMapping::exact}),
                       "layer 'c' (convolution): the weights input has shape [3, 2, 3, 3]; expected [3, 2, 2, 2] "
                       "([outputChannels, kernelChannels, kernelHeight, kernelWidth])", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(conv_layer(R"(name: "c" input: "x" output: "y" convolution {
      outputChannels: 1 kernelChannels: 1 kernelSize: [2, 2, 2] })", 8), {pattern_tensor({1, 1, 1, 4, 4})}),
                       "layer 'c' (convolution): kernelSize must have 2 values [H, W]; got 3", Error);
}

TEST_CASE("convolution3d: grouped, strided, dilated, same padding, bias") {
  // conv3d(X((1,4,3,4,3)), W(32).reshape(2,2,2,2,2), B(2), groups 2, stride (1,2,1), dil (1,1,2),
  //        pads front 0 back 1, top 0 bottom 0, left 1 right 1)
  const Layer layer = conv3d_layer(R"(name: "c" input: "x" output: "y" convolution3d {
      outputChannels: 2 inputChannels: 4 nGroups: 2 kernelDepth: 2 kernelHeight: 2 kernelWidth: 2
      strideDepth: 1 strideHeight: 2 strideWidth: 1 dilationDepth: 1 dilationHeight: 1 dilationWidth: 2
      paddingType: SAME hasBias: true })", 32);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 4, 3, 4, 3})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 3, 2, 3}, {-1.1953125, 0.359375, -0.3203125, -1.1953125, -0.34375, 0.0546875, -0.4765625, -0.6875, -2.0859375, -1.1953125, -0.671875, -0.2734375, -0.1484375, 0.0234375, -1.296875, 0.1171875, -0.2265625, -0.9140625, -0.28125, 0.3828125, 0.0390625, -1.421875, -0.734375, -0.4765625, -1.125, -0.4140625, -0.8125, -0.2890625, 0.265625, -0.0703125, -0.140625, -0.0859375, -1.2421875, -0.03125, -0.0390625, -0.2265625});
}

TEST_CASE("convolution3d: custom padding, stride 2") {
  // conv3d(X((1,2,3,3,3)), W(16).reshape(1,2,2,2,2), stride 2, pads front 1 back 0 top 0 bottom 1 left 1 right 1)
  const Layer layer = conv3d_layer(R"(name: "c" input: "x" output: "y" convolution3d {
      outputChannels: 1 inputChannels: 2 kernelDepth: 2 kernelHeight: 2 kernelWidth: 2
      strideDepth: 2 strideHeight: 2 strideWidth: 2 dilationDepth: 1 dilationHeight: 1 dilationWidth: 1
      paddingType: CUSTOM customPaddingFront: 1 customPaddingBottom: 1 customPaddingLeft: 1 customPaddingRight: 1 })", 16);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 2, 3, 3, 3})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 1, 2, 2, 2}, {1.2109375, -0.734375, -0.1484375, -0.2265625, 0.0390625, 1.5546875, -0.7109375, -0.875});
}

TEST_CASE("convolution3d: grouped deconvolution, stride 2") {
  // deconv3d(X((1,2,1,2,2)), W(8).reshape(1,2,1,2,2) as [C_out/groups, C_in, kD, kH, kW], groups 2, stride (1,2,2))
  const Layer layer = conv3d_layer(R"(name: "c" input: "x" output: "y" convolution3d {
      outputChannels: 2 inputChannels: 2 nGroups: 2 kernelDepth: 1 kernelHeight: 2 kernelWidth: 2
      strideDepth: 1 strideHeight: 2 strideWidth: 2 dilationDepth: 1 dilationHeight: 1 dilationWidth: 1
      paddingType: VALID isDeconvolution: true })", 8);
  const auto out = testing::run_layer(layer, {pattern_tensor({1, 2, 1, 2, 2})}, {.mapping = ShapeMapping::exact});
  check_tensor(out[0], {1, 2, 1, 4, 4}, {0.515625, -0.7734375, -0.140625, 0.2109375, -0.4296875, -0.0859375, 0.1171875, 0.0234375, 0.28125, -0.421875, -0.375, 0.5625, -0.234375, -0.046875, 0.3125, 0.0625, 0.0234375, 0.0546875, 0.234375, 0.546875, -0.0625, -0.03125, -0.625, -0.3125, -0.09375, -0.21875, 0.1171875, 0.2734375, 0.25, 0.125, -0.3125, -0.15625});
}

TEST_CASE("convolution3d: parameter errors") {
  CHECK_THROWS_WITH_AS(testing::run_layer(conv3d_layer(R"(name: "c" input: "x" output: "y" convolution3d {
      outputChannels: 2 inputChannels: 2 kernelDepth: 1 kernelHeight: 2 kernelWidth: 2 strideDepth: 1 strideHeight: 1
      strideWidth: 1 dilationDepth: 1 dilationHeight: 1 })", 8), {pattern_tensor({1, 2, 2, 2, 2})}),
                       "layer 'c' (convolution3d): dilationWidth must be positive; got 0", Error);
  CHECK_THROWS_WITH_AS(testing::run_layer(conv3d_layer(R"(name: "c" input: "x" output: "y" convolution3d {
      outputChannels: 2 inputChannels: 3 kernelDepth: 1 kernelHeight: 1 kernelWidth: 1 strideDepth: 1 strideHeight: 1
      strideWidth: 1 dilationDepth: 1 dilationHeight: 1 dilationWidth: 1 })", 6), {pattern_tensor({1, 2, 2, 2, 2})}),
                       "layer 'c' (convolution3d): input [1, 2, 2, 2, 2] has 2 channels; inputChannels is 3", Error);
}

}  // namespace
}  // namespace mlconv::exec
