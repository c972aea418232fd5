// Normalization layers: batchnorm (given or computed statistics, instance
// normalization), mean-variance normalization, L2 normalization, local
// response normalization across channels, softmax over C (classic) or any
// axis (softmaxND), and layer normalization over the trailing axes.
// Statistics are accumulated in double; variances are population variances.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "executor/kernel_registry.h"
#include "executor/kernels/activation_function.h"
#include "executor/kernels/elementwise.h"
#include "executor/layer_weights.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

struct Moments {
  double mean = 0;
  double variance = 0;
};

// Mean and population variance of `count` values spaced `stride` apart, in `runs` runs of `run` contiguous values.
Moments moments(const float* x, std::int64_t runs, std::int64_t run, std::int64_t stride) {
  const double count = static_cast<double>(runs * run);
  if (count == 0) return {};
  double sum = 0;
  for (std::int64_t r = 0; r < runs; ++r)
    for (std::int64_t i = 0; i < run; ++i) sum += x[r * stride + i];
  const double mean = sum / count;
  double squares = 0;  // second pass around the mean: no cancellation for large offsets
  for (std::int64_t r = 0; r < runs; ++r)
    for (std::int64_t i = 0; i < run; ++i) {
      const double d = x[r * stride + i] - mean;
      squares += d * d;
    }
  return {mean, squares / count};
}

// y = x * scale + shift over a run of contiguous values.
inline void affine(const float* x, float* y, std::int64_t n, float scale, float shift) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

class Batchnorm final : public Kernel {
 public:
  explicit Batchnorm(const Layer& layer) {
    const auto& p = layer.batchnorm();
    channels_ = static_cast<std::int64_t>(p.channels());
    if (channels_ <= 0) throw Error("batchnorm channels is 0; expected the input's channel count");
    compute_ = p.computemeanvar();
    instance_ = p.instancenormalization();
    eps_ = or_default(p.epsilon(), 1e-5F);
    LayerWeights weights(layer);
    gamma_ = weights.get("gamma", channels_);
    beta_ = weights.get("beta", channels_);
    if (!compute_) {
      const std::vector<float> mean = weights.get("mean", channels_);
      const std::vector<float> variance = weights.get("variance", channels_);
      // Fold the fixed statistics into one multiply-add per element.
      for (std::size_t c = 0; c < gamma_.size(); ++c) {
        if (variance[c] + eps_ <= 0)
          throw Error("variance[" + std::to_string(c) + "] is " + std::to_string(variance[c]) +
                      "; a variance plus epsilon must be positive");
        const float scale = gamma_[c] / std::sqrt(variance[c] + eps_);
        gamma_[c] = scale;
        beta_[c] = beta_[c] - mean[c] * scale;
      }
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const ChwView v = chw_view(in.shape());
    if (v.channels != channels_)
      throw Error("input " + shape_to_string(in.shape()) + " has " + std::to_string(v.channels) +
                  " channels (axis -3); the layer has " + std::to_string(channels_));
    out.resize(in.shape());
    const std::int64_t plane = v.height * v.width;
    const std::int64_t image = v.channels * plane;
    const float* x = in.data();
    float* y = out.data();
    if (!compute_) {
      parallel_range(ctx, v.batch * v.channels, in.size(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p) {
          const auto c = static_cast<std::size_t>(p % v.channels);
          affine(x + p * plane, y + p * plane, plane, gamma_[c], beta_[c]);
          activate(y + p * plane, plane);
        }
      });
    } else if (instance_) {
      parallel_range(ctx, v.batch * v.channels, 2 * in.size(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p) {
          const auto c = static_cast<std::size_t>(p % v.channels);
          const Moments m = moments(x + p * plane, 1, plane, plane);
          const auto scale = static_cast<float>(gamma_[c] / std::sqrt(m.variance + eps_));
          affine(x + p * plane, y + p * plane, plane, scale, static_cast<float>(beta_[c] - m.mean * scale));
          activate(y + p * plane, plane);
        }
      });
    } else {
      // Statistics per channel over the batch and the spatial axes.
      parallel_range(ctx, v.channels, 2 * in.size(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
          const auto u = static_cast<std::size_t>(c);
          const Moments m = moments(x + c * plane, v.batch, plane, image);
          const auto scale = static_cast<float>(gamma_[u] / std::sqrt(m.variance + eps_));
          const auto shift = static_cast<float>(beta_[u] - m.mean * scale);
          for (std::int64_t b = 0; b < v.batch; ++b) {
            affine(x + b * image + c * plane, y + b * image + c * plane, plane, scale, shift);
            activate(y + b * image + c * plane, plane);
          }
        }
      });
    }
  }

  bool fuse_activation(const ActivationFunction* activation) override {
    activation_.reset();
    if (activation != nullptr) activation_ = *activation;
    return true;
  }

 private:
  void activate(float* y, std::int64_t n) const {
    if (activation_) activation_->apply_in_place(y, n);
  }

  std::int64_t channels_ = 0;
  bool compute_ = false;
  bool instance_ = false;
  float eps_ = 1e-5F;
  std::vector<float> gamma_;  // with fixed statistics: the folded scale
  std::vector<float> beta_;   // with fixed statistics: the folded shift
  std::optional<ActivationFunction> activation_;  // the next layer's, when fused
};

std::unique_ptr<Kernel> make_batchnorm(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<Batchnorm>(layer);
}

// Normalizes groups of `group` contiguous values: subtract the mean, optionally divide by sqrt(var + eps).
class GroupNormalize final : public Kernel {
 public:
  enum class Kind { mvn_channels, mvn_across, l2 };
  GroupNormalize(Kind kind, bool variance, float eps) : kind_(kind), variance_(variance), eps_(eps) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const ChwView v = chw_view(in.shape());
    const std::int64_t group = kind_ == Kind::mvn_channels ? v.height * v.width : v.channels * v.height * v.width;
    const std::int64_t groups = group == 0 ? 0 : in.size() / group;
    out.resize(in.shape());
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, groups, 2 * in.size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t g = begin; g < end; ++g) {
        const float* src = x + g * group;
        float* dst = y + g * group;
        if (kind_ == Kind::l2) {
          double squares = 0;
          for (std::int64_t i = 0; i < group; ++i) squares += static_cast<double>(src[i]) * src[i];
          affine(src, dst, group, static_cast<float>(1.0 / std::sqrt(squares + eps_)), 0.0F);
        } else {
          const Moments m = moments(src, 1, group, group);
          const float scale = variance_ ? static_cast<float>(1.0 / std::sqrt(m.variance + eps_)) : 1.0F;
          affine(src, dst, group, scale, static_cast<float>(-m.mean * scale));
        }
      }
    });
  }

 private:
  Kind kind_;
  bool variance_;
  float eps_;
};

std::unique_ptr<Kernel> make_mvn(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  const auto& p = layer.mvn();
  return std::make_unique<GroupNormalize>(
      p.acrosschannels() ? GroupNormalize::Kind::mvn_across : GroupNormalize::Kind::mvn_channels,
      p.normalizevariance(), or_default(p.epsilon(), 1e-6F));
}

std::unique_ptr<Kernel> make_l2_normalize(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<GroupNormalize>(GroupNormalize::Kind::l2, false, or_default(layer.l2normalize().epsilon(), 1e-6F));
}

// y = x / (k + alpha / n * sum of x^2 over n neighbouring channels)^beta
class Lrn final : public Kernel {
 public:
  explicit Lrn(const Layer& layer) {
    const auto& p = layer.lrn();
    if (p.localsize() == 0) throw Error("lrn localSize is 0; expected 1 or more channels");
    if (p.k() < 0) throw Error("lrn k is " + std::to_string(p.k()) + "; expected a positive value");
    size_ = static_cast<std::int64_t>(p.localsize());
    alpha_over_n_ = p.alpha() / static_cast<float>(size_);
    beta_ = p.beta();
    k_ = or_default(p.k(), 1.0F);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const ChwView v = chw_view(in.shape());
    out.resize(in.shape());
    const std::int64_t plane = v.height * v.width;
    const std::int64_t before = (size_ - 1) / 2;  // the window is centred; an even size leans forward
    const std::int64_t after = size_ - 1 - before;
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, v.batch * v.channels, in.size() * size_, [&](std::int64_t begin, std::int64_t end) {
      std::vector<float> sum(static_cast<std::size_t>(plane));
      for (std::int64_t p = begin; p < end; ++p) {
        const std::int64_t b = p / v.channels;
        const std::int64_t c = p % v.channels;
        const float* image = x + b * v.channels * plane;
        std::fill(sum.begin(), sum.end(), 0.0F);
        for (std::int64_t j = std::max<std::int64_t>(0, c - before); j <= std::min(v.channels - 1, c + after); ++j) {
          const float* src = image + j * plane;
          for (std::int64_t i = 0; i < plane; ++i) sum[static_cast<std::size_t>(i)] += src[i] * src[i];
        }
        const float* src = x + p * plane;
        float* dst = y + p * plane;
        for (std::int64_t i = 0; i < plane; ++i)
          dst[i] = src[i] / std::pow(k_ + alpha_over_n_ * sum[static_cast<std::size_t>(i)], beta_);
      }
    });
  }

 private:
  std::int64_t size_ = 1;
  float alpha_over_n_ = 0;
  float beta_ = 0;
  float k_ = 1;
};

std::unique_ptr<Kernel> make_lrn(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<Lrn>(layer);
}

// Softmax over one axis: the classic layer's axis -3 (C of [batch, C, H, W]) or softmaxND's axis.
class Softmax final : public Kernel {
 public:
  explicit Softmax(std::optional<std::int64_t> axis) : axis_(axis) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    AxisView view;
    if (axis_) {
      view = axis_view(in.shape(), normalize_axis(*axis_, in.rank()));
    } else {
      const ChwView v = chw_view(in.shape());
      view = {v.batch, v.channels, v.height * v.width};
    }
    out.resize(in.shape());
    softmax_along(in.data(), out.data(), view, ctx);
  }

 private:
  std::optional<std::int64_t> axis_;
};

std::unique_ptr<Kernel> make_softmax(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<Softmax>(std::nullopt);
}

std::unique_ptr<Kernel> make_softmax_nd(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<Softmax>(layer.softmaxnd().axis());
}

class LayerNorm final : public Kernel {
 public:
  explicit LayerNorm(const Layer& layer) {
    const auto& p = layer.layernormalization();
    if (p.normalizedshape_size() == 0) throw Error("normalizedShape is empty; expected the trailing axes to normalize");
    for (std::int64_t d : p.normalizedshape()) {
      if (d <= 0) throw Error("normalizedShape has dimension " + std::to_string(d) + "; expected 1 or more");
      shape_.push_back(d);
    }
    eps_ = p.eps();
    LayerWeights weights(layer);
    gamma_ = weights.get("gamma", element_count(shape_));
    beta_ = weights.get("beta", element_count(shape_));
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    Tensor& out = *outputs[0];
    const auto& s = in.shape();
    if (s.size() < shape_.size() || !std::equal(shape_.begin(), shape_.end(), s.end() - static_cast<std::ptrdiff_t>(shape_.size())))
      throw Error("input " + shape_to_string(s) + " does not end with normalizedShape " + shape_to_string(shape_));
    out.resize(s);
    const auto group = static_cast<std::int64_t>(gamma_.size());
    const std::int64_t rows = in.size() / group;
    const float* x = in.data();
    float* y = out.data();
    parallel_range(ctx, rows, 2 * in.size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const float* src = x + r * group;
        float* dst = y + r * group;
        const Moments m = moments(src, 1, group, group);
        const auto inv = static_cast<float>(1.0 / std::sqrt(m.variance + eps_));
        const auto mean = static_cast<float>(m.mean);
        for (std::int64_t i = 0; i < group; ++i) {
          const auto u = static_cast<std::size_t>(i);
          dst[i] = (src[i] - mean) * inv * gamma_[u] + beta_[u];
        }
      }
    });
  }

 private:
  Shape shape_;
  float eps_ = 0;
  std::vector<float> gamma_;
  std::vector<float> beta_;
};

std::unique_ptr<Kernel> make_layer_norm(const Layer& layer, const BuildContext&) {
  expect_arity(layer, 1, 1);
  return std::make_unique<LayerNorm>(layer);
}

}  // namespace

void register_normalization_kernels(KernelRegistry& registry) {
  registry.add(Layer::kBatchnorm, make_batchnorm);
  registry.add(Layer::kMvn, make_mvn);
  registry.add(Layer::kL2Normalize, make_l2_normalize);
  registry.add(Layer::kLrn, make_lrn);
  registry.add(Layer::kSoftmax, make_softmax);
  registry.add(Layer::kSoftmaxND, make_softmax_nd);
  registry.add(Layer::kLayerNormalization, make_layer_norm);
}

}  // namespace mlconv::exec
