// Convolution, pooling, padding and upsampling: layers whose kernel, stride and
// padding are spread over several fields, repeated fields with documented
// defaults, and oneofs that the generic formatter would show less clearly.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "cli/layer_attributes_families.h"
#include "spec/names.h"

namespace mlconv::cli::attributes {

namespace {

namespace cml = CoreML::Specification;

// An empty [H, W] field means the spec's default, which is what Core ML runs with.
Json spatial_or_default(const google::protobuf::RepeatedField<std::uint64_t>& values, std::uint64_t fallback) {
  return values.empty() ? Json::array({fallback, fallback}) : uint_array(values);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void add_same_padding(Json& out, const cml::SamePadding& same) {
  out["padding"] = "same";
  // BOTTOM_RIGHT_HEAVY is what TensorFlow and Keras do; only the other mode is news.
  if (same.asymmetrymode() != cml::SamePadding::BOTTOM_RIGHT_HEAVY) {
    out["asymmetryMode"] = spec::enum_value_name(cml::SamePadding::SamePaddingMode_descriptor(), same.asymmetrymode());
  }
}

void add_valid_padding(Json& out, const cml::ValidPadding& valid) {
  out["padding"] = "valid";
  Json amounts = border_amounts_json(valid.paddingamounts());
  if (!amounts.is_null()) out["paddingAmounts"] = std::move(amounts);
}

Json convolution_attributes(const Layer& layer) {
  const cml::ConvolutionLayerParams& conv = layer.convolution();
  const bool deconvolution = conv.isdeconvolution();
  const std::uint64_t groups = std::max<std::uint64_t>(conv.ngroups(), 1);  // 0 means 1
  Json out = Json::object();
  out["kernel"] = spatial_or_default(conv.kernelsize(), 3);
  out["stride"] = spatial_or_default(conv.stride(), 1);
  if (!deconvolution) out["dilation"] = spatial_or_default(conv.dilationfactor(), 1);  // ignored by deconvolution
  out["groups"] = groups;
  // kernelChannels is per group for a convolution but the whole input for a
  // deconvolution; the input channel count reads the same for both.
  if (conv.kernelchannels() != 0) {
    out["inputChannels"] = deconvolution ? conv.kernelchannels() : conv.kernelchannels() * groups;
  }
  out["outputChannels"] = conv.outputchannels();
  if (conv.has_valid()) add_valid_padding(out, conv.valid());
  if (conv.has_same()) add_same_padding(out, conv.same());
  if (deconvolution) out["deconvolution"] = true;
  if (!conv.outputshape().empty()) out["outputShape"] = uint_array(conv.outputshape());
  if (conv.hasbias()) out["hasBias"] = true;
  return out;
}

Json convolution3d_attributes(const Layer& layer) {
  const cml::Convolution3DLayerParams& conv = layer.convolution3d();
  Json out = Json::object();
  out["kernel"] = {conv.kerneldepth(), conv.kernelheight(), conv.kernelwidth()};
  out["stride"] = {conv.stridedepth(), conv.strideheight(), conv.stridewidth()};
  if (!conv.isdeconvolution()) out["dilation"] = {conv.dilationdepth(), conv.dilationheight(), conv.dilationwidth()};
  out["groups"] = conv.ngroups();
  out["inputChannels"] = conv.inputchannels();
  out["outputChannels"] = conv.outputchannels();
  out["padding"] =
      lowercase(spec::enum_value_name(cml::Convolution3DLayerParams::PaddingType_descriptor(), conv.paddingtype()));
  if (conv.paddingtype() == cml::Convolution3DLayerParams::CUSTOM) {
    const std::array<std::int32_t, 6> amounts{conv.custompaddingfront(), conv.custompaddingback(),
                                              conv.custompaddingtop(),   conv.custompaddingbottom(),
                                              conv.custompaddingleft(),  conv.custompaddingright()};
    if (std::any_of(amounts.begin(), amounts.end(), [](std::int32_t amount) { return amount != 0; })) {
      out["paddingAmounts"] = amounts;
    }
  }
  if (conv.isdeconvolution()) out["deconvolution"] = true;
  if (!conv.outputshape().empty()) out["outputShape"] = uint_array(conv.outputshape());
  if (conv.hasbias()) out["hasBias"] = true;
  return out;
}

Json pooling_attributes(const Layer& layer) {
  const cml::PoolingLayerParams& pooling = layer.pooling();
  Json out = Json::object();
  out["type"] = spec::enum_value_name(cml::PoolingLayerParams::PoolingType_descriptor(), pooling.type());
  // Global pooling takes the whole plane: kernel, stride and padding are ignored.
  if (pooling.globalpooling()) {
    out["globalPooling"] = true;
  } else {
    out["kernel"] = spatial_or_default(pooling.kernelsize(), 3);
    out["stride"] = spatial_or_default(pooling.stride(), 1);
    if (pooling.has_valid()) add_valid_padding(out, pooling.valid());
    if (pooling.has_same()) add_same_padding(out, pooling.same());
    if (pooling.has_includelastpixel()) {
      out["padding"] = "includeLastPixel";
      const auto& amounts = pooling.includelastpixel().paddingamounts();
      if (std::any_of(amounts.begin(), amounts.end(), [](std::uint64_t amount) { return amount != 0; })) {
        out["paddingAmounts"] = uint_array(amounts);
      }
    }
  }
  // The flag changes only the average's denominator.
  if (pooling.avgpoolexcludepadding() && pooling.type() == cml::PoolingLayerParams::AVERAGE) {
    out["avgPoolExcludePadding"] = true;
  }
  return out;
}

Json pooling3d_attributes(const Layer& layer) {
  const cml::Pooling3DLayerParams& pooling = layer.pooling3d();
  Json out = Json::object();
  out["type"] = spec::enum_value_name(cml::Pooling3DLayerParams::PoolingType3D_descriptor(), pooling.type());
  out["kernel"] = {pooling.kerneldepth(), pooling.kernelheight(), pooling.kernelwidth()};
  out["stride"] = {pooling.stridedepth(), pooling.strideheight(), pooling.stridewidth()};
  out["padding"] = lowercase(
      spec::enum_value_name(cml::Pooling3DLayerParams::Pooling3DPaddingType_descriptor(), pooling.paddingtype()));
  if (pooling.paddingtype() == cml::Pooling3DLayerParams::CUSTOM) {
    const std::array<std::int32_t, 6> amounts{pooling.custompaddingfront(), pooling.custompaddingback(),
                                              pooling.custompaddingtop(),   pooling.custompaddingbottom(),
                                              pooling.custompaddingleft(),  pooling.custompaddingright()};
    if (std::any_of(amounts.begin(), amounts.end(), [](std::int32_t amount) { return amount != 0; })) {
      out["paddingAmounts"] = amounts;
    }
  }
  if (pooling.countexcludepadding() && pooling.type() == cml::Pooling3DLayerParams::AVERAGE) {
    out["countExcludePadding"] = true;
  }
  return out;
}

Json padding_attributes(const Layer& layer) {
  const cml::PaddingLayerParams& padding = layer.padding();
  Json out = Json::object();
  const std::string_view kind = spec::oneof_case_name(padding, "PaddingType");
  if (!kind.empty()) out["padding"] = kind;
  // The fill value matters even when it is 0, so it is always shown for constant padding.
  if (padding.has_constant()) out["value"] = float_json(padding.constant().value());
  Json amounts = border_amounts_json(padding.paddingamounts());
  if (!amounts.is_null()) out["paddingAmounts"] = std::move(amounts);
  return out;
}

Json upsample_attributes(const Layer& layer) {
  const cml::UpsampleLayerParams& upsample = layer.upsample();
  Json out = Json::object();
  if (!upsample.fractionalscalingfactor().empty()) {
    Json factors = Json::array();
    for (const float factor : upsample.fractionalscalingfactor()) factors.push_back(float_json(factor));
    out["fractionalScalingFactor"] = std::move(factors);
  } else {
    out["scalingFactor"] = spatial_or_default(upsample.scalingfactor(), 1);
  }
  out["mode"] = spec::enum_value_name(cml::UpsampleLayerParams::InterpolationMode_descriptor(), upsample.mode());
  // Corner alignment applies to bilinear interpolation only.
  if (upsample.mode() == cml::UpsampleLayerParams::BILINEAR &&
      upsample.linearupsamplemode() != cml::UpsampleLayerParams::DEFAULT) {
    out["linearUpsampleMode"] =
        spec::enum_value_name(cml::UpsampleLayerParams::LinearUpsampleMode_descriptor(), upsample.linearupsamplemode());
  }
  return out;
}

constexpr std::array<Registration, 6> kSpatialFormatters{{
    {Layer::kConvolution, convolution_attributes},
    {Layer::kConvolution3D, convolution3d_attributes},
    {Layer::kPooling, pooling_attributes},
    {Layer::kPooling3D, pooling3d_attributes},
    {Layer::kPadding, padding_attributes},
    {Layer::kUpsample, upsample_attributes},
}};

}  // namespace

std::span<const Registration> spatial_formatters() { return kSpatialFormatters; }

}  // namespace mlconv::cli::attributes
