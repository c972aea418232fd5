// ConvTranspose with weights computed at run time (N-d, iOS 13). Core ML's convolution
// takes a weight input only when it is not a deconvolution, so the transposed convolution
// is written as the direct one it equals: the input with stride - 1 zeros between
// elements, padded by (dilated kernel - 1 - pad) on each side (plus output_padding at the
// end), convolved at stride 1 with the weights transposed to [C_out, C_in, kH, kW] and
// flipped in H and W.
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter::dynamic {
namespace {

std::vector<std::int64_t> pair_attribute(const LayerBuilder& b, std::string_view name, std::int64_t fallback) {
  auto values = b.attr_ints(name, {fallback, fallback});
  if (values.size() != 2) b.fail("attribute '" + std::string(name) + "' must have 2 entries (2-D ConvTranspose)");
  return values;
}

// `x` with stride - 1 zeros after every element but the last along `axis` (2 = H, 3 = W).
std::string spread_out(LayerBuilder& b, const std::string& x, std::vector<std::int64_t>& shape, std::size_t axis, std::int64_t stride) {
  if (stride == 1) return x;
  const std::string suffix = axis == 2 ? "spread_h" : "spread_w";
  std::vector<std::int64_t> zeros_shape = shape;
  zeros_shape.insert(zeros_shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, stride - 1);
  const std::string expanded = b.temp_blob(suffix + "_expanded");
  b.add_layer(suffix + "_expanded", {x}, {expanded}).mutable_expanddims()->add_axes(static_cast<std::int64_t>(axis) + 1);
  const std::string zeros = b.constant_blob(suffix + "_zeros", nd::zeros(b, "spreading the input by the stride", zeros_shape));
  const std::string joined = b.temp_blob(suffix + "_joined");
  b.add_layer(suffix + "_joined", {expanded, zeros}, {joined}).mutable_concatnd()->set_axis(static_cast<std::int64_t>(axis) + 1);
  std::vector<std::int64_t> flat = shape;
  flat[axis] *= stride;
  const std::string flattened = nd::reshape_static(b, suffix + "_flat", joined, flat);
  // Drop the zeros after the last element.
  const std::string trimmed = b.temp_blob(suffix);
  auto& slice = *b.add_layer(suffix, {flattened}, {trimmed}).mutable_slicestatic();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    slice.add_beginids(0);
    slice.add_beginmasks(true);
    slice.add_endids(i == axis ? (shape[i] - 1) * stride + 1 : 0);
    slice.add_endmasks(i != axis);
    slice.add_strides(1);
  }
  shape[axis] = (shape[axis] - 1) * stride + 1;
  return trimmed;
}

}  // namespace

void build_conv_transpose(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto w = b.shape(1);
  if (x.size() != 4 || w.size() != 4) b.fail("expects a [N, C, H, W] input and [C, M, kH, kW] weights (2-D ConvTranspose)");
  if (b.attr_int("group", 1) != 1) b.fail("group > 1 with weights computed at run time is not supported");
  if (w[0] != x[1]) b.fail("weight " + nd::dims_text(w) + " expects " + std::to_string(w[0]) + " input channels; the input has " + std::to_string(x[1]));
  const std::vector<std::int64_t> kernel{w[2], w[3]};
  if (b.has_attr("kernel_shape") && b.attr_ints("kernel_shape", {}) != kernel) b.fail("attribute 'kernel_shape' does not match the weight's " + nd::dims_text(kernel));
  const auto strides = pair_attribute(b, "strides", 1);
  const auto dilations = pair_attribute(b, "dilations", 1);
  const auto output_padding = pair_attribute(b, "output_padding", 0);
  auto pads = b.attr_ints("pads", {0, 0, 0, 0});
  if (pads.size() != 4) b.fail("attribute 'pads' must have 4 entries");
  const std::string auto_pad = b.attr_string("auto_pad", "NOTSET");
  std::vector<std::int64_t> out_hw(2);
  const auto output_shape = b.attr_ints("output_shape", {});
  if (!output_shape.empty() && output_shape.size() != 2) b.fail("attribute 'output_shape' must have 2 entries (H, W)");
  for (std::size_t i = 0; i < 2; ++i) {
    const std::int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    const std::int64_t full = strides[i] * (x[2 + i] - 1) + output_padding[i] + extent;
    if (auto_pad == "VALID") pads[i] = pads[i + 2] = 0;
    // A requested size (output_shape, or SAME: input * stride) decides the padding: the
    // odd unit goes to the end for SAME_UPPER, to the start otherwise.
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!output_shape.empty() || same) {
      const std::int64_t wanted = !output_shape.empty() ? output_shape[i] : x[2 + i] * strides[i];
      // Negative when the requested size is larger: the extra rows come from the padding.
      const std::int64_t total = full - wanted;
      const std::int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor(total / 2)
      pads[i] = auto_pad == "SAME_UPPER" ? half : total - half;
      pads[i + 2] = total - pads[i];
    }
    out_hw[i] = full - pads[i] - pads[i + 2];
    if (pads[i] > extent - 1 || pads[i + 2] > extent - 1 + output_padding[i]) b.fail("pads larger than the dilated kernel - 1 are not supported with computed weights");
    if (out_hw[i] < 1) b.fail("the output would be empty");
  }
  // Weights [C_in, C_out, kH, kW] -> [C_out, C_in, kH, kW], flipped in H and W.
  const std::string swapped = b.temp_blob("weights_swapped");
  auto& transpose = *b.add_layer("weights_swapped", {b.operand(1)}, {swapped}).mutable_transpose();
  for (const std::uint64_t axis : {1, 0, 2, 3}) transpose.add_axes(axis);
  const std::string flipped = b.temp_blob("weights_flipped");
  auto& flip = *b.add_layer("weights_flipped", {swapped}, {flipped}).mutable_slicestatic();
  for (std::size_t i = 0; i < 4; ++i) {
    flip.add_beginids(0);
    flip.add_beginmasks(true);
    flip.add_endids(0);
    flip.add_endmasks(true);
    flip.add_strides(i < 2 ? 1 : -1);
  }
  std::vector<std::int64_t> spread_shape = x;
  std::string input = spread_out(b, b.operand(0), spread_shape, 2, strides[0]);
  input = spread_out(b, input, spread_shape, 3, strides[1]);

  const bool bias = b.has_input(2);
  auto& conv = *b.add_layer("", {input, flipped}, {b.output_blob(0)}).mutable_convolution();
  conv.set_outputchannels(static_cast<std::uint64_t>(w[1]));
  conv.set_kernelchannels(static_cast<std::uint64_t>(w[0]));
  conv.set_ngroups(1);
  for (std::size_t i = 0; i < 2; ++i) {
    conv.add_kernelsize(static_cast<std::uint64_t>(kernel[i]));
    conv.add_stride(1);
    conv.add_dilationfactor(static_cast<std::uint64_t>(dilations[i]));
  }
  auto* amounts = conv.mutable_valid()->mutable_paddingamounts();
  for (std::size_t i = 0; i < 2; ++i) {
    const std::int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    auto& border = *amounts->add_borderamounts();
    border.set_startedgesize(static_cast<std::uint64_t>(extent - 1 - pads[i]));
    border.set_endedgesize(static_cast<std::uint64_t>(extent - 1 - pads[i + 2] + output_padding[i]));
  }
  if (bias) {
    const auto values = b.constant_floats(2, "bias");
    if (static_cast<std::int64_t>(values.size()) != w[1]) b.fail("bias must hold one value per output channel (" + std::to_string(w[1]) + ")");
    conv.set_hasbias(true);
    set_float_weights(*conv.mutable_bias(), values);
  }
  b.set_output_shape(0, {x[0], w[1], out_hw[0], out_hw[1]});
}

}  // namespace mlconv::converter::dynamic
