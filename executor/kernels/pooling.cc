// Kernels of the pooling family: pooling (MAX / AVERAGE / L2 over [H, W] with
// valid, same or includeLastPixel padding, or global), pooling3d and
// globalPooling3d. 2-D pooling runs as 3-D pooling with depth 1; each channel
// plane is an independent task for the thread pool.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "executor/kernel_registry.h"
#include "executor/kernels/common.h"
#include "executor/kernels/spatial.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

namespace pb = CoreML::Specification;

enum class PoolOp { max, average, l2 };

struct PoolGeometry {
  std::int64_t planes = 0;  // batch x channels
  std::array<std::int64_t, 3> in{1, 1, 1};
  std::array<std::int64_t, 3> out{1, 1, 1};
  std::array<std::int64_t, 3> kernel{1, 1, 1};
  std::array<std::int64_t, 3> stride{1, 1, 1};
  std::array<std::int64_t, 3> pad_before{0, 0, 0};
  // Windows are clipped here (in + padding after) when counting padded
  // elements for an average; only includeLastPixel windows reach past it.
  std::array<std::int64_t, 3> pad_after{0, 0, 0};
};

// The extent of every window along one axis: real input positions [lo, hi)
// and the span counted for an average with padding (clipped at in + pad_after).
struct AxisWindows {
  std::vector<std::int64_t> lo;
  std::vector<std::int64_t> hi;
  std::vector<std::int64_t> span;
};

AxisWindows axis_windows(const PoolGeometry& g, int a) {
  AxisWindows w;
  for (std::int64_t o = 0; o < g.out[a]; ++o) {
    const std::int64_t start = o * g.stride[a] - g.pad_before[a];
    const std::int64_t stop = std::min(start + g.kernel[a], g.in[a] + g.pad_after[a]);
    w.span.push_back(stop - start);
    w.lo.push_back(std::clamp<std::int64_t>(start, 0, g.in[a]));
    w.hi.push_back(std::clamp<std::int64_t>(stop, w.lo.back(), g.in[a]));
  }
  return w;
}

using Row = Eigen::Map<Eigen::ArrayXf>;
using StridedRow = Eigen::Map<const Eigen::ArrayXf, Eigen::Unaligned, Eigen::InnerStride<>>;

// Padding counts as zeros for AVERAGE (unless excluded) and L2, and is skipped
// by MAX; a window holding only padding gives 0. Each output row accumulates
// one kernel tap at a time over all its columns, so the inner loop is a
// (strided) vector operation.
void pool(const PoolGeometry& g, PoolOp op, bool exclude_padding, const float* input, float* output,
          ThreadPool& threads) {
  const std::int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
  const std::int64_t out_plane = g.out[0] * g.out[1] * g.out[2];
  const AxisWindows wd = axis_windows(g, 0);
  const AxisWindows wy = axis_windows(g, 1);
  const AxisWindows wx = axis_windows(g, 2);
  // Output columns [x_lo, x_hi) whose window holds real column ox * stride + offset, per kernel column.
  const std::int64_t kw = g.kernel[2];
  const std::int64_t sx = g.stride[2];
  std::vector<std::int64_t> x_lo(static_cast<std::size_t>(kw));
  std::vector<std::int64_t> x_hi(static_cast<std::size_t>(kw));
  for (std::int64_t kx = 0; kx < kw; ++kx) {
    const std::int64_t offset = kx - g.pad_before[2];
    std::int64_t lo = offset >= 0 ? 0 : (-offset + sx - 1) / sx;
    std::int64_t hi = offset >= g.in[2] ? 0 : (g.in[2] - 1 - offset) / sx + 1;
    lo = std::min(lo, g.out[2]);
    x_lo[static_cast<std::size_t>(kx)] = lo;
    x_hi[static_cast<std::size_t>(kx)] = std::clamp(hi, lo, g.out[2]);
  }
  const float init = op == PoolOp::max ? -std::numeric_limits<float>::infinity() : 0.0F;
  threads.parallel_for(g.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) {
      const float* in = input + p * in_plane;
      float* out = output + p * out_plane;
      for (std::int64_t od = 0; od < g.out[0]; ++od)
        for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
          const auto ud = static_cast<std::size_t>(od);
          const auto uy = static_cast<std::size_t>(oy);
          float* o = out + (od * g.out[1] + oy) * g.out[2];
          std::fill(o, o + g.out[2], init);
          for (std::int64_t z = wd.lo[ud]; z < wd.hi[ud]; ++z)
            for (std::int64_t y = wy.lo[uy]; y < wy.hi[uy]; ++y) {
              const float* row = in + (z * g.in[1] + y) * g.in[2];
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t lo = x_lo[static_cast<std::size_t>(kx)];
                const std::int64_t n = x_hi[static_cast<std::size_t>(kx)] - lo;
                if (n <= 0) continue;
                Row acc(o + lo, n);
                const StridedRow v(row + lo * sx + kx - g.pad_before[2], n, Eigen::InnerStride<>(sx));
                if (op == PoolOp::max) {
                  acc = acc.max(v);
                } else if (op == PoolOp::average) {
                  acc += v;
                } else {
                  acc += v.square();
                }
              }
            }
          const std::int64_t real_dy = (wd.hi[ud] - wd.lo[ud]) * (wy.hi[uy] - wy.lo[uy]);
          const std::int64_t span_dy = wd.span[ud] * wy.span[uy];
          for (std::int64_t ox = 0; ox < g.out[2]; ++ox) {
            const auto ux = static_cast<std::size_t>(ox);
            const std::int64_t real = real_dy * (wx.hi[ux] - wx.lo[ux]);
            if (op == PoolOp::max) {
              if (real == 0) o[ox] = 0.0F;
            } else if (op == PoolOp::l2) {
              o[ox] = std::sqrt(o[ox]);
            } else {
              const std::int64_t divisor = exclude_padding ? real : span_dy * wx.span[ux];
              o[ox] = divisor > 0 ? o[ox] / static_cast<float>(divisor) : 0.0F;
            }
          }
        }
    }
  });
}

// Global pooling: one reduction over each whole plane.
void pool_global(std::int64_t planes, std::int64_t plane, PoolOp op, const float* input, float* output,
                 ThreadPool& threads) {
  threads.parallel_for(planes, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) {
      const Eigen::Map<const Eigen::ArrayXf> v(input + p * plane, plane);
      if (plane == 0) {
        output[p] = 0.0F;
      } else if (op == PoolOp::max) {
        output[p] = v.maxCoeff();
      } else if (op == PoolOp::average) {
        output[p] = v.sum() / static_cast<float>(plane);
      } else {
        output[p] = std::sqrt(v.square().sum());
      }
    }
  });
}

std::string str(std::int64_t v) { return std::to_string(v); }

class Pooling final : public Kernel {
 public:
  Pooling(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::PoolingLayerParams& p = layer.pooling();
    switch (p.type()) {
      case pb::PoolingLayerParams::MAX: op_ = PoolOp::max; break;
      case pb::PoolingLayerParams::AVERAGE: op_ = PoolOp::average; break;
      case pb::PoolingLayerParams::L2: op_ = PoolOp::l2; break;
      default: throw Error("unknown pooling type " + str(p.type()));
    }
    global_ = p.globalpooling();
    exclude_padding_ = p.avgpoolexcludepadding();
    // Global pooling ignores kernelSize and stride, and Keras' converter writes
    // them as [0, 0] (hollance's Swish model), so they are read only otherwise.
    if (!global_) {
      kernel_ = hw_pair_field(p.kernelsize(), 3, "kernelSize");
      stride_ = hw_pair_field(p.stride(), 1, "stride");
    }
    padding_ = p.PoolingPaddingType_case();
    if (padding_ == pb::PoolingLayerParams::kSame) {
      start_heavy_ = p.same().asymmetrymode() == pb::SamePadding::TOP_LEFT_HEAVY;
    } else if (padding_ == pb::PoolingLayerParams::kValid) {
      const auto& amounts = p.valid().paddingamounts().borderamounts();
      if (!amounts.empty() && amounts.size() != 2)
        throw Error("valid paddingAmounts must have 2 entries [H, W]; got " + str(amounts.size()));
      for (int a = 0; a < amounts.size(); ++a) {
        pad_[a][0] = static_cast<std::int64_t>(amounts[a].startedgesize());
        pad_[a][1] = static_cast<std::int64_t>(amounts[a].endedgesize());
      }
    } else if (padding_ == pb::PoolingLayerParams::kIncludeLastPixel) {
      const auto& amounts = p.includelastpixel().paddingamounts();
      if (!amounts.empty() && amounts.size() != 2)
        throw Error("includeLastPixel paddingAmounts must have 2 values [H, W]; got " + str(amounts.size()));
      for (int a = 0; a < amounts.size(); ++a) pad_[a][0] = pad_[a][1] = static_cast<std::int64_t>(amounts[a]);
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    if (x.rank() < 3) throw Error("needs an input of rank >= 3 ([..., C, H, W]); got " + shape_to_string(x.shape()));
    const ChwView v = chw_view(x.shape());
    PoolGeometry g;
    g.planes = v.batch * v.channels;
    g.in = {1, v.height, v.width};
    if (global_) {
      g.kernel = {1, v.height, v.width};
      g.out = {1, 1, 1};
    } else {
      const bool any_pad = pad_[0][0] > 0 || pad_[1][0] > 0;
      for (int a = 0; a < 2; ++a) {
        const auto u = static_cast<std::size_t>(a + 1);
        const char* axis = a == 0 ? "height" : "width";
        const std::int64_t in = g.in[u];
        g.kernel[u] = kernel_[a];
        g.stride[u] = stride_[a];
        if (padding_ == pb::PoolingLayerParams::kSame) {
          const SamePadding1D s = same_padding(in, kernel_[a], stride_[a], start_heavy_);
          g.out[u] = s.out;
          g.pad_before[u] = s.before;
          g.pad_after[u] = s.after;
        } else if (padding_ == pb::PoolingLayerParams::kIncludeLastPixel) {
          const std::int64_t pad = pad_[a][0];
          const std::int64_t reach = in + 2 * pad - kernel_[a];
          if (reach < 0)
            throw Error(std::string("the ") + axis + " window " + str(kernel_[a]) + " is larger than the padded input " +
                        axis + " " + str(in + 2 * pad));
          std::int64_t out = (reach + stride_[a] - 1) / stride_[a] + 1;
          // The last window must start inside the input or its leading padding (Caffe's rule).
          if (any_pad && (out - 1) * stride_[a] >= in + pad) --out;
          g.out[u] = out;
          g.pad_before[u] = pad;
          g.pad_after[u] = pad;
        } else {
          g.out[u] = valid_window_count(in, pad_[a][0], pad_[a][1], kernel_[a], stride_[a], axis);
          g.pad_before[u] = pad_[a][0];
          g.pad_after[u] = pad_[a][1];
        }
      }
    }
    Tensor& y = *outputs[0];
    y.resize(chw_shape(v.leading, v.channels, g.out[1], g.out[2]));
    if (global_) {
      pool_global(g.planes, v.height * v.width, op_, x.data(), y.data(), *ctx.pool);
    } else {
      pool(g, op_, exclude_padding_, x.data(), y.data(), *ctx.pool);
    }
  }

 private:
  PoolOp op_ = PoolOp::max;
  bool global_ = false;
  bool exclude_padding_ = false;
  bool start_heavy_ = false;
  pb::PoolingLayerParams::PoolingPaddingTypeCase padding_ = pb::PoolingLayerParams::POOLINGPADDINGTYPE_NOT_SET;
  std::array<std::int64_t, 2> kernel_{3, 3};
  std::array<std::int64_t, 2> stride_{1, 1};
  std::int64_t pad_[2][2] = {{0, 0}, {0, 0}};
};

std::int64_t positive(std::int32_t value, const char* name) {
  if (value <= 0) throw Error(std::string(name) + " must be positive; got " + std::to_string(value));
  return value;
}

// [..., C, D, H, W] with everything before C as batch.
PoolGeometry volume_geometry(const Tensor& x) {
  if (x.rank() < 4) throw Error("needs an input of rank >= 4 ([..., C, D, H, W]); got " + shape_to_string(x.shape()));
  const Shape& s = x.shape();
  const std::size_t r = s.size();
  PoolGeometry g;
  g.planes = 1;
  for (std::size_t i = 0; i + 3 < r; ++i) g.planes *= s[i];
  g.in = {s[r - 3], s[r - 2], s[r - 1]};
  return g;
}

class Pooling3D final : public Kernel {
 public:
  Pooling3D(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::Pooling3DLayerParams& p = layer.pooling3d();
    if (p.type() != pb::Pooling3DLayerParams::MAX && p.type() != pb::Pooling3DLayerParams::AVERAGE)
      throw Error("unknown pooling3d type " + str(p.type()));
    op_ = p.type() == pb::Pooling3DLayerParams::MAX ? PoolOp::max : PoolOp::average;
    kernel_ = {positive(p.kerneldepth(), "kernelDepth"), positive(p.kernelheight(), "kernelHeight"),
               positive(p.kernelwidth(), "kernelWidth")};
    stride_ = {positive(p.stridedepth(), "strideDepth"), positive(p.strideheight(), "strideHeight"),
               positive(p.stridewidth(), "strideWidth")};
    padding_ = p.paddingtype();
    exclude_padding_ = p.countexcludepadding();
    const std::array<std::int32_t, 6> custom{p.custompaddingfront(), p.custompaddingback(), p.custompaddingtop(),
                                             p.custompaddingbottom(), p.custompaddingleft(), p.custompaddingright()};
    for (std::size_t i = 0; i < custom.size(); ++i) {
      if (custom[i] < 0) throw Error("custom padding amounts must not be negative; got " + std::to_string(custom[i]));
      if (padding_ == pb::Pooling3DLayerParams::CUSTOM) pad_[i / 2][i % 2] = custom[i];
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    PoolGeometry g = volume_geometry(x);
    static const char* const names[3] = {"depth", "height", "width"};
    for (std::size_t a = 0; a < 3; ++a) {
      g.kernel[a] = kernel_[a];
      g.stride[a] = stride_[a];
      if (padding_ == pb::Pooling3DLayerParams::SAME) {
        const SamePadding1D s = same_padding(g.in[a], kernel_[a], stride_[a], false);
        g.out[a] = s.out;
        g.pad_before[a] = s.before;
        g.pad_after[a] = s.after;
      } else {
        g.out[a] = valid_window_count(g.in[a], pad_[a][0], pad_[a][1], kernel_[a], stride_[a], names[a]);
        g.pad_before[a] = pad_[a][0];
        g.pad_after[a] = pad_[a][1];
      }
    }
    Shape shape(x.shape().begin(), x.shape().end() - 3);
    shape.insert(shape.end(), g.out.begin(), g.out.end());
    Tensor& y = *outputs[0];
    y.resize(shape);
    pool(g, op_, exclude_padding_, x.data(), y.data(), *ctx.pool);
  }

 private:
  PoolOp op_ = PoolOp::max;
  bool exclude_padding_ = false;
  pb::Pooling3DLayerParams::Pooling3DPaddingType padding_ = pb::Pooling3DLayerParams::CUSTOM;
  std::array<std::int64_t, 3> kernel_{};
  std::array<std::int64_t, 3> stride_{};
  std::int64_t pad_[3][2] = {{0, 0}, {0, 0}, {0, 0}};
};

class GlobalPooling3D final : public Kernel {
 public:
  GlobalPooling3D(const Layer& layer, const BuildContext& /*ctx*/) {
    const auto type = layer.globalpooling3d().type();
    if (type != pb::GlobalPooling3DLayerParams::MAX && type != pb::GlobalPooling3DLayerParams::AVERAGE)
      throw Error("unknown globalPooling3d type " + str(type));
    op_ = type == pb::GlobalPooling3DLayerParams::MAX ? PoolOp::max : PoolOp::average;
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    PoolGeometry g = volume_geometry(x);
    g.kernel = g.in;
    Shape shape(x.shape().begin(), x.shape().end() - 3);
    shape.insert(shape.end(), {1, 1, 1});
    Tensor& y = *outputs[0];
    y.resize(shape);
    pool_global(g.planes, g.in[0] * g.in[1] * g.in[2], op_, x.data(), y.data(), *ctx.pool);
  }

 private:
  PoolOp op_ = PoolOp::max;
};

template <typename K>
std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) {
  return std::make_unique<K>(layer, ctx);
}

}  // namespace

void register_pooling_kernels(KernelRegistry& registry) {
  registry.add(Layer::kPooling, make<Pooling>);
  registry.add(Layer::kPooling3D, make<Pooling3D>);
  registry.add(Layer::kGlobalPooling3D, make<GlobalPooling3D>);
}

}  // namespace mlconv::exec
