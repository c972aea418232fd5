// LRN, InstanceNormalization and Pad. ONNX's LRN divides alpha by the window size,
// as Core ML's does, so the attributes carry over unchanged.
#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

std::string dims_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

}  // namespace

void build_lrn_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (x.size() != 4) b.fail("expects a 4-D [N, C, H, W] input; got " + dims_text(x));
  if (!b.has_attr("size")) b.fail("attribute 'size' is required");
  const std::int64_t size = b.attr_int("size", 1);
  if (size < 1) b.fail("attribute 'size' must be positive");
  const auto alpha = static_cast<float>(b.attr_float("alpha", 0.0001));
  const auto beta = static_cast<float>(b.attr_float("beta", 0.75));
  const auto bias = static_cast<float>(b.attr_float("bias", 1.0));
  if (bias <= 0.0F) b.fail("attribute 'bias' must be positive for Core ML's LRN (k)");
  auto& lrn = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_lrn();
  lrn.set_alpha(alpha);
  lrn.set_beta(beta);
  lrn.set_localsize(static_cast<std::uint64_t>(size));
  lrn.set_k(bias);
  b.set_output_shape(0, x);
}

void build_instance_norm_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (x.size() != 4) b.fail("expects a 4-D [N, C, H, W] input; got " + dims_text(x));
  const auto channels = static_cast<std::size_t>(x[1]);
  const std::vector<float> scale = b.constant_floats(1, "scale");
  const std::vector<float> bias = b.constant_floats(2, "B");
  if (scale.size() != channels || bias.size() != channels) {
    b.fail("scale and B need one value per channel (" + std::to_string(channels) + "); got " + std::to_string(scale.size()) +
           " and " + std::to_string(bias.size()));
  }
  auto& norm = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_batchnorm();
  norm.set_channels(channels);
  norm.set_computemeanvar(true);
  norm.set_instancenormalization(true);
  norm.set_epsilon(static_cast<float>(b.attr_float("epsilon", 1e-5)));
  set_float_weights(*norm.mutable_gamma(), scale);
  set_float_weights(*norm.mutable_beta(), bias);
  // Unused with computeMeanVar, but Core ML expects every parameter vector sized C.
  set_float_weights(*norm.mutable_mean(), std::vector<float>(channels, 0.0F));
  set_float_weights(*norm.mutable_variance(), std::vector<float>(channels, 1.0F));
  b.set_output_shape(0, x);
}

void build_pad_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (x.size() != 4) b.fail("expects a 4-D [N, C, H, W] input; got " + dims_text(x));
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  std::vector<std::int64_t> pads;
  float value = 0.0F;
  if (opset > 0 && opset < 11) {
    pads = b.attr_ints("pads", {});
    value = static_cast<float>(b.attr_float("value", 0.0));
  } else {
    try {
      pads = b.required_constant(1, "pads").to_ints();
    } catch (const Error& e) {
      b.fail("pads: " + e.message());
    }
    if (b.has_input(2)) {
      const std::vector<float> constant = b.constant_floats(2, "constant_value");
      if (constant.size() != 1) b.fail("constant_value must be a scalar");
      value = constant[0];
    }
    if (b.has_input(3)) b.fail("the 'axes' input is not supported; give pads for all four axes");
  }
  if (pads.size() != 8) b.fail("pads " + dims_text(pads) + " must have 8 entries (begin and end of N, C, H, W)");
  if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) {
    b.fail("pads " + dims_text(pads) + " pad the batch or channel axis; Core ML's padding layer pads H and W only");
  }
  for (const auto p : pads) {
    if (p < 0) b.fail("negative pads (cropping) are not supported");
  }
  const std::string mode = b.attr_string("mode", "constant");
  auto& padding = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_padding();
  if (mode == "constant") {
    padding.mutable_constant()->set_value(value);
  } else if (mode == "reflect") {
    padding.mutable_reflection();
  } else if (mode == "edge") {
    padding.mutable_replication();
  } else {
    b.fail("attribute 'mode'='" + mode + "'; expected constant, reflect or edge");
  }
  for (const std::size_t axis : {std::size_t{2}, std::size_t{3}}) {
    auto* edge = padding.mutable_paddingamounts()->add_borderamounts();
    edge->set_startedgesize(static_cast<std::uint64_t>(pads[axis]));
    edge->set_endedgesize(static_cast<std::uint64_t>(pads[axis + 4]));
  }
  b.set_output_shape(0, {x[0], x[1], x[2] + pads[2] + pads[6], x[3] + pads[3] + pads[7]});
}

}  // namespace mlconv::converter
