// converter/export/layers_nd_gridsample.cc: GridSample's numbers through `mlconv run`,
// for each mode and padding. Expected values are worked by hand from PyTorch's
// grid_sample formulas (the ONNX definition); the bicubic weights come from Keys' kernel
// with A = -0.75 evaluated on paper (t = 0.25: -0.10546875, 0.87890625, 0.26171875, -0.03515625).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

// X of `x_shape` and a grid of `grid_shape` as inputs, GridSample with `attributes` (JSON).
std::string grid_sample_graph(const std::string& x_shape, const std::string& grid_shape, const std::string& attributes) {
  return R"({"opset_imports": [{"version": 16}],
    "inputs": [{"name": "x", "type": "float32", "shape": )" + x_shape + R"(},
               {"name": "grid", "type": "float32", "shape": )" + grid_shape + R"(}],
    "outputs": [{"name": "y"}],
    "nodes": [{"name": "sample", "op_type": "GridSample", "inputs": ["x", "grid"], "outputs": ["y"],
               "attributes": )" + attributes + "}]}";
}

std::vector<double> sampled(const std::string& name, const std::string& attributes, const std::string& grid_shape,
                            const std::string& grid, const std::string& x_shape = "[1, 1, 2, 2]",
                            const std::string& x = "[[[[1, 2], [3, 4]]]]") {
  const auto out = run_json_graph("gridsample_" + name, grid_sample_graph(x_shape, grid_shape, attributes), {{"x", x}, {"grid", grid}});
  return output_values(out["y"]);
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("convert GridSample: bilinear with align_corners reads corners at -1 and 1 and interpolates between") {
  // align_corners: x = (g + 1) / 2 * (W - 1). (0, 0) is the centre: the mean 2.5; (0.5, 0) is
  // x = 0.75, y = 0.5: rows 1.75 and 3.75, mean 2.75.
  check_close(sampled("align", R"({"align_corners": {"type": "int", "value": 1}})", "[1, 1, 4, 2]",
                      "[[[[-1, -1], [1, -1], [0, 0], [0.5, 0]]]]"),
              {1, 2, 2.5, 2.75});
}

TEST_CASE("convert GridSample: the padding modes outside the image") {
  // Without align_corners, x = ((g + 1) * W - 1) / 2. g = (-1, -1) is (-0.5, -0.5): four
  // neighbours of weight 0.25, only (0, 0) inside. g = (2, -0.5) is x = 2.5, y = 0.
  const std::string grid = "[[[[-1, -1], [2, -0.5]]]]";
  // zeros: 0.25 * 1; x = 2.5 is past the last column: both neighbours outside.
  check_close(sampled("zeros", "{}", "[1, 1, 2, 2]", grid), {0.25, 0});
  // border: positions clamped to [0, W - 1]: (0, 0) and (1, 0).
  check_close(sampled("border", R"({"padding_mode": {"type": "string", "value": "border"}})", "[1, 1, 2, 2]", grid), {1, 2});
  // reflection folds at -0.5 and W - 0.5 = 1.5: -0.5 stays (then clamps to 0); 2.5 folds
  // once to 0.5, so row 0 halfway between 1 and 2.
  check_close(sampled("reflection", R"({"padding_mode": {"type": "string", "value": "reflection"}})", "[1, 1, 2, 2]", grid),
              {1, 1.5});
  // With align_corners the folds are at 0 and W - 1 = 1: g = 2 is x = 1.5, past the edge
  // by 0.5, so folded to 0.5.
  check_close(sampled("reflection_align",
                      R"({"padding_mode": {"type": "string", "value": "reflection"}, "align_corners": {"type": "int", "value": 1}})",
                      "[1, 1, 1, 2]", "[[[[2, -1]]]]"),
              {1.5});
}

TEST_CASE("convert GridSample: nearest rounds halves to even") {
  // Without align_corners on a 2x2 image: g = 0 is 0.5 (rounds to 0); g = 0.5 is 1.
  check_close(sampled("nearest", R"({"mode": {"type": "string", "value": "nearest"}})", "[1, 1, 3, 2]",
                      "[[[[0, 0], [0.5, 0.5], [0.5, -1]]]]"),
              {1, 4, 2});
}

TEST_CASE("convert GridSample: bicubic weighs a 4x4 neighbourhood with Keys' kernel") {
  // One row [0 .. 5] with align_corners: g = -0.1 is x = 0.45 * 5 = 2.25, so neighbours 1..4
  // with the weights for t = 0.25: 1 * -0.10546875 + 2 * 0.87890625 + 3 * 0.26171875 + 4 * -0.03515625.
  // In y (H = 1) the only neighbour inside has weight 1.
  const std::string align = R"({"mode": {"type": "string", "value": "bicubic"}, "align_corners": {"type": "int", "value": 1}})";
  check_close(sampled("bicubic", align, "[1, 1, 1, 2]", "[[[[-0.1, 0]]]]", "[1, 1, 1, 6]", "[[[[0, 1, 2, 3, 4, 5]]]]"),
              {2.296875});
  // A constant image keeps its value wherever every neighbour reads it (border padding);
  // with zeros padding, the neighbours past the corner read 0.
  const std::string constant = "[[[[5, 5, 5], [5, 5, 5], [5, 5, 5]]]]";
  check_close(sampled("bicubic_border", R"({"mode": {"type": "string", "value": "bicubic"}, "padding_mode": {"type": "string", "value": "border"}})",
                      "[1, 1, 2, 2]", "[[[[-1, -1], [0.3, 0.7]]]]", "[1, 1, 3, 3]", constant),
              {5, 5});
  // At g = (-1, -1) without align_corners, x = y = -0.5: t = 0.5, neighbours -2 .. 1, of
  // which 0 and 1 are inside, with weights c1(0.5) + c2(1.5) = 0.59375 - 0.09375 per axis.
  check_close(sampled("bicubic_zeros", R"({"mode": {"type": "string", "value": "bicubic"}})", "[1, 1, 1, 2]", "[[[[-1, -1]]]]",
                      "[1, 1, 3, 3]", constant),
              {5 * 0.5 * 0.5});
}

TEST_CASE("convert GridSample: refuses what it cannot express, naming the node") {
  const std::string volumetric = grid_sample_graph("[1, 1, 2, 2, 2]", "[1, 1, 1, 1, 3]", "{}");
  CHECK(error_of([&] { (void)convert_json(volumetric); }).find("node 'sample' (GridSample): expects an [N, C, H, W] input X") !=
        std::string::npos);
  const std::string bad_mode = grid_sample_graph("[1, 1, 2, 2]", "[1, 1, 1, 2]", R"({"mode": {"type": "string", "value": "area"}})");
  CHECK(error_of([&] { (void)convert_json(bad_mode); }).find("mode 'area' is not one of bilinear, nearest, bicubic") !=
        std::string::npos);
}

}  // namespace mlconv::test
