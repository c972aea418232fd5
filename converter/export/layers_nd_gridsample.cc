// N-d (iOS 13) GridSample for 2-D images: NeuralNetwork has no sampling layer that reads
// per-pixel positions, so each sample is a gatherAlongAxis from the image flattened to
// [N, C, H*W], weighted and summed. Semantics are PyTorch's grid_sample, which ONNX adopted:
// - positions are unnormalized from [-1, 1] to pixels, with align_corners choosing whether
//   -1 and 1 are the centres or the outer edges of the corner pixels;
// - bilinear and nearest pad the continuous position (border: clamp; reflection: fold at
//   the edges, then clamp), bicubic pads each of its 4x4 integer neighbours instead;
// - a neighbour outside the image reads 0 (all that is left to do for zeros padding);
// - nearest rounds halves to even; bicubic uses Keys' kernel with A = -0.75.
// Each step keeps PyTorch's order of float operations where rounding could differ.
#include <array>
#include <map>
#include <string>
#include <vector>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

enum class Interpolation { linear, nearest, cubic };
enum class Padding { zeros, border, reflection };

class GridSampler {
 public:
  GridSampler(LayerBuilder& b, std::int64_t channels, std::int64_t height, std::int64_t width, bool align_corners, Padding padding)
      : b_(b), channels_(channels), height_(height), width_(width), align_corners_(align_corners), padding_(padding) {}

  // A layer "<node>/<what>_<k>" reading `inputs` and writing a blob of the same name.
  cml::NeuralNetworkLayer& layer(std::string_view what, const std::vector<std::string>& inputs, std::string& out) {
    const std::string suffix = fresh_suffix(what);
    out = b_.temp_blob(suffix);
    return b_.add_layer(suffix, inputs, {out});
  }

  // alpha * x + beta.
  std::string affine(const std::string& x, float alpha, float beta) {
    std::string out;
    auto& linear = *layer("affine", {x}, out).mutable_activation()->mutable_linear();
    linear.set_alpha(alpha);
    linear.set_beta(beta);
    return out;
  }
  std::string multiply(const std::string& x, const std::string& y) {
    std::string out;
    layer("product", {x, y}, out).mutable_multiplybroadcastable();
    return out;
  }
  std::string add(const std::string& x, const std::string& y) {
    std::string out;
    layer("sum", {x, y}, out).mutable_addbroadcastable();
    return out;
  }
  std::string floor(const std::string& x) {
    std::string out;
    layer("floor", {x}, out).mutable_floor();
    return out;
  }
  std::string round(const std::string& x) {
    std::string out;
    layer("rounded", {x}, out).mutable_round();  // halves to even, as nearbyint
    return out;
  }
  std::string clip(const std::string& x, float low, float high) {
    std::string out;
    auto& clip = *layer("clip", {x}, out).mutable_clip();
    clip.set_minval(low);
    clip.set_maxval(high);
    return out;
  }
  // A one-element constant blob, written once per value.
  std::string scalar(float value) {
    auto [it, added] = constants_.try_emplace(value);
    if (added) it->second = b_.constant_blob(fresh_suffix("constant"), TensorData::from_floats({}, {value}));
    return it->second;
  }

  // Pixel position from a normalized one, for an axis of `size` pixels.
  std::string unnormalize(const std::string& g, std::int64_t size) {
    const auto extent = static_cast<float>(size);
    if (align_corners_) return affine(affine(g, 0.5F, 0.5F), extent - 1.0F, 0.0F);  // ((g + 1) / 2) * (size - 1)
    return affine(affine(affine(g, 1.0F, 1.0F), extent, 0.0F), 0.5F, -0.5F);       // ((g + 1) * size - 1) / 2
  }

  // The position padding_mode maps `x` to (border, reflection); unchanged for zeros.
  std::string pad(const std::string& x, std::int64_t size) {
    const float high = static_cast<float>(size - 1);
    if (padding_ == Padding::zeros) return x;
    if (padding_ == Padding::border) return clip(x, 0.0F, high);
    // Reflection folds x into [low, low + span]: -0.5 .. size - 0.5, or 0 .. size - 1 with align_corners.
    const float low = align_corners_ ? 0.0F : -0.5F;
    const float span = align_corners_ ? high : static_cast<float>(size);
    if (span <= 0.0F) return affine(x, 0.0F, 0.0F);
    std::string distance;
    layer("distance", {affine(x, 1.0F, -low)}, distance).mutable_unary()->set_type(cml::UnaryFunctionLayerParams::ABS);
    const std::string span_blob = scalar(span);
    std::string ratio;
    layer("ratio", {distance, span_blob}, ratio).mutable_dividebroadcastable();
    const std::string flips = floor(ratio);
    std::string extra;
    layer("extra", {distance, span_blob}, extra).mutable_modbroadcastable();
    std::string parity;
    layer("parity", {flips, scalar(2.0F)}, parity).mutable_modbroadcastable();
    const std::string odd = affine(extra, -1.0F, span + low);  // an odd number of folds: mirrored
    const std::string even = affine(extra, 1.0F, low);
    std::string folded;
    layer("folded", {parity, odd, even}, folded).mutable_wherebroadcastable();
    return clip(folded, 0.0F, high);
  }

  // 1 where low <= x <= high, else 0.
  std::string inside(const std::string& x, float high) {
    std::string above;
    layer("not_below", {x}, above).mutable_greaterequal()->set_alpha(0.0F);
    std::string below;
    layer("not_above", {x}, below).mutable_lessequal()->set_alpha(high);
    return multiply(above, below);
  }

  // The pixels at integer positions: for each axis, the positions, and for each the
  // 0/1 in-bounds mask and the clamped value (scaled by the row length for y).
  struct Axis {
    std::string mask;
    std::string offset;
  };
  Axis x_axis(const std::string& x) { return {inside(x, static_cast<float>(width_ - 1)), clip(x, 0.0F, static_cast<float>(width_ - 1))}; }
  Axis y_axis(const std::string& y) {
    const std::string clamped = clip(y, 0.0F, static_cast<float>(height_ - 1));
    return {inside(y, static_cast<float>(height_ - 1)), affine(clamped, static_cast<float>(width_), 0.0F)};
  }

  // weight * image[y][x] (0 outside the image), [N, C, points], added to `total`.
  void sample(const Axis& x, const Axis& y, const std::string& weight, const std::string& flat_image, std::string& total) {
    const std::string masked = multiply(weight, multiply(x.mask, y.mask));
    const std::string index = add(add(y.offset, x.offset), channel_zeros());  // [N, C, points]
    std::string picked;
    layer("picked", {flat_image, index}, picked).mutable_gatheralongaxis()->set_axis(2);
    const std::string weighted = multiply(picked, masked);
    total = total.empty() ? weighted : add(total, weighted);
  }

 private:
  std::string fresh_suffix(std::string_view what) { return std::string(what) + "_" + std::to_string(++count_); }
  // Zeros of [1, C, 1]: adding them spreads a [N, 1, points] index over the channels,
  // as gatherAlongAxis wants indices of the output's shape.
  const std::string& channel_zeros() {
    if (channel_zeros_.empty()) channel_zeros_ = b_.constant_blob("channel_zeros", nd::zeros(b_, "GridSample's channel index", {1, channels_, 1}));
    return channel_zeros_;
  }

  LayerBuilder& b_;
  std::int64_t channels_, height_, width_;
  bool align_corners_;
  Padding padding_;
  int count_ = 0;
  std::map<float, std::string> constants_;
  std::string channel_zeros_;
};

Interpolation interpolation_of(const LayerBuilder& b) {
  const std::string mode = b.attr_string("mode", "bilinear");
  // Opset 20 renamed bilinear and bicubic to linear and cubic.
  if (mode == "bilinear" || mode == "linear") return Interpolation::linear;
  if (mode == "nearest") return Interpolation::nearest;
  if (mode == "bicubic" || mode == "cubic") return Interpolation::cubic;
  b.fail("mode '" + mode + "' is not one of bilinear, nearest, bicubic");
}

Padding padding_of(const LayerBuilder& b) {
  const std::string mode = b.attr_string("padding_mode", "zeros");
  if (mode == "zeros") return Padding::zeros;
  if (mode == "border") return Padding::border;
  if (mode == "reflection") return Padding::reflection;
  b.fail("padding_mode '" + mode + "' is not one of zeros, border, reflection");
}

// Keys' cubic convolution weights for the neighbours at -1, 0, 1, 2 from the fraction t.
std::array<std::string, 4> cubic_weights(GridSampler& s, const std::string& t) {
  constexpr float a = -0.75F;
  // |d| <= 1: ((A + 2) d - (A + 3)) d^2 + 1;  1 < |d| < 2: ((A d - 5A) d + 8A) d - 4A.
  const auto near = [&](const std::string& d) {
    return s.affine(s.multiply(s.multiply(s.affine(d, a + 2.0F, -(a + 3.0F)), d), d), 1.0F, 1.0F);
  };
  const auto far = [&](const std::string& d) {
    return s.affine(s.multiply(s.affine(s.multiply(s.affine(d, a, -5.0F * a), d), 1.0F, 8.0F * a), d), 1.0F, -4.0F * a);
  };
  return {far(s.affine(t, 1.0F, 1.0F)), near(t), near(s.affine(t, -1.0F, 1.0F)), far(s.affine(t, -1.0F, 2.0F))};
}

}  // namespace

void build_nd_grid_sample_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto grid = b.shape(1);
  if (x.size() != 4) b.fail("expects an [N, C, H, W] input X; got " + nd::dims_text(x) + " (only 2-D sampling is supported)");
  if (grid.size() != 4 || grid[0] != x[0] || grid[3] != 2) {
    b.fail("expects a grid of [N, H_out, W_out, 2] with N = " + std::to_string(x[0]) + "; got " + nd::dims_text(grid));
  }
  const Interpolation interpolation = interpolation_of(b);
  const bool align_corners = b.attr_int("align_corners", 0) != 0;
  const std::int64_t n = x[0];
  const std::int64_t points = grid[1] * grid[2];
  GridSampler s(b, x[1], x[2], x[3], align_corners, padding_of(b));

  const std::string flat_image = nd::reshape_static(b, "image", b.operand(0), {n, x[1], x[2] * x[3]});
  // The grid's x and y as [N, 1, points] each.
  const std::string grid_blob = b.operand(1);
  std::array<std::string, 2> normalized;
  for (int axis = 0; axis < 2; ++axis) {
    const std::string part = b.temp_blob(axis == 0 ? "grid_x" : "grid_y");
    auto& slice = *b.add_layer(axis == 0 ? "grid_x" : "grid_y", {grid_blob}, {part}).mutable_slicestatic();
    for (int i = 0; i < 4; ++i) {
      slice.add_beginids(i == 3 ? axis : 0);
      slice.add_beginmasks(i != 3);
      slice.add_endids(i == 3 ? axis + 1 : 0);
      slice.add_endmasks(i != 3);
      slice.add_strides(1);
    }
    normalized[static_cast<std::size_t>(axis)] = nd::reshape_static(b, axis == 0 ? "grid_x_flat" : "grid_y_flat", part, {n, 1, points});
  }
  std::string ix = s.unnormalize(normalized[0], x[3]);
  std::string iy = s.unnormalize(normalized[1], x[2]);

  std::string total;
  if (interpolation == Interpolation::nearest) {
    s.sample(s.x_axis(s.round(s.pad(ix, x[3]))), s.y_axis(s.round(s.pad(iy, x[2]))), s.scalar(1.0F), flat_image, total);
  } else if (interpolation == Interpolation::linear) {
    ix = s.pad(ix, x[3]);
    iy = s.pad(iy, x[2]);
    const std::string x0 = s.floor(ix);
    const std::string y0 = s.floor(iy);
    const std::string tx = s.add(ix, s.affine(x0, -1.0F, 0.0F));
    const std::string ty = s.add(iy, s.affine(y0, -1.0F, 0.0F));
    const std::array<GridSampler::Axis, 2> xs = {s.x_axis(x0), s.x_axis(s.affine(x0, 1.0F, 1.0F))};
    const std::array<GridSampler::Axis, 2> ys = {s.y_axis(y0), s.y_axis(s.affine(y0, 1.0F, 1.0F))};
    const std::array<std::string, 2> wx = {s.affine(tx, -1.0F, 1.0F), tx};
    const std::array<std::string, 2> wy = {s.affine(ty, -1.0F, 1.0F), ty};
    for (std::size_t j = 0; j < 2; ++j)
      for (std::size_t i = 0; i < 2; ++i) s.sample(xs[i], ys[j], s.multiply(wx[i], wy[j]), flat_image, total);
  } else {
    const std::string x0 = s.floor(ix);
    const std::string y0 = s.floor(iy);
    const auto wx = cubic_weights(s, s.add(ix, s.affine(x0, -1.0F, 0.0F)));
    const auto wy = cubic_weights(s, s.add(iy, s.affine(y0, -1.0F, 0.0F)));
    std::array<GridSampler::Axis, 4> xs;
    std::array<GridSampler::Axis, 4> ys;
    for (std::size_t k = 0; k < 4; ++k) {
      const auto step = static_cast<float>(k) - 1.0F;
      xs[k] = s.x_axis(s.pad(s.affine(x0, 1.0F, step), x[3]));
      ys[k] = s.y_axis(s.pad(s.affine(y0, 1.0F, step), x[2]));
    }
    for (std::size_t j = 0; j < 4; ++j)
      for (std::size_t i = 0; i < 4; ++i) s.sample(xs[i], ys[j], s.multiply(wx[i], wy[j]), flat_image, total);
  }
  nd::reshape_static(b, "", total, {n, x[1], grid[1], grid[2]}, b.output_blob(0));
  b.set_output_shape(0, {n, x[1], grid[1], grid[2]});
}

}  // namespace mlconv::converter
