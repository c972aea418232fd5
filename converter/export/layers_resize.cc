// ONNX Resize (and Upsample / Resize-10, which the ONNX frontend rewrites into Resize
// with asymmetric coordinates and floor rounding) onto Core ML's upsample layer, for
// both rank-5 and N-d networks. upsample scales the last two axes: NN repeats every
// pixel an integer number of times; BILINEAR samples the grids of its
// linearUpsampleMode (DEFAULT i*in/out, ALIGN_CORNERS_TRUE i*(in-1)/(out-1),
// ALIGN_CORNERS_FALSE (i+0.5)*in/out-0.5, clamped to the input). The mapping accepts
// exactly the ONNX attribute combinations whose sampling points are those, and refuses
// the others naming the attribute values.
#include <cmath>
#include <set>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

using Upsample = cml::UpsampleLayerParams;

struct ResizeAxis {
  std::int64_t in = 1;
  std::int64_t out = 1;
  double scale = 1.0;  // what ONNX divides by: the given scale, or out/in with sizes
  bool sized = false;  // from the sizes input: scale is out/in by definition
};

// The per-axis sizes and scales from the constant scales or sizes input (opset 18 `axes` too).
std::vector<ResizeAxis> resize_axes(const LayerBuilder& b) {
  const auto& x = b.shape(0);
  const std::size_t rank = x.size();
  std::vector<std::int64_t> axes;
  for (const auto a : b.attr_ints("axes", {})) axes.push_back(nd::positive_axis(b, a, rank, "axes entry"));
  if (axes.empty()) {
    for (std::size_t i = 0; i < rank; ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  std::vector<ResizeAxis> out(rank);
  for (std::size_t i = 0; i < rank; ++i) out[i] = {x[i], x[i], 1.0};
  const TensorData* sizes = b.constant(3);
  const TensorData* scales = b.constant(2);
  const bool have_sizes = b.has_input(3) && (sizes == nullptr || sizes->element_count() > 0);
  // NeuralNetwork has no resize whose factors are a run-time input (upsample and
  // resizeBilinear store them as parameters), so a computed one cannot convert.
  const std::size_t factors = have_sizes ? 3 : 2;
  if (b.has_input(factors) && b.constant(factors) == nullptr) {
    b.fail(std::string(have_sizes ? "sizes" : "scales") + " (input " + std::to_string(factors) + " '" + b.node().input(factors)->name +
           "') is computed at run time, and Core ML's upsample and resizeBilinear layers take fixed factors; Resize converts "
           "only when they are constants (export the model with fixed input sizes so that they fold)");
  }
  if (have_sizes) {
    const auto policy = b.attr_string("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch") b.fail("attribute 'keep_aspect_ratio_policy' is '" + policy + "'; only 'stretch' converts");
    const auto values = b.constant_ints(3, "sizes");
    if (values.size() != axes.size()) b.fail("sizes holds " + std::to_string(values.size()) + " values; expected " + std::to_string(axes.size()));
    for (std::size_t k = 0; k < axes.size(); ++k) {
      auto& axis = out[static_cast<std::size_t>(axes[k])];
      if (values[k] < 1) b.fail("sizes entry " + std::to_string(k) + " is " + std::to_string(values[k]) + "; expected at least 1");
      axis.out = values[k];
      axis.scale = static_cast<double>(axis.out) / static_cast<double>(axis.in);
      axis.sized = true;
    }
    return out;
  }
  if (!b.has_input(2) || (scales != nullptr && scales->element_count() == 0)) b.fail("needs a scales or a sizes input");
  const auto values = b.constant_floats(2, "scales");
  if (values.size() != axes.size()) b.fail("scales holds " + std::to_string(values.size()) + " values; expected " + std::to_string(axes.size()));
  for (std::size_t k = 0; k < axes.size(); ++k) {
    auto& axis = out[static_cast<std::size_t>(axes[k])];
    if (!(values[k] > 0.0F) || !std::isfinite(values[k])) b.fail("scales entry " + std::to_string(k) + " is not a positive number");
    axis.scale = values[k];
    axis.out = static_cast<std::int64_t>(std::floor(static_cast<double>(axis.in) * axis.scale));
    if (axis.out < 1) b.fail("scales entry " + std::to_string(k) + " makes axis " + std::to_string(axes[k]) + " empty");
  }
  return out;
}

bool integral(const ResizeAxis& a) { return a.out % a.in == 0 && (a.sized || static_cast<double>(a.out / a.in) == a.scale); }
// ONNX's scale is the one Core ML derives from the sizes (out / in).
bool exact(const ResizeAxis& a) { return a.sized || static_cast<double>(a.in) * a.scale == static_cast<double>(a.out); }

// A float factor f with floor(in * f) == out, as upsample computes its output size.
float fractional_factor(const ResizeAxis& a) {
  auto size_of = [&](float f) { return static_cast<std::int64_t>(std::floor(static_cast<double>(a.in) * static_cast<double>(f))); };
  float f = static_cast<float>(static_cast<double>(a.out) / static_cast<double>(a.in));
  while (size_of(f) < a.out) f = std::nextafter(f, 2.0F * f);
  while (size_of(f) > a.out) f = std::nextafter(f, 0.0F);
  return f;
}

void set_nearest(const LayerBuilder& b, Upsample& p, const ResizeAxis& h, const ResizeAxis& w) {
  const std::string transform = b.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = b.attr_string("nearest_mode", "round_prefer_floor");
  for (const ResizeAxis* a : {&h, &w}) {
    if (!integral(*a)) {
      b.fail("nearest resizing of " + std::to_string(a->in) + " to " + std::to_string(a->out) +
             " is not an integer upscale; Core ML's NN upsample only repeats pixels a whole number of times");
    }
  }
  // With an integer factor s, output i must read input floor(i / s). That holds for these
  // combinations (and for any when s = 1).
  static const std::set<std::pair<std::string, std::string>> repeat_pixels = {
      {"asymmetric", "floor"},          {"tf_half_pixel_for_nn", "floor"},
      {"half_pixel", "round_prefer_floor"}, {"half_pixel", "round_prefer_ceil"},
      {"pytorch_half_pixel", "round_prefer_floor"}, {"pytorch_half_pixel", "round_prefer_ceil"}};
  const bool upscales = h.out != h.in || w.out != w.in;
  if (upscales && !repeat_pixels.contains({transform, rounding})) {
    b.fail("coordinate_transformation_mode '" + transform + "' with nearest_mode '" + rounding +
           "' picks other pixels than Core ML's NN upsample (output i reads input floor(i / scale)); it matches asymmetric or "
           "tf_half_pixel_for_nn with floor, and half_pixel or pytorch_half_pixel with round_prefer_floor or round_prefer_ceil");
  }
  p.set_mode(Upsample::NN);
  p.add_scalingfactor(static_cast<std::uint64_t>(h.out / h.in));
  p.add_scalingfactor(static_cast<std::uint64_t>(w.out / w.in));
}

void set_linear(const LayerBuilder& b, Upsample& p, const ResizeAxis& h, const ResizeAxis& w) {
  const std::string transform = b.attr_string("coordinate_transformation_mode", "half_pixel");
  p.set_mode(Upsample::BILINEAR);
  // ONNX places samples by the scale (in * scale is the resized length it uses, even when
  // the output has floor of it); Core ML by the output size. They agree when in * scale is whole.
  for (const ResizeAxis* a : {&h, &w}) {
    if (!exact(*a)) {
      b.fail("linear resizing with scale " + std::to_string(a->scale) + " of an axis of " + std::to_string(a->in) +
             " samples by a resized length of " + std::to_string(static_cast<double>(a->in) * a->scale) + ", but the output has " +
             std::to_string(a->out) + " values and Core ML's upsample samples by the output size; give sizes, or scales with in * "
             "scale a whole number");
    }
  }
  if (transform == "align_corners") {
    p.set_linearupsamplemode(Upsample::ALIGN_CORNERS_TRUE);
  } else if (transform == "half_pixel" || transform == "pytorch_half_pixel") {
    for (const ResizeAxis* a : {&h, &w}) {
      if (transform == "pytorch_half_pixel" && a->out == 1 && a->in > 1) {
        b.fail("coordinate_transformation_mode 'pytorch_half_pixel' with an output of 1 samples position 0; Core ML's "
               "upsample samples the centre");
      }
    }
    p.set_linearupsamplemode(Upsample::ALIGN_CORNERS_FALSE);
  } else if (transform == "asymmetric") {
    // DEFAULT samples i * in / out; Core ML allows it only with integer factors.
    for (const ResizeAxis* a : {&h, &w}) {
      if (!integral(*a)) {
        b.fail("coordinate_transformation_mode 'asymmetric' resizing " + std::to_string(a->in) + " to " + std::to_string(a->out) +
               " needs a fractional factor, which Core ML's upsample takes only with align-corners modes");
      }
    }
    p.set_linearupsamplemode(Upsample::DEFAULT);
  } else {
    b.fail("coordinate_transformation_mode '" + transform +
           "' has no Core ML counterpart for linear resizing; supported: align_corners, half_pixel, pytorch_half_pixel, asymmetric");
  }
  if (integral(h) && integral(w)) {
    p.add_scalingfactor(static_cast<std::uint64_t>(h.out / h.in));
    p.add_scalingfactor(static_cast<std::uint64_t>(w.out / w.in));
  } else {
    p.add_fractionalscalingfactor(fractional_factor(h));
    p.add_fractionalscalingfactor(fractional_factor(w));
  }
}

void build_resize(LayerBuilder& b) {
  const auto& x = b.shape(0);
  if (x.size() < 3) b.fail("X has shape " + nd::dims_text(x) + "; Core ML's upsample needs rank 3 or more ([..., C, H, W])");
  if (b.has_input(1) && b.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize") {
    b.fail("coordinate_transformation_mode 'tf_crop_and_resize' is not converted");
  }
  const auto axes = resize_axes(b);
  const std::size_t rank = axes.size();
  for (std::size_t i = 0; i + 2 < rank; ++i) {
    if (axes[i].out != axes[i].in || axes[i].scale != 1.0) {
      b.fail("resizes axis " + std::to_string(i) + " (" + std::to_string(axes[i].in) + " to " + std::to_string(axes[i].out) +
             "); Core ML's upsample resizes only the last two axes");
    }
  }
  const ResizeAxis& h = axes[rank - 2];
  const ResizeAxis& w = axes[rank - 1];
  if (b.attr_int("antialias", 0) != 0 && (h.out < h.in || w.out < w.in)) b.fail("attribute 'antialias' is 1 while downsampling; Core ML has no antialiased resize");
  const std::string mode = b.attr_string("mode", "nearest");
  std::vector<std::int64_t> shape = x;
  shape[rank - 2] = h.out;
  shape[rank - 1] = w.out;
  Upsample params;
  if (mode == "nearest") {
    set_nearest(b, params, h, w);
  } else if (mode == "linear") {
    set_linear(b, params, h, w);
  } else {
    b.fail("attribute 'mode' is '" + mode + "'; Core ML's upsample interpolates nearest or linear only");
  }
  const std::string input = b.nd() ? b.operand(0) : b.blob(0);
  *b.add_layer("", {input}, {b.output_blob(0)}).mutable_upsample() = std::move(params);
  b.set_output_shape(0, shape);
}

}  // namespace

void build_resize_layer(LayerBuilder& b) {
  if (b.shape(0).size() != 4) b.fail("expects an [N, C, H, W] input in a rank-5 network");
  build_resize(b);
}

void build_nd_resize_layer(LayerBuilder& b) { build_resize(b); }

}  // namespace mlconv::converter
