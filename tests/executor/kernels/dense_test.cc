// innerProduct, batchedMatmul, embedding and embeddingND kernels against NumPy
// references (matrix products with np.matmul, lookups by column of the weights).
#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

using testing::bias_pattern;
using testing::check_summary;
using testing::check_tensor;
using testing::pattern_tensor;
using testing::run_layer;
using testing::weight_pattern;

const testing::LayerRun nd{.mapping = ShapeMapping::exact};

void fill(CoreML::Specification::WeightParams* params, const std::vector<float>& values) {
  for (float v : values) params->add_floatvalue(v);
}

Layer inner_product(std::int64_t in, std::int64_t out, bool bias) {
  Layer layer = testing::layer_from_text(R"(name: "d" input: "x" output: "y" innerProduct { })");
  auto* p = layer.mutable_innerproduct();
  p->set_inputchannels(static_cast<std::uint64_t>(in));
  p->set_outputchannels(static_cast<std::uint64_t>(out));
  p->set_hasbias(bias);
  fill(p->mutable_weights(), weight_pattern(in * out));
  if (bias) fill(p->mutable_bias(), bias_pattern(out));
  return layer;
}

TEST_CASE("innerProduct: rank-5 blob flattens C, H, W into the features") {
  // W(60).reshape(5,12) @ X((1,1,3,2,2)).reshape(12) + B(5)
  const auto out = run_layer(inner_product(12, 5, true), {pattern_tensor({1, 1, 3, 2, 2})});
  check_tensor(out[0], {1, 1, 5, 1, 1}, {1.5546875, -0.4453125, 2.15625, 1.34375, 1.421875});
}

TEST_CASE("innerProduct: ND ranks 1 to 4 follow the spec's reshape rules") {
  // X((2,3,4)) @ W(12).reshape(3,4).T
  auto out = run_layer(inner_product(4, 3, false), {pattern_tensor({2, 3, 4})}, nd);
  check_tensor(out[0], {2, 3, 3}, {0.5546875, -0.03125, 0.71875, -0.5390625, 0.6640625, -0.2109375, -0.734375, -0.6171875, 0.8359375, 0.8671875, -0.640625, -0.8125, -0.046875, 0.7734375, -0.484375, 0.65625, -0.6875, -0.6953125});
  out = run_layer(inner_product(4, 3, false), {pattern_tensor({6, 4})}, nd);
  check_tensor(out[0], {6, 3}, {0.5546875, -0.03125, 0.71875, -0.5390625, 0.6640625, -0.2109375, -0.734375, -0.6171875, 0.8359375, 0.8671875, -0.640625, -0.8125, -0.046875, 0.7734375, -0.484375, 0.65625, -0.6875, -0.6953125});
  // X((4,)) @ W.T
  out = run_layer(inner_product(4, 3, false), {pattern_tensor({4})}, nd);
  check_tensor(out[0], {3}, {0.5546875, -0.03125, 0.71875});
  // X((2,4,1,1)).reshape(2,4) @ W.T
  out = run_layer(inner_product(4, 3, false), {pattern_tensor({2, 4, 1, 1})}, nd);
  check_tensor(out[0], {2, 3, 1, 1}, {0.5546875, -0.03125, 0.71875, -0.5390625, 0.6640625, -0.2109375});
}

TEST_CASE("innerProduct: multi-threaded, one sample (split by outputs) and many (split by rows)") {
  // X((1,300)) @ W(60000).reshape(200,300).T + B(200)
  auto out = run_layer(inner_product(300, 200, true), {pattern_tensor({1, 300})}, {.mapping = ShapeMapping::exact, .threads = 2});
  check_summary(out[0], {1, 200}, -4.828125, 27.6796875);
  // X((64,40)) @ W(1200).reshape(30,40).T
  out = run_layer(inner_product(40, 30, false), {pattern_tensor({64, 40})}, {.mapping = ShapeMapping::exact, .threads = 2});
  check_summary(out[0], {64, 30}, -7.765625, -33.984375);
}

TEST_CASE("innerProduct: int8 weights with int8DynamicQuantize compute in float") {
  // codes [1, -2, 3, 4, -5, 6] * scale 0.5 = [[0.5, -1, 1.5], [2, -2.5, 3]]; times [1, 2, 3] = [3, 6]
  const auto out = run_layer(R"(name: "d" input: "x" output: "y" innerProduct { inputChannels: 3 outputChannels: 2
      int8DynamicQuantize: true weights { int8RawValue: "\001\376\003\004\373\006"
      quantization { numberOfBits: 8 linearQuantization { scale: 0.5 } } } })",
                             {Tensor({3}, {1, 2, 3})}, nd);
  check_tensor(out[0], {2}, {3, 6});
}

TEST_CASE("innerProduct: errors") {
  CHECK_THROWS_WITH_AS(run_layer(inner_product(4, 3, false), {pattern_tensor({2, 5})}, nd),
                       "layer 'd' (innerProduct): input [2, 5] gives 5 features per row; inputChannels is 4", Error);
  Layer short_weights = inner_product(4, 3, false);
  short_weights.mutable_innerproduct()->mutable_weights()->mutable_floatvalue()->RemoveLast();
  CHECK_THROWS_WITH_AS(run_layer(short_weights, {pattern_tensor({2, 4})}, nd),
                       "layer 'd' (innerProduct): weights 'weights' hold 11 values; expected 12", Error);
}

TEST_CASE("batchedMatmul: two inputs with broadcasting and transposes") {
  // np.matmul(X((2,1,3,4)), swapaxes(W(60).reshape(3,5,4), -1, -2))
  auto out = run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { transposeB: true })",
                       {pattern_tensor({2, 1, 3, 4}), Tensor({3, 5, 4}, weight_pattern(60))}, nd);
  check_tensor(out[0], {2, 3, 3, 5}, {0.5546875, -0.03125, 0.71875, -0.609375, -0.75, -0.5390625, 0.6640625, -0.2109375, 0.25, -0.03125, -0.734375, -0.6171875, 0.8359375, 0.2109375, 0.328125, -0.890625, 0.6015625, 0.015625, 0.765625, 0.625, -0.3125, -0.4453125, 0.7578125, -0.1171875, -0.3984375, 0.4453125, -0.7734375, -0.65625, 0.796875, 0.9140625, -0.703125, -0.84375, 0.6484375, 0.0625, -0.078125, 0.0625, -0.21875, -0.3515625, 0.8515625, 0.5703125, 0.2890625, 0.40625, -0.8125, -0.6953125, -0.578125, 0.8671875, -0.640625, -0.8125, 0.3515625, 0.328125, -0.046875, 0.7734375, -0.484375, -0.40625, -0.03125, 0.65625, -0.6875, -0.6953125, 0.6328125, 0.328125, 0.3046875, 0.875, -0.6328125, -0.8046875, -0.828125, 0.34375, -0.171875, 0.6484375, -0.609375, -0.234375, 0.0234375, 0.7578125, -0.5859375, -0.59375, -0.8984375, 0.3359375, 0.3125, 0.8828125, -0.625, -0.6484375, -0.15625, 0.21875, -0.296875, 0.5234375, 0.8984375, 0.4296875, 0.125, 0.859375, -0.484375, -0.7890625});
  // np.matmul(swapaxes(X((2,4,3)), -1, -2), W(8).reshape(4,2))
  out = run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { transposeA: true })",
                  {pattern_tensor({2, 4, 3}), Tensor({4, 2}, weight_pattern(8))}, nd);
  check_tensor(out[0], {2, 3, 2}, {0.734375, -0.9296875, -0.625, 0.1953125, -0.0078125, -0.8359375, 0.0546875, -0.7265625, -0.40625, 0.578125, -0.6875, 0.0859375});
  // 1-D first input becomes [1, 4]: np.matmul(X((4,)).reshape(1,4), W(24).reshape(2,4,3)); rank stays 3
  out = run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { })",
                  {pattern_tensor({4}), Tensor({2, 4, 3}, weight_pattern(24))}, nd);
  check_tensor(out[0], {2, 1, 3}, {-0.0859375, -1.53125, -0.15625, -0.0625, 0.5703125, -0.1328125});
  // 1-D second input becomes [4, 1]: X((3,4)) @ W(4).reshape(4,1)
  out = run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { })",
                  {pattern_tensor({3, 4}), Tensor({4}, weight_pattern(4))}, nd);
  check_tensor(out[0], {3, 1}, {0.5546875, -0.5390625, -0.734375});
}

TEST_CASE("batchedMatmul: weight matrix stored column-major, with bias") {
  // The stored values are W.T flattened (coremltools writes np.transpose(W).flatten()):
  // X((2,3,4)) @ W(20).reshape(5,4).T + B(5)
  Layer layer = testing::layer_from_text(R"(name: "m" input: "a" output: "y" batchedMatmul {
      weightMatrixFirstDimension: 4 weightMatrixSecondDimension: 5 hasBias: true transposeA: true })");
  fill(layer.mutable_batchedmatmul()->mutable_weights(), weight_pattern(20));
  fill(layer.mutable_batchedmatmul()->mutable_bias(), bias_pattern(5));
  const auto out = run_layer(layer, {pattern_tensor({2, 3, 4})}, nd);
  check_tensor(out[0], {2, 3, 5}, {0.0546875, -0.28125, 0.71875, -0.359375, -0.25, -1.0390625, 0.4140625, -0.2109375, 0.5, 0.46875, -1.234375, -0.8671875, 0.8359375, 0.4609375, 0.828125, 0.3671875, -0.890625, -0.8125, 0.6015625, 0.828125, -0.546875, 0.5234375, -0.484375, -0.15625, 0.46875, 0.15625, -0.9375, -0.6953125, 0.8828125, 0.828125});
}

TEST_CASE("batchedMatmul: multi-threaded over batches and row blocks") {
  // np.matmul(X((3,70,20)), W(600).reshape(20,30))
  const auto out = run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { })",
                             {pattern_tensor({3, 70, 20}), Tensor({20, 30}, weight_pattern(600))},
                             {.mapping = ShapeMapping::exact, .threads = 2});
  check_summary(out[0], {3, 70, 30}, -0.1015625, -172.085938);
}

TEST_CASE("batchedMatmul: errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { })",
                                 {pattern_tensor({2, 3}), pattern_tensor({4, 2})}, nd),
                       "layer 'm' (batchedMatmul): inner dimensions differ: [2, 3] times [4, 2] multiplies 3 by 4", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "m" input: "a" input: "b" output: "y" batchedMatmul { })",
                                 {pattern_tensor({2, 2, 3}), pattern_tensor({3, 3, 2})}, nd),
                       "layer 'm' (batchedMatmul): shapes [2] and [3] do not broadcast", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "m" input: "a" output: "y" batchedMatmul { weightMatrixFirstDimension: 4 })",
                                 {pattern_tensor({2, 4})}, nd),
                       "layer 'm' (batchedMatmul): with one input, weightMatrixFirstDimension and "
                       "weightMatrixSecondDimension must be positive; got 4 and 0", Error);
}

TEST_CASE("embedding: rank-5 indices pick weight columns, plus bias") {
  // W(15).reshape(3,5)[:, i] + B(3) for i in [2, 0, 4]
  Layer layer = testing::layer_from_text(R"(name: "e" input: "x" output: "y" embedding { inputDim: 5 outputChannels: 3
      hasBias: true })");
  fill(layer.mutable_embedding()->mutable_weights(), weight_pattern(15));
  fill(layer.mutable_embedding()->mutable_bias(), bias_pattern(3));
  const auto out = run_layer(layer, {Tensor({3, 1, 1, 1, 1}, {2, 0, 4})});
  check_tensor(out[0], {3, 1, 3, 1, 1}, {-0.1875, 0, 0.1875, -0.875, -0.6875, -0.5, -0.6875, -0.5, -0.3125});
  CHECK_THROWS_WITH_AS(run_layer(layer, {Tensor({1, 1, 1, 1, 1}, {5})}),
                       "layer 'e' (embedding): index 5.000000 is not a whole number in [0, 4] (inputDim 5)", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {Tensor({1, 1, 2, 1, 1}, {1, 2})}),
                       "layer 'e' (embedding): needs an input [..., 1, 1, 1] of indices; got [1, 1, 2, 1, 1]", Error);
}

TEST_CASE("embeddingND: the last axis of 1 becomes embeddingSize") {
  // W(12).reshape(3,4)[:, i] for i in [3, 1, 0, 2]
  Layer layer = testing::layer_from_text(R"(name: "e" input: "x" output: "y" embeddingND { vocabSize: 4 embeddingSize: 3 })");
  fill(layer.mutable_embeddingnd()->mutable_weights(), weight_pattern(12));
  const auto out = run_layer(layer, {Tensor({2, 2, 1}, {3, 1, 0, 2})}, nd);
  check_tensor(out[0], {2, 2, 3}, {0.0625, 0.25, 0.4375, 0.5625, -0.4375, -0.25, -0.375, -0.1875, 0, 0.3125, 0.5, -0.5});
  CHECK_THROWS_WITH_AS(run_layer(layer, {Tensor({2, 2}, {3, 1, 0, 2})}, nd),
                       "layer 'e' (embeddingND): needs an input of indices whose last axis is 1; got [2, 2]", Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {Tensor({1, 1}, {1.5F})}, nd),
                       "layer 'e' (embeddingND): index 1.500000 is not a whole number in [0, 3] (vocabSize 4)", Error);
}

}  // namespace
}  // namespace mlconv::exec
