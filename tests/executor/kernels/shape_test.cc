// Shape family, classic layers: reshape, flatten, permute, concat, split,
// slice, reorganizeData, sequenceRepeat, on rank-5 [Seq, Batch, C, H, W]
// blobs and on ND blobs. Expected values are NumPy expressions (in comments)
// evaluated offline, or the spec's own examples.
#include <doctest/doctest.h>

#include <numeric>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::LayerRun;
using testing::run_layer;

Tensor iota(Shape shape, float start = 0) { return testing::arange(std::move(shape), start); }

const LayerRun kND{.mapping = ShapeMapping::exact};

std::vector<float> range_of(int n, float start = 0) {
  std::vector<float> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), start);
  return values;
}

TEST_CASE("shape: reshape CHANNEL_FIRST keeps the data order, target of rank 3 keeps Seq and Batch") {
  auto out =
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [3, 2, 2] })", {iota({2, 1, 2, 2, 3})});
  check_tensor(out[0], {2, 1, 3, 2, 2}, range_of(24));
}

TEST_CASE("shape: reshape CHANNEL_LAST goes through HWC order") {
  // x = np.arange(12).reshape(2,2,3); x.transpose(1,2,0).reshape(3,1,4).transpose(2,0,1)
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [4, 3, 1] mode: CHANNEL_LAST })",
                       {iota({1, 1, 2, 2, 3})});
  check_tensor(out[0], {1, 1, 4, 3, 1}, {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11});
}

TEST_CASE("shape: reshape with a new sequence length regroups each batch item's sequence") {
  // x = np.arange(12).reshape(2,2,3) as [Seq, Batch, CHW];
  // x.transpose(1,0,2).reshape(2,3,2).transpose(1,0,2)
  auto out =
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [3, 2, 1, 1] })", {iota({2, 2, 3, 1, 1})});
  check_tensor(out[0], {3, 2, 2, 1, 1}, {0, 1, 3, 4, 2, 6, 5, 9, 7, 8, 10, 11});
}

TEST_CASE("shape: reshape CHANNEL_LAST with a new sequence length") {
  // Per batch item: [Seq, C, H, W] -> HWC runs -> [Seq', H', W', C'] -> [Seq', C', H', W'].
  // Input [Seq=1, B=1, C=2, H=1, W=2] = [[[0, 1]], [[2, 3]]]: HWC run 0 2 1 3;
  // target [2, 1, 1, 2]: steps (0 2) and (1 3), each [H'=1, W'=2, C'=1] -> [C'=1, H'=1, W'=2].
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [2, 1, 1, 2] mode: CHANNEL_LAST })",
                       {iota({1, 1, 2, 1, 2})});
  check_tensor(out[0], {2, 1, 1, 1, 2}, {0, 2, 1, 3});
}

TEST_CASE("shape: reshape in ND models keeps leading axes for rank-3 targets, replaces them for rank-4") {
  auto out =
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [3, 2, 1] })", {iota({2, 2, 3, 1})}, kND);
  check_tensor(out[0], {2, 3, 2, 1}, range_of(12));
  out = run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [3, 2, 1, 2] })", {iota({2, 3, 2})}, kND);
  check_tensor(out[0], {3, 2, 1, 2}, range_of(12));
}

TEST_CASE("shape: reshape infers one -1 from the element count") {
  // onnx-coreml's form of PyTorch's x.view(-1, 8): the -1 is the sequence length, 24 / 8 = 3.
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [-1, 8, 1, 1] })",
                       {iota({1, 1, 6, 2, 2})});
  check_tensor(out[0], {3, 1, 8, 1, 1}, range_of(24));
  // A 3-entry target infers within one step's C*H*W = 24.
  out = run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [2, -1, 1] })", {iota({1, 1, 6, 2, 2})});
  check_tensor(out[0], {1, 1, 2, 12, 1}, range_of(24));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [-1, 5, 1, 1] })", {iota({1, 1, 6, 2, 2})}),
      "layer 'r' (reshape): cannot reshape [1, 1, 6, 2, 2] to targetShape [-1, 5, 1, 1]: 24 values do not divide by 5",
      Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [-1, -1, 1] })", {iota({1, 1, 6, 1, 1})}),
      "layer 'r' (reshape): targetShape [-1, -1, 1] has more than one -1", Error);
}

TEST_CASE("shape: reshape parameter and shape errors") {
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [2, 3] })", {iota({1, 1, 6, 1, 1})}),
      "layer 'r' (reshape): targetShape [2, 3] must have 3 ([C, H, W]) or 4 ([Seq, C, H, W]) entries", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [0, 3, 1] })", {iota({1, 1, 6, 1, 1})}),
      "layer 'r' (reshape): targetShape [0, 3, 1] has a dimension that is not positive", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [5, 1, 1] })", {iota({1, 1, 6, 1, 1})}),
      "layer 'r' (reshape): cannot reshape [1, 1, 6, 1, 1] to targetShape [5, 1, 1]: C*H*W differ "
      "(6 vs 5)",
      Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reshape { targetShape: [6, 1, 1] })", {iota({6, 1, 1})}),
      "layer 'r' (reshape): expects a rank-5 [Seq, Batch, C, H, W] input, got shape [6, 1, 1]", Error);
}

TEST_CASE("shape: flatten CHANNEL_FIRST and CHANNEL_LAST") {
  auto out = run_layer(R"(name: "f" input: "x" output: "y" flatten {})", {iota({1, 2, 2, 2, 3})});
  check_tensor(out[0], {1, 2, 12, 1, 1}, range_of(24));
  // np.arange(12).reshape(2,2,3).transpose(1,2,0).ravel()
  out = run_layer(R"(name: "f" input: "x" output: "y" flatten { mode: CHANNEL_LAST })", {iota({1, 1, 2, 2, 3})});
  check_tensor(out[0], {1, 1, 12, 1, 1}, {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});
  // ND: leading axes stay
  out = run_layer(R"(name: "f" input: "x" output: "y" flatten { mode: CHANNEL_LAST })", {iota({2, 2, 1, 3})}, kND);
  check_tensor(out[0], {2, 6, 1, 1}, {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11});
}

TEST_CASE("shape: flatten CHANNEL_LAST of a large blob with two threads") {
  // Reference by the definition: per batch item, out[(y*W + x)*C + c] = in[c, y, x]
  const std::int64_t s = 2, b = 3, c = 64, h = 30, w = 20;
  const Tensor in = iota({s, b, c, h, w});
  auto out =
      run_layer(R"(name: "f" input: "x" output: "y" flatten { mode: CHANNEL_LAST })", {in}, LayerRun{.threads = 2});
  std::vector<float> expected;
  for (std::int64_t n = 0; n < s * b; ++n)
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x)
        for (std::int64_t k = 0; k < c; ++k) expected.push_back(in.data()[((n * c + k) * h + y) * w + x]);
  check_tensor(out[0], {s, b, c * h * w, 1, 1}, expected);
}

TEST_CASE("shape: permute over [Seq, C, H, W] keeps the batch axis") {
  // np.arange(24).reshape(1,1,2,3,4).transpose(0,1,4,2,3)
  auto out = run_layer(R"(name: "p" input: "x" output: "y" permute { axis: [0, 3, 1, 2] })", {iota({1, 1, 2, 3, 4})});
  check_tensor(out[0], {1, 1, 4, 2, 3},
               {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  // np.arange(6).reshape(2,1,3,1,1).transpose(4,1,2,3,0)
  out = run_layer(R"(name: "p" input: "x" output: "y" permute { axis: [3, 1, 2, 0] })", {iota({2, 1, 3, 1, 1})});
  check_tensor(out[0], {1, 1, 3, 1, 2}, {0, 3, 1, 4, 2, 5});
  // rank-4 ND blob [Seq, C, H, W]: np.arange(24).reshape(2,3,4,1).transpose(0,2,1,3) flattened
  out = run_layer(R"(name: "p" input: "x" output: "y" permute { axis: [0, 2, 1, 3] })", {iota({1, 3, 4, 1})}, kND);
  check_tensor(out[0], {1, 4, 3, 1}, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "p" input: "x" output: "y" permute { axis: [0, 1, 1, 2] })", {iota({1, 1, 2, 3, 4})}),
      "layer 'p' (permute): axis [0, 1, 1, 2] must be a permutation of [0, 1, 2, 3] (over [Seq, C, H, W])", Error);
}

TEST_CASE("shape: concat along channels and along the sequence") {
  auto out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concat {})",
                       {iota({1, 2, 1, 1, 2}), iota({1, 2, 2, 1, 2}, 100)});
  // batch 0: a[0] then b[0]; batch 1: a[1] then b[1]
  check_tensor(out[0], {1, 2, 3, 1, 2}, {0, 1, 100, 101, 102, 103, 2, 3, 104, 105, 106, 107});
  out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concat { sequenceConcat: true })",
                  {iota({1, 1, 1, 1, 2}), iota({2, 1, 1, 1, 2}, 10)});
  check_tensor(out[0], {3, 1, 1, 1, 2}, {0, 1, 10, 11, 12, 13});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "c" input: ["a", "b"] output: "y" concat {})", {iota({1, 1, 1, 1, 2}), iota({1, 1, 1, 2, 2})}),
      "layer 'c' (concat): cannot concatenate shapes [1, 1, 1, 1, 2] and [1, 1, 1, 2, 2] along axis 2 "
      "(other dimensions must match)",
      Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: ["a", "b"] output: "y" concat { sequenceConcat: true })",
                                 {iota({1, 2, 2}), iota({1, 2, 2})}, kND),
                       "layer 'c' (concat): sequenceConcat needs inputs of rank >= 5, got shape [1, 2, 2]", Error);
}

TEST_CASE("shape: classic concat, split and reorganizeData on ND blobs use the trailing [C, H, W] axes") {
  // np.concatenate([np.arange(4).reshape(2,1,1,2), 10 + np.arange(4).reshape(2,1,1,2)], axis=-3)
  auto out = run_layer(R"(name: "c" input: ["a", "b"] output: "y" concat {})",
                       {iota({2, 1, 1, 2}), iota({2, 1, 1, 2}, 10)}, kND);
  check_tensor(out[0], {2, 2, 1, 2}, {0, 1, 10, 11, 2, 3, 12, 13});
  out = run_layer(R"(name: "s" input: "x" output: ["a", "b"] split {})", {iota({4, 1, 2})}, kND);
  check_tensor(out[0], {2, 1, 2}, {0, 1, 2, 3});
  check_tensor(out[1], {2, 1, 2}, {4, 5, 6, 7});
  // a rank-3 [C=8, H=1, W=2] blob: the spec's DEPTH_TO_SPACE example without leading axes
  out = run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: DEPTH_TO_SPACE blockSize: 2 })",
                  {iota({8, 1, 2}, 1)}, kND);
  check_tensor(out[0], {2, 2, 4}, {1, 5, 2, 6, 9, 13, 10, 14, 3, 7, 4, 8, 11, 15, 12, 16});
}

TEST_CASE("shape: classic layers check their input and output counts") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "f" input: ["x", "z"] output: "y" flatten {})",
                                 {iota({1, 1, 2, 1, 1}), iota({1, 1, 2, 1, 1})}),
                       "layer 'f' (flatten): expects 1 input, has 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "r" input: "x" output: ["y", "z"] reshape { targetShape: [2, 1, 1] })",
                                 {iota({1, 1, 2, 1, 1})}),
                       "layer 'r' (reshape): expects 1 output, has 2", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" output: "y" concat {})", {}),
                       "layer 'c' (concat): expects at least 1 input, has 0", Error);
}

TEST_CASE("shape: split divides the channels evenly") {
  auto out = run_layer(R"(name: "s" input: "x" output: ["a", "b"] split { nOutputs: 2 })", {iota({1, 2, 4, 1, 2})});
  check_tensor(out[0], {1, 2, 2, 1, 2}, {0, 1, 2, 3, 8, 9, 10, 11});
  check_tensor(out[1], {1, 2, 2, 1, 2}, {4, 5, 6, 7, 12, 13, 14, 15});
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: ["a", "b"] split { nOutputs: 2 })", {iota({1, 1, 3, 1, 1})}),
      "layer 's' (split): cannot split 3 channels (shape [1, 1, 3, 1, 1]) into 2 equal parts", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: ["a", "b"] split { nOutputs: 3 })", {iota({1, 1, 3, 1, 1})}),
      "layer 's' (split): nOutputs is 3 but the layer has 2 outputs", Error);
}

TEST_CASE("shape: slice along width, height and channels with Python index rules") {
  // np.arange(6)[1:-1:2]
  auto out =
      run_layer(R"(name: "s" input: "x" output: "y" slice { startIndex: 1 endIndex: -1 stride: 2 axis: WIDTH_AXIS })",
                {iota({1, 1, 1, 1, 6})});
  check_tensor(out[0], {1, 1, 1, 1, 2}, {1, 3});
  // np.arange(24).reshape(2,4,3)[:, -3:100:2, :]
  out = run_layer(
      R"(name: "s" input: "x" output: "y" slice { startIndex: -3 endIndex: 100 stride: 2 axis: HEIGHT_AXIS })",
      {iota({1, 1, 2, 4, 3})});
  check_tensor(out[0], {1, 1, 2, 2, 3}, {3, 4, 5, 9, 10, 11, 15, 16, 17, 21, 22, 23});
  out = run_layer(R"(name: "s" input: "x" output: "y" slice { startIndex: 1 endIndex: 5 stride: 1 })",
                  {iota({1, 1, 2, 4, 3})});
  check_tensor(out[0], {1, 1, 1, 4, 3}, range_of(12, 12));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: "y" slice { startIndex: 4 endIndex: -3 stride: 1 axis: WIDTH_AXIS })",
                {iota({1, 1, 1, 1, 6})}),
      "layer 's' (slice): slice [4:-3:1] of an axis of length 6 is empty", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: "y" slice { endIndex: 2 axis: WIDTH_AXIS })", {iota({1, 1, 1, 1, 6})}),
      "layer 's' (slice): stride must be positive, is 0", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "s" input: "x" output: "y" slice { endIndex: 2 stride: 1 })", {iota({4, 3})}, kND),
      "layer 's' (slice): slicing axis -3 needs an input of rank >= 3, got shape [4, 3]", Error);
}

TEST_CASE("shape: reorganizeData DEPTH_TO_SPACE and PIXEL_SHUFFLE reproduce the spec's examples") {
  // [C=8, H=1, W=2] holding 1..16
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: DEPTH_TO_SPACE blockSize: 2 })",
                       {iota({1, 1, 8, 1, 2}, 1)});
  check_tensor(out[0], {1, 1, 2, 2, 4}, {1, 5, 2, 6, 9, 13, 10, 14, 3, 7, 4, 8, 11, 15, 12, 16});
  out = run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: PIXEL_SHUFFLE blockSize: 2 })",
                  {iota({1, 1, 8, 1, 2}, 1)});
  check_tensor(out[0], {1, 1, 2, 2, 4}, {1, 3, 2, 4, 5, 7, 6, 8, 9, 11, 10, 12, 13, 15, 14, 16});
}

TEST_CASE("shape: reorganizeData SPACE_TO_DEPTH inverts DEPTH_TO_SPACE") {
  // x = np.arange(1,13).reshape(3,2,2); x.reshape(3,1,2,1,2).transpose(2,4,0,1,3).reshape(12,1,1)
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: SPACE_TO_DEPTH blockSize: 2 })",
                       {iota({1, 1, 3, 2, 2}, 1)});
  check_tensor(out[0], {1, 1, 12, 1, 1}, {1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12});
  // and back: DEPTH_TO_SPACE of that is the input again
  auto back =
      run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: DEPTH_TO_SPACE blockSize: 2 })", {out[0]});
  check_tensor(back[0], {1, 1, 3, 2, 2}, range_of(12, 1));
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { blockSize: 1 })", {iota({1, 1, 3, 2, 2})}),
      "layer 'r' (reorganizeData): blockSize must be at least 2, is 1", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { blockSize: 2 })", {iota({1, 1, 3, 3, 2})}),
      "layer 'r' (reorganizeData): blockSize 2 must divide height and width of shape [1, 1, 3, 3, 2]", Error);
  CHECK_THROWS_WITH_AS(
      run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: PIXEL_SHUFFLE blockSize: 2 })",
                {iota({1, 1, 6, 1, 1})}),
      "layer 'r' (reorganizeData): blockSize squared (4) must divide the channels of shape [1, 1, 6, 1, 1]", Error);
}

TEST_CASE("shape: reorganizeData on a large batch with two threads") {
  // Reference by the definition: out[n, k, y*b+i, x*b+j] = in[n, (i*b+j)*C_out + k, y, x]
  const std::int64_t n = 3, c = 4, b = 2, h = 37, w = 41;
  Tensor in = iota({n, 1, c * b * b, h, w});
  auto out = run_layer(R"(name: "r" input: "x" output: "y" reorganizeData { mode: DEPTH_TO_SPACE blockSize: 2 })", {in},
                       LayerRun{.threads = 2});
  std::vector<float> expected;
  for (std::int64_t s = 0; s < n; ++s)
    for (std::int64_t k = 0; k < c; ++k)
      for (std::int64_t y = 0; y < h * b; ++y)
        for (std::int64_t x = 0; x < w * b; ++x) {
          const std::int64_t channel = ((y % b) * b + x % b) * c + k;
          expected.push_back(in.data()[((s * c * b * b + channel) * h + y / b) * w + x / b]);
        }
  check_tensor(out[0], {n, 1, c, h * b, w * b}, expected);
}

TEST_CASE("shape: sequenceRepeat repeats along axis -5") {
  auto out =
      run_layer(R"(name: "s" input: "x" output: "y" sequenceRepeat { nRepetitions: 3 })", {iota({2, 1, 1, 1, 2})});
  check_tensor(out[0], {6, 1, 1, 1, 2}, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  out = run_layer(R"(name: "s" input: "x" output: "y" sequenceRepeat {})", {iota({2, 1, 1, 1, 2})});
  check_tensor(out[0], {2, 1, 1, 1, 2}, range_of(4));
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "s" input: "x" output: "y" sequenceRepeat {})", {iota({2, 3})}, kND),
                       "layer 's' (sequenceRepeat): needs an input of rank >= 5 ([Seq, Batch, C, H, W]), got shape "
                       "[2, 3]",
                       Error);
}

}  // namespace
}  // namespace mlconv::exec
