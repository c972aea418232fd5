// Mappings of the spatial ONNX ops -- Conv, ConvTranspose and the pools -- to Core
// ML's convolution and pooling layers. ONNX and Core ML share the OIHW weight
// layout (and [C_in, C_out/group, kH, kW] for transposed convolution), so weights
// are copied as they are; the work is in padding and output sizes.
#include <optional>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_dynamic.h"

namespace mlconv::converter {
namespace {

struct Window {
  std::vector<std::int64_t> kernel;     // [kH, kW]
  std::vector<std::int64_t> strides;    // [sH, sW]
  std::vector<std::int64_t> dilations;  // [dH, dW]
  std::vector<std::int64_t> pads;       // ONNX order [H_begin, W_begin, H_end, W_end]
  std::string auto_pad;                 // NOTSET, VALID, SAME_UPPER, SAME_LOWER
};

std::string list_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

const std::vector<std::int64_t>& image_input(LayerBuilder& b) {
  const auto& x = b.shape(0);
  if (x.size() != 4) b.fail("expects a 4-D [N, C, H, W] input; got " + list_text(x));
  return x;
}

Window read_window(LayerBuilder& b, std::vector<std::int64_t> kernel) {
  Window w;
  w.kernel = b.attr_ints("kernel_shape", kernel);
  if (w.kernel.size() != 2) b.fail("attribute 'kernel_shape' must have 2 entries (2-D op); got " + list_text(w.kernel));
  if (!kernel.empty() && w.kernel != kernel) {
    b.fail("attribute 'kernel_shape'=" + list_text(w.kernel) + " does not match the weight's " + list_text(kernel));
  }
  w.strides = b.attr_ints("strides", {1, 1});
  w.dilations = b.attr_ints("dilations", {1, 1});
  w.pads = b.attr_ints("pads", {0, 0, 0, 0});
  w.auto_pad = b.attr_string("auto_pad", "NOTSET");
  if (w.strides.size() != 2) b.fail("attribute 'strides' must have 2 entries; got " + list_text(w.strides));
  if (w.dilations.size() != 2) b.fail("attribute 'dilations' must have 2 entries; got " + list_text(w.dilations));
  if (w.pads.size() != 4) b.fail("attribute 'pads' must have 4 entries [top, left, bottom, right]; got " + list_text(w.pads));
  for (const auto v : w.kernel) if (v < 1) b.fail("attribute 'kernel_shape' must be positive");
  for (const auto v : w.strides) if (v < 1) b.fail("attribute 'strides' must be positive");
  for (const auto v : w.dilations) if (v < 1) b.fail("attribute 'dilations' must be positive");
  for (const auto v : w.pads) if (v < 0) b.fail("attribute 'pads' must not be negative");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "VALID" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER") {
    b.fail("attribute 'auto_pad'='" + w.auto_pad + "'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER");
  }
  if (w.auto_pad == "VALID") w.pads = {0, 0, 0, 0};
  return w;
}

bool same_padding(const Window& w) { return w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER"; }

// Output size along spatial axis `axis` (0 = H, 1 = W) for convolution and pooling.
std::int64_t window_output(LayerBuilder& b, const Window& w, std::int64_t in, std::size_t axis, bool ceil_mode = false) {
  const std::int64_t stride = w.strides[axis];
  if (same_padding(w)) return (in + stride - 1) / stride;
  const std::int64_t effective = (w.kernel[axis] - 1) * w.dilations[axis] + 1;
  const std::int64_t span = in + w.pads[axis] + w.pads[axis + 2] - effective;
  if (span < 0) b.fail("the " + std::string(axis == 0 ? "height" : "width") + " " + std::to_string(in) +
                       " (plus padding) is smaller than the kernel extent " + std::to_string(effective));
  return (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
}

template <typename Params>
void write_padding(Params& params, const Window& w) {
  if (same_padding(w)) {
    params.mutable_same()->set_asymmetrymode(w.auto_pad == "SAME_UPPER" ? cml::SamePadding::BOTTOM_RIGHT_HEAVY
                                                                         : cml::SamePadding::TOP_LEFT_HEAVY);
    return;
  }
  auto* amounts = params.mutable_valid()->mutable_paddingamounts();
  for (std::size_t axis = 0; axis < 2; ++axis) {
    auto* edge = amounts->add_borderamounts();
    edge->set_startedgesize(static_cast<std::uint64_t>(w.pads[axis]));
    edge->set_endedgesize(static_cast<std::uint64_t>(w.pads[axis + 2]));
  }
}

template <typename Field>
void put_pair(Field* field, const std::vector<std::int64_t>& values) {
  for (const auto v : values) field->Add(static_cast<std::uint64_t>(v));
}

void build_conv(LayerBuilder& b) {
  const auto& x = image_input(b);
  // Weights computed at run time are the convolution's second input (N-d networks, iOS 13).
  const bool runtime_weights = b.has_input(1) && b.constant(1) == nullptr;
  if (runtime_weights && !b.nd()) b.fail("weight (input 1) is computed at run time; only N-d (iOS 13) networks take convolution weights as an input");
  const std::vector<std::int64_t> weight_dims = runtime_weights ? b.shape(1) : b.required_constant(1, "weight").dims;
  if (weight_dims.size() != 4) b.fail("weight must be 4-D [M, C/group, kH, kW]; got " + list_text(weight_dims));
  const std::int64_t group = b.attr_int("group", 1);
  const std::int64_t channels = x[1];
  const std::int64_t filters = weight_dims[0];
  if (group < 1 || channels % group != 0) {
    b.fail("attribute 'group'=" + std::to_string(group) + " does not divide " + std::to_string(channels) + " input channels");
  }
  if (weight_dims[1] * group != channels) {
    b.fail("weight " + list_text(weight_dims) + " expects " + std::to_string(weight_dims[1] * group) +
           " input channels (C/group x group); the input has " + std::to_string(channels));
  }
  if (filters % group != 0) {
    b.fail("attribute 'group'=" + std::to_string(group) + " does not divide " + std::to_string(filters) + " output channels");
  }
  const Window w = read_window(b, {weight_dims[2], weight_dims[3]});

  std::vector<std::string> inputs{b.blob(0)};
  if (runtime_weights) inputs.push_back(b.blob(1));
  auto& layer = b.add_layer("", inputs, {b.output_blob(0)});
  auto& conv = *layer.mutable_convolution();
  conv.set_outputchannels(static_cast<std::uint64_t>(filters));
  conv.set_kernelchannels(static_cast<std::uint64_t>(weight_dims[1]));
  conv.set_ngroups(static_cast<std::uint64_t>(group));
  put_pair(conv.mutable_kernelsize(), w.kernel);
  put_pair(conv.mutable_stride(), w.strides);
  put_pair(conv.mutable_dilationfactor(), w.dilations);
  write_padding(conv, w);
  if (!runtime_weights) b.store_constant_floats(1, "weight", *conv.mutable_weights());
  if (b.has_input(2)) {
    const std::vector<float> bias = b.constant_floats(2, "bias");
    if (static_cast<std::int64_t>(bias.size()) != filters) {
      b.fail("bias has " + std::to_string(bias.size()) + " values; expected " + std::to_string(filters) + " (one per filter)");
    }
    conv.set_hasbias(true);
    set_float_weights(*conv.mutable_bias(), bias);
  }
  b.set_output_shape(0, {x[0], filters, window_output(b, w, x[2], 0), window_output(b, w, x[3], 1)});
}

void build_conv_transpose(LayerBuilder& b) {
  const auto& x = image_input(b);
  if (b.has_input(1) && b.constant(1) == nullptr) {
    // Core ML takes a weight input only for a plain convolution: N-d networks rewrite it as one.
    if (b.nd()) return dynamic::build_conv_transpose(b);
    b.fail("weight (input 1) is computed at run time; only N-d (iOS 13) networks take weights as an input (as a convolution)");
  }
  const TensorData& weight = b.required_constant(1, "weight");
  if (weight.dims.size() != 4) b.fail("weight must be 4-D [C, M/group, kH, kW]; got " + list_text(weight.dims));
  const std::int64_t group = b.attr_int("group", 1);
  if (group < 1 || x[1] % group != 0) {
    b.fail("attribute 'group'=" + std::to_string(group) + " does not divide " + std::to_string(x[1]) + " input channels");
  }
  if (weight.dims[0] != x[1]) {
    b.fail("weight " + list_text(weight.dims) + " expects " + std::to_string(weight.dims[0]) + " input channels; the input has " +
           std::to_string(x[1]));
  }
  const Window w = read_window(b, {weight.dims[2], weight.dims[3]});
  if (w.dilations != std::vector<std::int64_t>{1, 1}) b.fail("Core ML deconvolution has no dilation; 'dilations' must be [1, 1]");
  if (same_padding(w)) b.fail("attribute 'auto_pad'='" + w.auto_pad + "' is not supported for ConvTranspose yet; give explicit 'pads'");
  const auto output_padding = b.attr_ints("output_padding", {0, 0});
  if (output_padding.size() != 2) b.fail("attribute 'output_padding' must have 2 entries");
  const bool padded = w.pads != std::vector<std::int64_t>{0, 0, 0, 0};
  const bool extended = output_padding != std::vector<std::int64_t>{0, 0};
  if (padded && extended) b.fail("'pads' together with 'output_padding' is not supported yet");
  const std::int64_t filters = weight.dims[1] * group;
  std::vector<std::int64_t> out_hw(2);
  for (std::size_t axis = 0; axis < 2; ++axis) {
    out_hw[axis] = w.strides[axis] * (x[axis + 2] - 1) + output_padding[axis] + w.kernel[axis] - w.pads[axis] - w.pads[axis + 2];
  }
  if (b.has_attr("output_shape")) {
    const auto requested = b.attr_ints("output_shape", {});
    const std::vector<std::int64_t> hw(requested.end() - std::min<std::ptrdiff_t>(2, std::ssize(requested)), requested.end());
    if (hw != out_hw) b.fail("attribute 'output_shape'=" + list_text(requested) + " differs from the computed " + list_text(out_hw) + "; give 'pads' or 'output_padding' instead");
  }

  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  auto& conv = *layer.mutable_convolution();
  conv.set_isdeconvolution(true);
  conv.set_outputchannels(static_cast<std::uint64_t>(filters));
  conv.set_kernelchannels(static_cast<std::uint64_t>(weight.dims[0]));
  conv.set_ngroups(static_cast<std::uint64_t>(group));
  put_pair(conv.mutable_kernelsize(), w.kernel);
  put_pair(conv.mutable_stride(), w.strides);
  write_padding(conv, w);
  // Strided transposed convolution has several valid sizes; output_padding picks a larger one.
  if (extended) put_pair(conv.mutable_outputshape(), out_hw);
  b.store_constant_floats(1, "weight", *conv.mutable_weights());
  if (b.has_input(2)) {
    const std::vector<float> bias = b.constant_floats(2, "bias");
    if (static_cast<std::int64_t>(bias.size()) != filters) b.fail("bias has " + std::to_string(bias.size()) + " values; expected " + std::to_string(filters));
    conv.set_hasbias(true);
    set_float_weights(*conv.mutable_bias(), bias);
  }
  b.set_output_shape(0, {x[0], filters, out_hw[0], out_hw[1]});
}

// A pooling window's geometry, checked, and the output's [H, W].
struct Pooling {
  Window window;
  std::vector<std::int64_t> out_hw;
};

Pooling read_pooling(LayerBuilder& b) {
  const auto& x = image_input(b);
  if (b.node().outputs.size() > 1) b.fail("the optional 'Indices' output has no Core ML equivalent");
  if (!b.has_attr("kernel_shape")) b.fail("attribute 'kernel_shape' is required");
  Pooling pooling{read_window(b, {}), std::vector<std::int64_t>(2)};
  const Window& w = pooling.window;
  if (w.dilations != std::vector<std::int64_t>{1, 1}) b.fail("Core ML pooling has no dilation; 'dilations' must be [1, 1]");
  const bool ceil_mode = b.attr_int("ceil_mode", 0) != 0;
  for (std::size_t axis = 0; axis < 2; ++axis) {
    pooling.out_hw[axis] = window_output(b, w, x[axis + 2], axis, ceil_mode);
    if (ceil_mode && pooling.out_hw[axis] != window_output(b, w, x[axis + 2], axis, false)) {
      b.fail("attribute 'ceil_mode'=1 changes the output size here, which Core ML's padding modes cannot express");
    }
  }
  return pooling;
}

cml::PoolingLayerParams& add_pooling(LayerBuilder& b, std::string_view suffix, const std::string& input, const std::string& output,
                                     cml::PoolingLayerParams::PoolingType type, const Window& w) {
  auto& pool = *b.add_layer(suffix, {input}, {output}).mutable_pooling();
  pool.set_type(type);
  put_pair(pool.mutable_kernelsize(), w.kernel);
  put_pair(pool.mutable_stride(), w.strides);
  write_padding(pool, w);
  return pool;
}

void build_pool(LayerBuilder& b, cml::PoolingLayerParams::PoolingType type) {
  const auto& x = image_input(b);
  const Pooling pooling = read_pooling(b);
  auto& pool = add_pooling(b, "", b.blob(0), b.output_blob(0), type, pooling.window);
  // ONNX's count_include_pad defaults to 0: padding is left out of the average.
  if (type == cml::PoolingLayerParams::AVERAGE) pool.set_avgpoolexcludepadding(b.attr_int("count_include_pad", 0) == 0);
  b.set_output_shape(0, {x[0], x[1], pooling.out_hw[0], pooling.out_hw[1]});
}

void add_global_pooling(LayerBuilder& b, std::string_view suffix, const std::string& input, const std::string& output,
                        cml::PoolingLayerParams::PoolingType type) {
  auto& pool = *b.add_layer(suffix, {input}, {output}).mutable_pooling();
  pool.set_type(type);
  pool.set_globalpooling(true);
  pool.mutable_valid();
}

void build_global_pool(LayerBuilder& b, cml::PoolingLayerParams::PoolingType type) {
  const auto& x = image_input(b);
  add_global_pooling(b, "", b.blob(0), b.output_blob(0), type);
  b.set_output_shape(0, {x[0], x[1], 1, 1});
}

// x^exponent elementwise (a unary POWER layer), from `input` to a new blob.
std::string power(LayerBuilder& b, std::string_view suffix, const std::string& input, float exponent) {
  const std::string out = b.temp_blob(suffix);
  auto& unary = *b.add_layer(suffix, {input}, {out}).mutable_unary();
  unary.set_type(cml::UnaryFunctionLayerParams::POWER);
  unary.set_alpha(exponent);
  return out;
}

// LpPool and GlobalLpPool: (sum over the window of |x|^p)^(1/p). Core ML pools only by
// max and average, so the sum is an average that counts the zero padding (|0|^p = 0, as
// ONNX pads), scaled back by the window's area; the powers are unary layers.
void build_lp_pool(LayerBuilder& b, bool global) {
  const auto& x = image_input(b);
  const std::int64_t order = b.attr_int("p", 2);
  if (order < 1) b.fail("attribute 'p'=" + std::to_string(order) + " must be at least 1");
  const auto p = static_cast<float>(order);
  std::optional<Pooling> pooling;
  if (!global) pooling = read_pooling(b);
  const std::string magnitude = b.temp_blob("abs");
  b.add_layer("abs", {b.blob(0)}, {magnitude}).mutable_unary()->set_type(cml::UnaryFunctionLayerParams::ABS);
  const std::string raised = p == 1.0F ? magnitude : power(b, "pow", magnitude, p);
  const std::string mean = b.temp_blob("mean");
  std::int64_t area = 0;
  if (global) {
    add_global_pooling(b, "mean", raised, mean, cml::PoolingLayerParams::AVERAGE);
    area = x[2] * x[3];
  } else {
    add_pooling(b, "mean", raised, mean, cml::PoolingLayerParams::AVERAGE, pooling->window).set_avgpoolexcludepadding(false);
    area = pooling->window.kernel[0] * pooling->window.kernel[1];
  }
  const std::string sum = p == 1.0F ? b.output_blob(0) : b.temp_blob("sum");
  auto& scale = *b.add_layer("sum", {mean}, {sum}).mutable_activation()->mutable_linear();
  scale.set_alpha(static_cast<float>(area));
  if (p != 1.0F) {
    auto& root = *b.add_layer("", {sum}, {b.output_blob(0)}).mutable_unary();
    root.set_type(cml::UnaryFunctionLayerParams::POWER);
    root.set_alpha(1.0F / p);
  }
  if (global) {
    b.set_output_shape(0, {x[0], x[1], 1, 1});
  } else {
    b.set_output_shape(0, {x[0], x[1], pooling->out_hw[0], pooling->out_hw[1]});
  }
}

}  // namespace

void build_conv_layer(LayerBuilder& b) { build_conv(b); }
void build_conv_transpose_layer(LayerBuilder& b) { build_conv_transpose(b); }
void build_max_pool_layer(LayerBuilder& b) { build_pool(b, cml::PoolingLayerParams::MAX); }
void build_average_pool_layer(LayerBuilder& b) { build_pool(b, cml::PoolingLayerParams::AVERAGE); }
void build_global_average_pool_layer(LayerBuilder& b) { build_global_pool(b, cml::PoolingLayerParams::AVERAGE); }
void build_global_max_pool_layer(LayerBuilder& b) { build_global_pool(b, cml::PoolingLayerParams::MAX); }
void build_lp_pool_layer(LayerBuilder& b) { build_lp_pool(b, false); }
void build_global_lp_pool_layer(LayerBuilder& b) { build_lp_pool(b, true); }

}  // namespace mlconv::converter
