// crop, padding, upsample, resizeBilinear and cropResize kernels. Expected
// values: the spec's own padding examples, coremltools' upsample example, and
// NumPy evaluating the spec's grid formulas followed by plain bilinear
// interpolation (points off the image give 0, which only cropResize can produce).
#include <limits>

#include <doctest/doctest.h>

#include "spec/error.h"
#include "tests/executor/kernel_tester.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

using testing::check_tensor;
using testing::pattern_tensor;
using testing::run_layer;

constexpr float tol = 1e-5F;
const testing::LayerRun nd{.mapping = ShapeMapping::exact};

Tensor one_to_twelve() {
  std::vector<float> v;
  for (int i = 1; i <= 12; ++i) v.push_back(static_cast<float>(i));
  return Tensor({1, 3, 4}, v);
}

TEST_CASE("crop: amounts from one input, or a reference shape and offset from two") {
  // X((1,1,2,4,5))[..., 1:4, 1:3]
  auto out = run_layer(R"(name: "c" input: "x" output: "y" crop { cropAmounts {
      borderAmounts { startEdgeSize: 1 } borderAmounts { startEdgeSize: 1 endEdgeSize: 2 } } })",
                       {pattern_tensor({1, 1, 2, 4, 5})});
  check_tensor(out[0], {1, 1, 2, 3, 2}, {0.5, -0.625, 0.625, -0.5, 0.75, -0.375, 1, -0.125, 1.125, 0, 1.25, 0.125});
  // X((1,1,2,4,5))[..., 1:3, 2:5]
  out = run_layer(R"(name: "c" input: "x" input: "r" output: "y" crop { offset: [1, 2] })",
                  {pattern_tensor({1, 1, 2, 4, 5}), Tensor({1, 1, 2, 2, 3})});
  check_tensor(out[0], {1, 1, 2, 2, 3}, {-0.625, 1.125, 0, -0.5, 1.25, 0.125, -0.125, -1.25, 0.5, 0, -1.125, 0.625});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: "x" input: "r" output: "y" crop { offset: [3, 0] })",
                                 {pattern_tensor({1, 1, 2, 4, 5}), Tensor({1, 1, 2, 2, 3})}),
                       "layer 'c' (crop): a 2x3 window at offset [3, 0] does not fit in input [1, 1, 2, 4, 5]", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "c" input: "x" output: "y" crop { cropAmounts {
      borderAmounts { startEdgeSize: 2 endEdgeSize: 2 } borderAmounts { } } })", {pattern_tensor({1, 1, 2, 4, 5})}),
                       "layer 'c' (crop): cropAmounts (H 2+2, W 0+0) leave nothing of input [1, 1, 2, 4, 5]", Error);
}

TEST_CASE("padding: the spec's reflection and replication examples, and constant") {
  const char* amounts = R"(paddingAmounts { borderAmounts { startEdgeSize: 2 } borderAmounts { startEdgeSize: 2 } })";
  auto out = run_layer(std::string(R"(name: "p" input: "x" output: "y" padding { reflection { } )") + amounts + "}",
                       {one_to_twelve()}, nd);
  check_tensor(out[0], {1, 5, 6}, {11, 10, 9, 10, 11, 12, 7, 6, 5, 6, 7, 8, 3, 2, 1, 2, 3, 4, 7, 6, 5, 6, 7, 8, 11, 10, 9, 10, 11, 12});
  out = run_layer(std::string(R"(name: "p" input: "x" output: "y" padding { replication { } )") + amounts + "}",
                  {one_to_twelve()}, nd);
  check_tensor(out[0], {1, 5, 6}, {1, 1, 1, 2, 3, 4, 1, 1, 1, 2, 3, 4, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 9, 9, 10, 11, 12});
  // np.pad(arange(1,13).reshape(3,4), ((0,2),(1,3)), mode='reflect')
  out = run_layer(R"(name: "p" input: "x" output: "y" padding { reflection { } paddingAmounts {
      borderAmounts { endEdgeSize: 2 } borderAmounts { startEdgeSize: 1 endEdgeSize: 3 } } })", {one_to_twelve()}, nd);
  check_tensor(out[0], {1, 5, 8}, {2, 1, 2, 3, 4, 3, 2, 1, 6, 5, 6, 7, 8, 7, 6, 5, 10, 9, 10, 11, 12, 11, 10, 9, 6, 5, 6, 7, 8, 7, 6, 5, 2, 1, 2, 3, 4, 3, 2, 1});
  // np.pad(..., ((0,1),(0,2)), mode='edge')
  out = run_layer(R"(name: "p" input: "x" output: "y" padding { replication { } paddingAmounts {
      borderAmounts { endEdgeSize: 1 } borderAmounts { endEdgeSize: 2 } } })", {one_to_twelve()}, nd);
  check_tensor(out[0], {1, 4, 6}, {1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 8, 9, 10, 11, 12, 12, 12, 9, 10, 11, 12, 12, 12});
  // np.pad(X((1,1,1,2,3)), (.., (2,0), (1,1)), constant_values=2.5)
  out = run_layer(R"(name: "p" input: "x" output: "y" padding { constant { value: 2.5 } paddingAmounts {
      borderAmounts { startEdgeSize: 2 } borderAmounts { startEdgeSize: 1 endEdgeSize: 1 } } })",
                  {pattern_tensor({1, 1, 1, 2, 3})});
  check_tensor(out[0], {1, 1, 1, 4, 5}, {2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, -1.375, 0.375, -0.75, 2.5, 2.5, 1, -0.125, -1.25, 2.5});
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" padding { reflection { } paddingAmounts {
      borderAmounts { startEdgeSize: 3 } borderAmounts { } } })", {one_to_twelve()}, nd),
                       "layer 'p' (padding): reflection padding needs amounts smaller than the input size; input [1, 3, 4], "
                       "padding H 3+0, W 0+0", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "p" input: "x" output: "y" padding { })", {one_to_twelve()}, nd),
                       "layer 'p' (padding): the padding type (constant, reflection or replication) is not set", Error);
}

TEST_CASE("upsample: nearest neighbour repeats rows and columns") {
  // np.repeat(np.repeat(X((1,1,1,2,3)), 2, axis=-2), 3, axis=-1)
  const auto out = run_layer(R"(name: "u" input: "x" output: "y" upsample { scalingFactor: [2, 3] })",
                             {pattern_tensor({1, 1, 1, 2, 3})});
  check_tensor(out[0], {1, 1, 1, 4, 9}, {-1.375, -1.375, -1.375, 0.375, 0.375, 0.375, -0.75, -0.75, -0.75, -1.375, -1.375, -1.375, 0.375, 0.375, 0.375, -0.75, -0.75, -0.75, 1, 1, 1, -0.125, -0.125, -0.125, -1.25, -1.25, -1.25, 1, 1, 1, -0.125, -0.125, -0.125, -1.25, -1.25, -1.25});
}

TEST_CASE("upsample: nearest neighbour, multi-threaded") {
  // np.repeat(np.repeat(X((1,1,3,5,6)), 2, axis=-2), 3, axis=-1)
  const auto out = run_layer(R"(name: "u" input: "x" output: "y" upsample { scalingFactor: [2, 3] })",
                             {pattern_tensor({1, 1, 3, 5, 6})}, {.threads = 2});
  testing::check_summary(out[0], {1, 1, 3, 10, 18}, -3.75, -29);
  CHECK(out[0].data()[333] == 0.625F);
}

TEST_CASE("upsample: bilinear DEFAULT mode matches coremltools' example") {
  // coremltools test_tiny_upsample_linear_mode: [1, 2, 3] upsampled by (2, 3)
  const auto out = run_layer(R"(name: "u" input: "x" output: "y" upsample { scalingFactor: [2, 3] mode: BILINEAR })",
                             {Tensor({1, 1, 3}, {1, 2, 3})}, nd);
  const float third = 1.0F / 3.0F;
  check_tensor(out[0], {1, 2, 9},
               {1, 1 + third, 2 - third, 2, 2 + third, 3 - third, 3, 3, 3, 1, 1 + third, 2 - third, 2, 2 + third, 3 - third, 3, 3, 3},
               tol);
}

TEST_CASE("upsample: bilinear align-corners modes with integer and fractional factors") {
  // NumPy: interp(X((3,4)), grid_h, grid_w) with the spec's LinearUpsampleMode grids; output floor(in * factor)
  const char* head = R"(name: "u" input: "x" output: "y" upsample { mode: BILINEAR )";
  auto out = run_layer(std::string(head) + "fractionalScalingFactor: [1.5, 2.5] linearUpsampleMode: ALIGN_CORNERS_TRUE }",
                       {pattern_tensor({1, 3, 4})}, nd);
  check_tensor(out[0], {1, 4, 10}, {-1.375, -0.791666667, -0.208333333, 0.375, 5.55111512e-17, -0.375, -0.75, -0.166666667, 0.416666667, 1, -0.541666667, -0.597222222, -0.652777778, -0.708333333, -0.444444444, -0.180555556, 0.0833333333, 0.0277777778, -0.0277777778, -0.0833333333, 0.291666667, -0.0833333333, -0.458333333, -0.833333333, -0.569444444, -0.305555556, -0.0416666667, -0.0972222222, -0.152777778, -0.208333333, 1.125, 0.75, 0.375, 0, -0.375, -0.75, -1.125, -0.541666667, 0.0416666667, 0.625}, tol);
  out = run_layer(std::string(head) + "fractionalScalingFactor: [1.5, 2.5] linearUpsampleMode: ALIGN_CORNERS_FALSE }",
                  {pattern_tensor({1, 3, 4})}, nd);
  check_tensor(out[0], {1, 4, 10}, {-1.375, -1.2, -0.5, 0.2, 0.0375, -0.4125, -0.575, 0.125, 0.825, 1, -0.59375, -0.5984375, -0.6171875, -0.6359375, -0.4390625, -0.1703125, 0.0265625, 0.0078125, -0.0109375, -0.015625, 0.34375, 0.23125, -0.21875, -0.66875, -0.5796875, -0.3109375, -0.1140625, -0.1328125, -0.1515625, -0.15625, 1.125, 1.0125, 0.5625, 0.1125, -0.3375, -0.7875, -0.95, -0.25, 0.45, 0.625}, tol);
  out = run_layer(std::string(head) + "scalingFactor: [2, 2] linearUpsampleMode: ALIGN_CORNERS_FALSE }",
                  {pattern_tensor({1, 3, 4})}, nd);
  check_tensor(out[0], {1, 6, 8}, {-1.375, -0.9375, -0.0625, 0.09375, -0.46875, -0.3125, 0.5625, 1, -1.0625, -0.8046875, -0.2890625, -0.1328125, -0.3359375, -0.1796875, 0.3359375, 0.59375, -0.4375, -0.5390625, -0.7421875, -0.5859375, -0.0703125, 0.0859375, -0.1171875, -0.21875, 0.1875, -0.09375, -0.65625, -0.6796875, -0.1640625, -0.0078125, -0.2109375, -0.3125, 0.8125, 0.53125, -0.03125, -0.4140625, -0.6171875, -0.4609375, 0.0546875, 0.3125, 1.125, 0.84375, 0.28125, -0.28125, -0.84375, -0.6875, 0.1875, 0.625}, tol);
  out = run_layer(std::string(head) + "scalingFactor: [2, 2] }", {pattern_tensor({1, 3, 4})}, nd);
  check_tensor(out[0], {1, 6, 8}, {-1.375, -0.5, 0.375, -0.1875, -0.75, 0.125, 1, 1, -0.75, -0.59375, -0.4375, -0.28125, -0.125, 0.03125, 0.1875, 0.1875, -0.125, -0.6875, -1.25, -0.375, 0.5, -0.0625, -0.625, -0.625, 0.5, -0.0625, -0.625, -0.46875, -0.3125, -0.15625, 0, 0, 1.125, 0.5625, 0, -0.5625, -1.125, -0.25, 0.625, 0.625, 1.125, 0.5625, 0, -0.5625, -1.125, -0.25, 0.625, 0.625}, tol);
}

TEST_CASE("upsample: parameter errors") {
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "u" input: "x" output: "y" upsample { scalingFactor: [2, 2]
      fractionalScalingFactor: [1.5, 1.5] mode: BILINEAR })", {pattern_tensor({1, 3, 4})}, nd),
                       "layer 'u' (upsample): scalingFactor and fractionalScalingFactor are mutually exclusive; both are set",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "u" input: "x" output: "y" upsample { fractionalScalingFactor: [1.5, 1.5] })",
                                 {pattern_tensor({1, 3, 4})}, nd),
                       "layer 'u' (upsample): fractionalScalingFactor needs BILINEAR mode", Error);
  CHECK_THROWS_WITH_AS(run_layer(R"(name: "u" input: "x" output: "y" upsample { scalingFactor: [2] })",
                                 {pattern_tensor({1, 3, 4})}, nd),
                       "layer 'u' (upsample): scalingFactor must have 2 values [H, W]; got 1", Error);
}

TEST_CASE("resizeBilinear: the four sampling modes, including a single output row") {
  // NumPy: interp(X((3,4)), grid(mode, 0, 2, 5), grid(mode, 0, 3, 2)) and the same for a 1x3 target
  const char* modes[] = {"STRICT_ALIGN_ENDPOINTS_MODE", "ALIGN_ENDPOINTS_MODE", "UPSAMPLE_MODE", "ROI_ALIGN_MODE"};
  const std::vector<std::vector<float>> expected5x2 = {{-1.375, 1, -0.75, 0.1875, -0.125, -0.625, 0.5, 0, 1.125, 0.625}, {-1.375, 1, -0.75, 0.1875, -0.125, -0.625, 0.5, 0, 1.125, 0.625}, {-1.375, -0.75, -0.625, -5.55111512e-17, 0.125, 0.175, 0.875, -0.8, 1.125, -1.125}, {-0.24375, -0.20625, -0.60625, 0.00625, -0.96875, 0.21875, -0.46875, -0.14375, 0.03125, -0.50625}};
  const std::vector<std::vector<float>> expected1x3 = {{-1.375, -0.1875, 1}, {-0.125, -0.375, -0.625}, {-1.375, -1.66533454e-16, 0.416666667}, {-0.6875, -0.375, -0.0625}};
  for (std::size_t m = 0; m < 4; ++m) {
    CAPTURE(modes[m]);
    const std::string mode = std::string("mode { samplingMethod: ") + modes[m] + " } }";
    auto out = run_layer(std::string(R"(name: "r" input: "x" output: "y" resizeBilinear { targetSize: [5, 2] )") + mode,
                         {pattern_tensor({1, 1, 1, 3, 4})});
    check_tensor(out[0], {1, 1, 1, 5, 2}, expected5x2[m], tol);
    out = run_layer(std::string(R"(name: "r" input: "x" output: "y" resizeBilinear { targetSize: [1, 3] )") + mode,
                    {pattern_tensor({1, 1, 1, 3, 4})});
    check_tensor(out[0], {1, 1, 1, 1, 3}, expected1x3[m], tol);
  }
}

TEST_CASE("resizeBilinear: multi-threaded over planes and rows") {
  // X((2,3,17,19)) to 40x33 in UPSAMPLE_MODE
  const auto out = run_layer(R"(name: "r" input: "x" output: "y" resizeBilinear { targetSize: [40, 33]
      mode { samplingMethod: UPSAMPLE_MODE } })", {pattern_tensor({2, 1, 3, 17, 19})}, {.threads = 2});
  testing::check_summary(out[0], {2, 1, 3, 40, 33}, -9.10823864, -21.3735795);
}

TEST_CASE("cropResize: four-coordinate boxes crop every batch item") {
  // boxes [y1, x1, y2, x2] = (0.5, 1, 3, 3.5) and (1, 0, 2, 4) over X((1,2,1,4,5)), STRICT_ALIGN_ENDPOINTS, 3x2
  const auto out = run_layer(R"(name: "c" input: "x" input: "b" output: "y" cropResize { targetSize: [3, 2] })",
                             {pattern_tensor({1, 2, 1, 4, 5}), Tensor({2, 1, 4, 1, 1}, {0.5F, 1, 3, 3.5F, 1, 0, 2, 4})});
  check_tensor(out[0], {2, 2, 1, 3, 2}, {0.4375, 0.5, 0.59375, 0.65625, 0.75, 0.8125, 0.9375, -0.4375, 1.09375, -0.28125, 1.25, -0.125, -1.25, 0, -1.1875, 0.0625, -1.125, 0.125, -0.75, 0.5, -0.6875, 0.5625, -0.625, 0.625}, tol);
}

TEST_CASE("cropResize: batch-indexed, normalized, centre-size boxes with spatial scale in ROI_ALIGN_MODE") {
  // [batch, w_c, h_c, w, h] = (1, .8, .6, 1.2, .8) and (0, 1, 1, .8, 1.6), times 0.5, then times (H-1, W-1)
  const auto out = run_layer(R"(name: "c" input: "x" input: "b" output: "y" cropResize { targetSize: [2, 3]
      normalizedCoordinates: true mode { samplingMethod: ROI_ALIGN_MODE } boxIndicesMode { boxMode: CENTER_SIZE_WIDTH_FIRST }
      spatialScale: 0.5 })",
                             {pattern_tensor({1, 2, 2, 4, 5}),
                              Tensor({2, 1, 5, 1, 1}, {1, 0.8F, 0.6F, 1.2F, 0.8F, 0, 1.0F, 1.0F, 0.8F, 1.6F})});
  check_tensor(out[0], {2, 1, 2, 2, 3}, {-0.28, 0.085, -0.125, -1.125, -0.3, -0.05, -0.7, 0.125, 0.375, -0.625, 0.2, 0.45, -0.0375, -0.6375, 0.295833333, 0.1125, -0.4875, 0.445833333, 0.4625, -0.1375, -0.7375, 0.6125, 0.0125, -0.5875}, tol);
}

TEST_CASE("cropResize: points off the image are 0; bad boxes are errors") {
  // [w1, h1, w2, h2] = (1, -1, 7, 2): rows -1, 0.5, 2 and columns 1, 4, 7 in ALIGN_ENDPOINTS_MODE
  const char* layer = R"(name: "c" input: "x" input: "b" output: "y" cropResize { targetSize: [3, 3]
      mode { samplingMethod: ALIGN_ENDPOINTS_MODE } boxIndicesMode { boxMode: CORNERS_WIDTH_FIRST } })";
  const auto out = run_layer(layer, {pattern_tensor({1, 1, 1, 4, 5}), Tensor({1, 1, 4, 1, 1}, {1, -1, 7, 2})});
  check_tensor(out[0], {1, 1, 1, 3, 3}, {0, 0, 0, 0.4375, -0.0625, 0, 0.625, 0.125, 0}, tol);
  // A NaN coordinate samples nothing: all zeros, no out-of-range read
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto zeros = run_layer(layer, {pattern_tensor({1, 1, 1, 4, 5}), Tensor({1, 1, 4, 1, 1}, {nan, 0, 2, 2})});
  check_tensor(zeros[0], {1, 1, 1, 3, 3}, std::vector<float>(9, 0.0F));
  CHECK_THROWS_WITH_AS(run_layer(layer, {pattern_tensor({1, 1, 1, 4, 5}), Tensor({1, 1, 3, 1, 1}, {1, 1, 2})}),
                       "layer 'c' (cropResize): the boxes input must be [N, 1, 4, 1, 1] or [N, 1, 5, 1, 1]; got [1, 1, 3, 1, 1]",
                       Error);
  CHECK_THROWS_WITH_AS(run_layer(layer, {pattern_tensor({1, 1, 1, 4, 5}), Tensor({1, 1, 5, 1, 1}, {1, 0, 0, 1, 1})}),
                       "layer 'c' (cropResize): box 0 names batch index 1.000000; the image has batch 1", Error);
}

}  // namespace
}  // namespace mlconv::exec
