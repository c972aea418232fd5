// Kernels of the convolution family: convolution (2-D, grouped, dilated,
// transposed, with weights from a second input) and convolution3d. Parameters
// are checked and weights packed when the model loads; the arithmetic is in
// convolution_engine.cc and convolution_winograd.cc.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "executor/kernel_registry.h"
#include "executor/kernels/common.h"
#include "executor/kernels/convolution_engine.h"
#include "executor/kernels/spatial.h"
#include "executor/layer_weights.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

namespace pb = CoreML::Specification;

std::string str(std::int64_t v) { return std::to_string(v); }

class Convolution final : public Kernel {
 public:
  Convolution(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::ConvolutionLayerParams& p = layer.convolution();
    deconv_ = p.isdeconvolution();
    dynamic_ = layer.input_size() == 2;
    if (layer.input_size() < 1 || layer.input_size() > 2)
      throw Error("takes 1 or 2 inputs (data, optionally weights); got " + str(layer.input_size()));
    if (dynamic_ && deconv_) throw Error("weights from a second input are not allowed for a deconvolution");
    groups_ = p.ngroups() == 0 ? 1 : static_cast<std::int64_t>(p.ngroups());
    out_channels_ = static_cast<std::int64_t>(p.outputchannels());
    kernel_channels_ = static_cast<std::int64_t>(p.kernelchannels());
    if (out_channels_ <= 0) throw Error("outputChannels must be positive");
    if (kernel_channels_ <= 0) throw Error("kernelChannels must be positive");
    if (out_channels_ % groups_ != 0)
      throw Error("outputChannels " + str(out_channels_) + " is not divisible by nGroups " + str(groups_));
    if (deconv_ && kernel_channels_ % groups_ != 0)
      throw Error("kernelChannels " + str(kernel_channels_) + " (the input channels of a deconvolution) is not divisible by nGroups " +
                  str(groups_));
    kernel_ = hw_pair_field(p.kernelsize(), 3, "kernelSize");
    stride_ = hw_pair_field(p.stride(), 1, "stride");
    dilation_ = deconv_ ? std::array<std::int64_t, 2>{1, 1} : hw_pair_field(p.dilationfactor(), 1, "dilationFactor");
    same_ = p.ConvolutionPaddingType_case() == pb::ConvolutionLayerParams::kSame;
    if (same_) {
      start_heavy_ = p.same().asymmetrymode() == pb::SamePadding::TOP_LEFT_HEAVY;
    } else if (p.has_valid()) {
      const auto& amounts = p.valid().paddingamounts().borderamounts();
      if (!amounts.empty() && amounts.size() != 2)
        throw Error("valid paddingAmounts must have 2 entries [H, W]; got " + str(amounts.size()));
      for (int a = 0; a < amounts.size(); ++a) {
        pad_[a][0] = static_cast<std::int64_t>(amounts[a].startedgesize());
        pad_[a][1] = static_cast<std::int64_t>(amounts[a].endedgesize());
      }
    }
    if (deconv_ && !p.outputshape().empty()) {
      if (p.outputshape().size() != 2) throw Error("outputShape must have 2 values [H, W]; got " + str(p.outputshape().size()));
      output_shape_ = {static_cast<std::int64_t>(p.outputshape(0)), static_cast<std::int64_t>(p.outputshape(1))};
      if (output_shape_[0] <= 0 || output_shape_[1] <= 0) throw Error("outputShape values must be positive");
    }
    const std::int64_t taps = kernel_[0] * kernel_[1];
    const LayerWeights weights(layer);
    if (p.hasbias()) bias_ = weights.get("bias", out_channels_);
    if (dynamic_) return;
    if (!deconv_) {
      std::vector<float> decoded;
      const std::span<const float> plain = weights.view("weights", out_channels_ * kernel_channels_ * taps, decoded);
      const ConvGeometry g = geometry_base(kernel_channels_ * groups_);
      // The transformed weights replace the plain ones: most shapes run Winograd. Weights may hold
      // infinities (only NaN is refused), and the transforms would turn inf - inf into NaN where
      // the direct sum gives an infinity; such a layer keeps the plain weights.
      const bool finite = std::all_of(plain.begin(), plain.end(), [](float w) { return std::isfinite(w); });
      if (finite && winograd_applicable(g)) {
        winograd_ = winograd_weights(g, plain.data());
      } else {
        weights_ = ConvolutionWeights(g, plain.data());
      }
      return;
    }
    // Stored [C_in, C_out / groups, kH, kW]; packed per group for one GEMM per group.
    std::vector<float> decoded;
    const std::span<const float> w = weights.view("weights", kernel_channels_ * (out_channels_ / groups_) * taps, decoded);
    const std::int64_t cout_g = out_channels_ / groups_;
    packed_ = pack_transpose_weights(geometry_base(kernel_channels_), [&](std::int64_t i, std::int64_t o, std::int64_t t) {
      return w[static_cast<std::size_t>((i * cout_g + o) * taps + t)];
    });
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    if (x.rank() < 3) throw Error("needs an input of rank >= 3 ([..., C, H, W]); got " + shape_to_string(x.shape()));
    const ChwView v = chw_view(x.shape());
    const std::int64_t in_channels = deconv_ ? kernel_channels_ : kernel_channels_ * groups_;
    if (v.channels != in_channels)
      throw Error("input " + shape_to_string(x.shape()) + " has " + str(v.channels) + " channels; the layer expects " +
                  str(in_channels) + (deconv_ ? " (kernelChannels)" : " (kernelChannels x nGroups)"));
    ConvGeometry g = geometry_base(in_channels);
    g.batch = v.batch;
    g.in = {1, v.height, v.width};
    for (int a = 0; a < 2; ++a) {
      const char* axis = a == 0 ? "height" : "width";
      const std::int64_t in = a == 0 ? v.height : v.width;
      const std::int64_t window = (kernel_[a] - 1) * dilation_[a] + 1;
      if (!deconv_) {
        if (same_) {
          const SamePadding1D s = same_padding(in, window, stride_[a], start_heavy_);
          g.out[a + 1] = s.out;
          g.pad_before[a + 1] = s.before;
        } else {
          g.out[a + 1] = valid_window_count(in, pad_[a][0], pad_[a][1], window, stride_[a], axis);
          g.pad_before[a + 1] = pad_[a][0];
        }
        continue;
      }
      // The full transposed result is (in - 1) * stride + kernel long; padding crops it.
      const std::int64_t full = (in - 1) * stride_[a] + kernel_[a];
      if (!output_shape_.empty()) {
        g.out[a + 1] = output_shape_[a];
        if (same_) {
          const std::int64_t total = std::max<std::int64_t>(0, full - g.out[a + 1]);
          g.pad_before[a + 1] = start_heavy_ ? total - total / 2 : total / 2;
        } else {
          g.pad_before[a + 1] = pad_[a][0];
        }
      } else if (same_) {
        g.out[a + 1] = in * stride_[a];
        const std::int64_t total = std::max<std::int64_t>(0, full - g.out[a + 1]);
        g.pad_before[a + 1] = start_heavy_ ? total - total / 2 : total / 2;
      } else {
        g.out[a + 1] = full - pad_[a][0] - pad_[a][1];
        g.pad_before[a + 1] = pad_[a][0];
        if (g.out[a + 1] <= 0)
          throw Error(std::string("the deconvolution ") + axis + " padding " + str(pad_[a][0] + pad_[a][1]) +
                      " removes the whole output (" + str(full) + " long)");
      }
    }
    std::optional<ConvolutionWeights> given;  // the weights input of a dynamic layer, prepared for this run
    if (dynamic_) {
      const Tensor& wt = *inputs[1];
      const Shape expected{out_channels_, kernel_channels_, kernel_[0], kernel_[1]};
      bool fits = wt.rank() >= 4;
      for (int i = 0; fits && i < wt.rank(); ++i)
        fits = i < wt.rank() - 4 ? wt.shape()[static_cast<std::size_t>(i)] == 1
                                 : wt.shape()[static_cast<std::size_t>(i)] == expected[static_cast<std::size_t>(i - (wt.rank() - 4))];
      if (!fits)
        throw Error("the weights input has shape " + shape_to_string(wt.shape()) + "; expected " + shape_to_string(expected) +
                    " ([outputChannels, kernelChannels, kernelHeight, kernelWidth])");
      given.emplace(g, wt.data());
    }
    Tensor& y = *outputs[0];
    y.resize(chw_shape(v.leading, out_channels_, g.out[1], g.out[2]));
    const ActivationFunction* activation = activation_ ? &*activation_ : nullptr;
    if (deconv_) {
      convolution_transpose(g, x.data(), packed_, bias_, activation, y.data(), *ctx.pool);
    } else if (!winograd_.empty() && winograd_pays_off(g)) {
      convolution_winograd(g, x.data(), winograd_, bias_, activation, y.data(), *ctx.pool);
    } else if (!winograd_.empty() && !dynamic_) {
      const ConvolutionWeights plain(g, weights_from_winograd(g, winograd_).data());
      convolution_forward(g, x.data(), plain, bias_, activation, y.data(), *ctx.pool);
    } else {
      convolution_forward(g, x.data(), given ? *given : weights_, bias_, activation, y.data(), *ctx.pool);
    }
  }

  bool fuse_activation(const ActivationFunction* activation) override {
    activation_.reset();
    if (activation != nullptr) activation_ = *activation;
    return true;
  }

 private:
  [[nodiscard]] ConvGeometry geometry_base(std::int64_t in_channels) const {
    ConvGeometry g;
    g.groups = groups_;
    g.in_channels = in_channels;
    g.out_channels = out_channels_;
    g.kernel = {1, kernel_[0], kernel_[1]};
    g.stride = {1, stride_[0], stride_[1]};
    g.dilation = {1, dilation_[0], dilation_[1]};
    return g;
  }

  bool deconv_ = false;
  bool dynamic_ = false;
  bool same_ = false;
  bool start_heavy_ = false;
  std::int64_t groups_ = 1;
  std::int64_t out_channels_ = 0;
  std::int64_t kernel_channels_ = 0;
  std::array<std::int64_t, 2> kernel_{3, 3};
  std::array<std::int64_t, 2> stride_{1, 1};
  std::array<std::int64_t, 2> dilation_{1, 1};
  std::int64_t pad_[2][2] = {{0, 0}, {0, 0}};  // [axis][before, after]
  std::vector<std::int64_t> output_shape_;
  ConvolutionWeights weights_;
  std::vector<PackedMatrix> packed_;  // deconvolution
  std::vector<PackedMatrix> winograd_;  // empty unless winograd_applicable
  std::vector<float> bias_;
  std::optional<ActivationFunction> activation_;  // the next layer's, when fused
};

std::int64_t positive(std::int32_t value, const char* name) {
  if (value <= 0) throw Error(std::string(name) + " must be positive; got " + std::to_string(value));
  return value;
}

class Convolution3D final : public Kernel {
 public:
  Convolution3D(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::Convolution3DLayerParams& p = layer.convolution3d();
    deconv_ = p.isdeconvolution();
    groups_ = p.ngroups() == 0 ? 1 : positive(p.ngroups(), "nGroups");
    in_channels_ = positive(p.inputchannels(), "inputChannels");
    out_channels_ = positive(p.outputchannels(), "outputChannels");
    if (in_channels_ % groups_ != 0 || out_channels_ % groups_ != 0)
      throw Error("nGroups " + str(groups_) + " must divide inputChannels " + str(in_channels_) + " and outputChannels " +
                  str(out_channels_));
    kernel_ = {positive(p.kerneldepth(), "kernelDepth"), positive(p.kernelheight(), "kernelHeight"),
               positive(p.kernelwidth(), "kernelWidth")};
    stride_ = {positive(p.stridedepth(), "strideDepth"), positive(p.strideheight(), "strideHeight"),
               positive(p.stridewidth(), "strideWidth")};
    dilation_ = {positive(p.dilationdepth(), "dilationDepth"), positive(p.dilationheight(), "dilationHeight"),
                 positive(p.dilationwidth(), "dilationWidth")};
    padding_ = p.paddingtype();
    const std::array<std::int32_t, 6> custom{p.custompaddingfront(), p.custompaddingback(), p.custompaddingtop(),
                                             p.custompaddingbottom(), p.custompaddingleft(), p.custompaddingright()};
    for (std::size_t i = 0; i < custom.size(); ++i) {
      if (custom[i] < 0) throw Error("custom padding amounts must not be negative; got " + std::to_string(custom[i]));
      if (padding_ == pb::Convolution3DLayerParams::CUSTOM) pad_[i / 2][i % 2] = custom[i];
    }
    if (deconv_ && !p.outputshape().empty()) {
      if (p.outputshape().size() != 3) throw Error("outputShape must have 3 values [D, H, W]; got " + str(p.outputshape().size()));
      for (std::uint64_t d : p.outputshape()) {
        if (d == 0) throw Error("outputShape values must be positive");
        output_shape_.push_back(static_cast<std::int64_t>(d));
      }
    }
    const LayerWeights weights(layer);
    if (p.hasbias()) bias_ = weights.get("bias", out_channels_);
    const std::int64_t taps = kernel_[0] * kernel_[1] * kernel_[2];
    const std::int64_t cin_g = in_channels_ / groups_;
    const std::int64_t cout_g = out_channels_ / groups_;
    if (!deconv_) {
      std::vector<float> decoded;
      weights_ = ConvolutionWeights(geometry_base(), weights.view("weights", out_channels_ * cin_g * taps, decoded).data());
      return;
    }
    // Stored [C_out / groups, C_in, kD, kH, kW].
    std::vector<float> decoded;
    const std::span<const float> w = weights.view("weights", cout_g * in_channels_ * taps, decoded);
    packed_ = pack_transpose_weights(geometry_base(), [&](std::int64_t i, std::int64_t o, std::int64_t t) {
      return w[static_cast<std::size_t>((o * in_channels_ + i) * taps + t)];
    });
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    if (x.rank() < 4) throw Error("needs an input of rank >= 4 ([..., C, D, H, W]); got " + shape_to_string(x.shape()));
    const Shape& s = x.shape();
    const std::size_t r = s.size();
    if (s[r - 4] != in_channels_)
      throw Error("input " + shape_to_string(s) + " has " + str(s[r - 4]) + " channels; inputChannels is " + str(in_channels_));
    ConvGeometry g = geometry_base();
    g.batch = 1;
    for (std::size_t i = 0; i + 4 < r; ++i) g.batch *= s[i];
    g.in = {s[r - 3], s[r - 2], s[r - 1]};
    static const char* const names[3] = {"depth", "height", "width"};
    for (int a = 0; a < 3; ++a) {
      const std::int64_t in = g.in[static_cast<std::size_t>(a)];
      const std::int64_t window = (kernel_[a] - 1) * dilation_[a] + 1;
      const bool same = padding_ == pb::Convolution3DLayerParams::SAME;
      std::int64_t out = 0;
      std::int64_t before = 0;
      if (!deconv_) {
        if (same) {
          const SamePadding1D sp = same_padding(in, window, stride_[a], false);
          out = sp.out;
          before = sp.before;
        } else {
          out = valid_window_count(in, pad_[a][0], pad_[a][1], window, stride_[a], names[a]);
          before = pad_[a][0];
        }
      } else {
        const std::int64_t full = (in - 1) * stride_[a] + window;
        out = !output_shape_.empty() ? output_shape_[static_cast<std::size_t>(a)]
              : same                 ? in * stride_[a]
                                     : full - pad_[a][0] - pad_[a][1];
        before = same ? std::max<std::int64_t>(0, full - out) / 2 : pad_[a][0];
        if (out <= 0)
          throw Error(std::string("the deconvolution ") + names[a] + " padding " + str(pad_[a][0] + pad_[a][1]) +
                      " removes the whole output (" + str(full) + " long)");
      }
      g.out[static_cast<std::size_t>(a)] = out;
      g.pad_before[static_cast<std::size_t>(a)] = before;
    }
    Shape out_shape(s.begin(), s.end() - 4);
    out_shape.insert(out_shape.end(), {out_channels_, g.out[0], g.out[1], g.out[2]});
    Tensor& y = *outputs[0];
    y.resize(out_shape);
    if (deconv_) {
      convolution_transpose(g, x.data(), packed_, bias_, nullptr, y.data(), *ctx.pool);
    } else {
      convolution_forward(g, x.data(), weights_, bias_, nullptr, y.data(), *ctx.pool);
    }
  }

 private:
  [[nodiscard]] ConvGeometry geometry_base() const {
    ConvGeometry g;
    g.groups = groups_;
    g.in_channels = in_channels_;
    g.out_channels = out_channels_;
    g.kernel = kernel_;
    g.stride = stride_;
    g.dilation = dilation_;
    return g;
  }

  bool deconv_ = false;
  pb::Convolution3DLayerParams::PaddingType padding_ = pb::Convolution3DLayerParams::CUSTOM;
  std::int64_t groups_ = 1;
  std::int64_t in_channels_ = 0;
  std::int64_t out_channels_ = 0;
  std::array<std::int64_t, 3> kernel_{};
  std::array<std::int64_t, 3> stride_{};
  std::array<std::int64_t, 3> dilation_{};
  std::int64_t pad_[3][2] = {{0, 0}, {0, 0}, {0, 0}};
  std::vector<std::int64_t> output_shape_;
  ConvolutionWeights weights_;
  std::vector<PackedMatrix> packed_;  // deconvolution
  std::vector<float> bias_;
};

template <typename K>
std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) {
  return std::make_unique<K>(layer, ctx);
}

}  // namespace

void register_convolution_kernels(KernelRegistry& registry) {
  registry.add(Layer::kConvolution, make<Convolution>);
  registry.add(Layer::kConvolution3D, make<Convolution3D>);
}

}  // namespace mlconv::exec
