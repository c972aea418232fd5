// Kernels of the resampling family, all on the last two axes [H, W]: crop,
// padding (constant / reflection / replication), upsample (nearest or
// bilinear, integer or fractional factors), resizeBilinear and cropResize.
// Bilinear layers first compute where each output row and column samples the
// input (the spec's grid formulas), then interpolate plane by plane.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "executor/kernel_registry.h"
#include "executor/kernels/common.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

namespace pb = CoreML::Specification;

std::string str(std::int64_t v) { return std::to_string(v); }

// [planes, H, W] view of the last two axes; throws below rank `min_rank`.
struct Planes {
  std::int64_t count = 1;
  std::int64_t height = 1;
  std::int64_t width = 1;
};

Planes planes_of(const Tensor& x, int min_rank, const char* layout) {
  if (x.rank() < min_rank)
    throw Error("needs an input of rank >= " + std::to_string(min_rank) + " (" + layout + "); got " + shape_to_string(x.shape()));
  Planes p;
  p.height = x.dim(-2);
  p.width = x.dim(-1);
  p.count = p.height * p.width == 0 ? 0 : x.size() / (p.height * p.width);
  return p;
}

Shape with_hw(const Shape& shape, std::int64_t h, std::int64_t w) {
  Shape out = shape;
  out[out.size() - 2] = h;
  out[out.size() - 1] = w;
  return out;
}

// [H, W] start / end amounts of a BorderAmounts (empty means zeros).
std::array<std::array<std::int64_t, 2>, 2> border(const pb::BorderAmounts& amounts, const char* name) {
  std::array<std::array<std::int64_t, 2>, 2> b{};
  if (amounts.borderamounts().empty()) return b;
  if (amounts.borderamounts_size() != 2)
    throw Error(std::string(name) + " must have 2 entries [H, W]; got " + str(amounts.borderamounts_size()));
  for (int a = 0; a < 2; ++a) {
    b[static_cast<std::size_t>(a)] = {static_cast<std::int64_t>(amounts.borderamounts(a).startedgesize()),
                                      static_cast<std::int64_t>(amounts.borderamounts(a).endedgesize())};
    for (std::int64_t v : b[static_cast<std::size_t>(a)])
      if (v < 0 || v > (std::int64_t{1} << 30)) throw Error(std::string(name) + " amount " + str(v) + " is out of range");
  }
  return b;
}

void copy_window(const Tensor& x, const Planes& p, std::int64_t top, std::int64_t left, Tensor& y, std::int64_t h,
                 std::int64_t w) {
  y.resize(with_hw(x.shape(), h, w));
  for (std::int64_t i = 0; i < p.count; ++i)
    for (std::int64_t r = 0; r < h; ++r)
      std::copy_n(x.data() + (i * p.height + top + r) * p.width + left, w, y.data() + (i * h + r) * w);
}

class Crop final : public Kernel {
 public:
  Crop(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::CropLayerParams& p = layer.crop();
    if (layer.input_size() < 1 || layer.input_size() > 2) throw Error("takes 1 or 2 inputs; got " + str(layer.input_size()));
    if (layer.input_size() == 1) {
      amounts_ = border(p.cropamounts(), "cropAmounts");
    } else if (!p.offset().empty()) {
      if (p.offset_size() != 2) throw Error("offset must have 2 values [H, W]; got " + str(p.offset_size()));
      offset_ = {static_cast<std::int64_t>(p.offset(0)), static_cast<std::int64_t>(p.offset(1))};
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& /*ctx*/) override {
    const Tensor& x = *inputs[0];
    const Planes p = planes_of(x, 2, "[..., H, W]");
    std::int64_t top = 0;
    std::int64_t left = 0;
    std::int64_t h = 0;
    std::int64_t w = 0;
    if (inputs.size() == 1) {
      top = amounts_[0][0];
      left = amounts_[1][0];
      h = p.height - amounts_[0][0] - amounts_[0][1];
      w = p.width - amounts_[1][0] - amounts_[1][1];
      if (h <= 0 || w <= 0)
        throw Error("cropAmounts (H " + str(amounts_[0][0]) + "+" + str(amounts_[0][1]) + ", W " + str(amounts_[1][0]) + "+" +
                    str(amounts_[1][1]) + ") leave nothing of input " + shape_to_string(x.shape()));
    } else {
      const Tensor& reference = *inputs[1];
      if (reference.rank() < 2) throw Error("the reference input needs rank >= 2; got " + shape_to_string(reference.shape()));
      top = offset_[0];
      left = offset_[1];
      h = reference.dim(-2);
      w = reference.dim(-1);
      if (top + h > p.height || left + w > p.width)
        throw Error("a " + str(h) + "x" + str(w) + " window at offset [" + str(top) + ", " + str(left) +
                    "] does not fit in input " + shape_to_string(x.shape()));
    }
    copy_window(x, p, top, left, *outputs[0], h, w);
  }

 private:
  std::array<std::array<std::int64_t, 2>, 2> amounts_{};
  std::array<std::int64_t, 2> offset_{0, 0};
};

class Padding final : public Kernel {
 public:
  enum class Mode { constant, reflection, replication };

  Padding(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::PaddingLayerParams& p = layer.padding();
    switch (p.PaddingType_case()) {
      case pb::PaddingLayerParams::kConstant: mode_ = Mode::constant, value_ = p.constant().value(); break;
      case pb::PaddingLayerParams::kReflection: mode_ = Mode::reflection; break;
      case pb::PaddingLayerParams::kReplication: mode_ = Mode::replication; break;
      default: throw Error("the padding type (constant, reflection or replication) is not set");
    }
    amounts_ = border(p.paddingamounts(), "paddingAmounts");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& /*ctx*/) override {
    const Tensor& x = *inputs[0];
    const Planes p = planes_of(x, 2, "[..., H, W]");
    if (mode_ == Mode::reflection &&
        (std::max(amounts_[0][0], amounts_[0][1]) >= p.height || std::max(amounts_[1][0], amounts_[1][1]) >= p.width))
      throw Error("reflection padding needs amounts smaller than the input size; input " + shape_to_string(x.shape()) +
                  ", padding H " + str(amounts_[0][0]) + "+" + str(amounts_[0][1]) + ", W " + str(amounts_[1][0]) + "+" +
                  str(amounts_[1][1]));
    if (mode_ == Mode::replication && (p.height == 0 || p.width == 0))
      throw Error("replication padding of an empty input " + shape_to_string(x.shape()));
    const std::int64_t h = p.height + amounts_[0][0] + amounts_[0][1];
    const std::int64_t w = p.width + amounts_[1][0] + amounts_[1][1];
    // Source index of every output row and column, -1 for the constant.
    const std::vector<std::int64_t> rows = sources(h, p.height, amounts_[0][0]);
    const std::vector<std::int64_t> cols = sources(w, p.width, amounts_[1][0]);
    Tensor& y = *outputs[0];
    y.resize(with_hw(x.shape(), h, w));
    for (std::int64_t i = 0; i < p.count; ++i)
      for (std::int64_t r = 0; r < h; ++r) {
        float* out = y.data() + (i * h + r) * w;
        const std::int64_t src = rows[static_cast<std::size_t>(r)];
        if (src < 0) {
          std::fill(out, out + w, value_);
          continue;
        }
        const float* in = x.data() + (i * p.height + src) * p.width;
        for (std::int64_t c = 0; c < w; ++c) {
          const std::int64_t sc = cols[static_cast<std::size_t>(c)];
          out[c] = sc < 0 ? value_ : in[sc];
        }
      }
  }

 private:
  [[nodiscard]] std::vector<std::int64_t> sources(std::int64_t out, std::int64_t in, std::int64_t before) const {
    std::vector<std::int64_t> index(static_cast<std::size_t>(out));
    for (std::int64_t o = 0; o < out; ++o) {
      std::int64_t i = o - before;
      if (i < 0 || i >= in) {
        if (mode_ == Mode::constant) {
          i = -1;
        } else if (mode_ == Mode::replication) {
          i = std::clamp<std::int64_t>(i, 0, in - 1);
        } else {
          i = i < 0 ? -i : 2 * (in - 1) - i;  // mirror without repeating the edge
        }
      }
      index[static_cast<std::size_t>(o)] = i;
    }
    return index;
  }

  Mode mode_ = Mode::constant;
  float value_ = 0.0F;
  std::array<std::array<std::int64_t, 2>, 2> amounts_{};
};

// Where an output row (or column) samples the input: two neighbours and the weight of the second.
struct AxisSamples {
  std::vector<std::int64_t> lo;
  std::vector<std::int64_t> hi;
  std::vector<float> frac;
  std::vector<bool> outside;  // cropResize: the point lies off the image (value 0)
};

AxisSamples samples_from_points(const std::vector<double>& points, std::int64_t size) {
  AxisSamples s;
  for (double pt : points) {
    // Rounding may put a box edge a hair past the image; only clearly outside points count.
    const double slack = 1e-5 * static_cast<double>(std::max<std::int64_t>(size, 1));
    // Written so that NaN (from NaN box coordinates) counts as outside.
    const bool outside = !(pt >= -slack && pt <= static_cast<double>(size - 1) + slack);
    const double c = outside ? 0.0 : std::clamp(pt, 0.0, static_cast<double>(size - 1));
    const auto lo = static_cast<std::int64_t>(std::floor(c));
    s.lo.push_back(lo);
    s.hi.push_back(std::min(lo + 1, size - 1));
    s.frac.push_back(static_cast<float>(c - static_cast<double>(lo)));
    s.outside.push_back(outside);
  }
  return s;
}

// Interpolates `count` planes of [in_h, in_w] at the given samples into [rows, cols] planes.
void bilinear(const float* input, std::int64_t count, std::int64_t in_h, std::int64_t in_w, const AxisSamples& ys,
              const AxisSamples& xs, float* output, ThreadPool& pool) {
  const auto out_h = static_cast<std::int64_t>(ys.lo.size());
  const auto out_w = static_cast<std::int64_t>(xs.lo.size());
  pool.parallel_for(count * out_h, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t plane = task / out_h;
      const auto r = static_cast<std::size_t>(task % out_h);
      const float* top = input + (plane * in_h + ys.lo[r]) * in_w;
      const float* bottom = input + (plane * in_h + ys.hi[r]) * in_w;
      const float fy = ys.frac[r];
      float* out = output + task * out_w;
      for (std::int64_t c = 0; c < out_w; ++c) {
        const auto u = static_cast<std::size_t>(c);
        if (ys.outside[r] || xs.outside[u]) {
          out[c] = 0.0F;
          continue;
        }
        const float fx = xs.frac[u];
        const float t = top[xs.lo[u]] + fx * (top[xs.hi[u]] - top[xs.lo[u]]);
        const float b = bottom[xs.lo[u]] + fx * (bottom[xs.hi[u]] - bottom[xs.lo[u]]);
        out[c] = t + fy * (b - t);
      }
    }
  });
}

class Upsample final : public Kernel {
 public:
  Upsample(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::UpsampleLayerParams& p = layer.upsample();
    bilinear_ = p.mode() == pb::UpsampleLayerParams::BILINEAR;
    if (p.mode() != pb::UpsampleLayerParams::NN && !bilinear_) throw Error("unknown upsample mode " + str(p.mode()));
    linear_mode_ = p.linearupsamplemode();
    if (linear_mode_ != pb::UpsampleLayerParams::DEFAULT && linear_mode_ != pb::UpsampleLayerParams::ALIGN_CORNERS_TRUE &&
        linear_mode_ != pb::UpsampleLayerParams::ALIGN_CORNERS_FALSE)
      throw Error("unknown linearUpsampleMode " + str(linear_mode_));
    if (!p.scalingfactor().empty() && !p.fractionalscalingfactor().empty())
      throw Error("scalingFactor and fractionalScalingFactor are mutually exclusive; both are set");
    if (!p.fractionalscalingfactor().empty()) {
      if (p.fractionalscalingfactor_size() != 2)
        throw Error("fractionalScalingFactor must have 2 values [H, W]; got " + str(p.fractionalscalingfactor_size()));
      if (!bilinear_) throw Error("fractionalScalingFactor needs BILINEAR mode");
      for (int a = 0; a < 2; ++a) {
        const float f = p.fractionalscalingfactor(a);
        if (!(f > 0.0F) || !std::isfinite(f)) throw Error("fractionalScalingFactor values must be positive; got " + std::to_string(f));
        factor_[static_cast<std::size_t>(a)] = f;
      }
    } else if (!p.scalingfactor().empty()) {
      if (p.scalingfactor_size() != 2) throw Error("scalingFactor must have 2 values [H, W]; got " + str(p.scalingfactor_size()));
      for (int a = 0; a < 2; ++a) {
        const std::uint64_t f = p.scalingfactor(a);
        if (f == 0 || f > 65536) throw Error("scalingFactor values must be positive; got " + str(static_cast<std::int64_t>(f)));
        factor_[static_cast<std::size_t>(a)] = static_cast<double>(f);
      }
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    const Planes p = planes_of(x, 3, "[..., C, H, W]");
    const std::int64_t h = static_cast<std::int64_t>(std::floor(static_cast<double>(p.height) * factor_[0]));
    const std::int64_t w = static_cast<std::int64_t>(std::floor(static_cast<double>(p.width) * factor_[1]));
    if (h <= 0 || w <= 0) throw Error("upsampling input " + shape_to_string(x.shape()) + " gives an empty output");
    Tensor& y = *outputs[0];
    y.resize(with_hw(x.shape(), h, w));
    if (!bilinear_) {
      const auto fh = static_cast<std::int64_t>(factor_[0]);
      const auto fw = static_cast<std::int64_t>(factor_[1]);
      std::vector<std::int64_t> source(static_cast<std::size_t>(w));  // input column of each output column
      for (std::int64_t c = 0; c < w; ++c) source[static_cast<std::size_t>(c)] = c / fw;
      ctx.pool->parallel_for(p.count * p.height, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {  // one input row gives fh equal output rows
          const float* in = x.data() + row * p.width;
          float* out = y.data() + row * fh * w;
          for (std::int64_t c = 0; c < w; ++c) out[c] = in[source[static_cast<std::size_t>(c)]];
          for (std::int64_t k = 1; k < fh; ++k) std::copy_n(out, w, out + k * w);
        }
      });
      return;
    }
    bilinear(x.data(), p.count, p.height, p.width, axis(p.height, h), axis(p.width, w), y.data(), *ctx.pool);
  }

 private:
  [[nodiscard]] AxisSamples axis(std::int64_t in, std::int64_t out) const {
    const auto xin = static_cast<double>(in);
    const auto xout = static_cast<double>(out);
    std::vector<double> points(static_cast<std::size_t>(out));
    for (std::int64_t i = 0; i < out; ++i) {
      double pt = 0.0;
      if (linear_mode_ == pb::UpsampleLayerParams::ALIGN_CORNERS_FALSE) {
        const double spacing = xin / xout;
        pt = static_cast<double>(i) * spacing + 0.5 * spacing - 0.5;
      } else if (out > 1) {
        const double spacing = linear_mode_ == pb::UpsampleLayerParams::ALIGN_CORNERS_TRUE ? (xin - 1.0) / (xout - 1.0)
                                                                                            : (xin - xin / xout) / (xout - 1.0);
        pt = static_cast<double>(i) * spacing;
      }
      points[static_cast<std::size_t>(i)] = std::clamp(pt, 0.0, xin - 1.0);
    }
    return samples_from_points(points, in);
  }

  bool bilinear_ = false;
  pb::UpsampleLayerParams::LinearUpsampleMode linear_mode_ = pb::UpsampleLayerParams::DEFAULT;
  std::array<double, 2> factor_{1.0, 1.0};
};

// n sample points over [start, start + extent] by a SamplingMode; `extent` is X - 1 in the spec's terms.
std::vector<double> grid(pb::SamplingMode::Method method, double start, double extent, std::int64_t n) {
  std::vector<double> points(static_cast<std::size_t>(n));
  const auto count = static_cast<double>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<double>(i);
    double offset = 0.0;
    switch (method) {
      case pb::SamplingMode::STRICT_ALIGN_ENDPOINTS_MODE: offset = n > 1 ? k * extent / (count - 1.0) : 0.0; break;
      case pb::SamplingMode::ALIGN_ENDPOINTS_MODE: offset = n > 1 ? k * extent / (count - 1.0) : extent / 2.0; break;
      case pb::SamplingMode::UPSAMPLE_MODE: {
        const double x = extent + 1.0;
        offset = n > 1 ? std::min(extent, k * (x - x / count) / (count - 1.0)) : 0.0;
        break;
      }
      default: {  // ROI_ALIGN_MODE
        const double spacing = std::max(1.0, extent) / count;
        offset = std::min(extent, 0.5 * spacing + k * spacing);
        break;
      }
    }
    points[static_cast<std::size_t>(i)] = start + offset;
  }
  return points;
}

pb::SamplingMode::Method sampling_method(const pb::SamplingMode& mode) {
  const auto m = mode.samplingmethod();
  if (m != pb::SamplingMode::STRICT_ALIGN_ENDPOINTS_MODE && m != pb::SamplingMode::ALIGN_ENDPOINTS_MODE &&
      m != pb::SamplingMode::UPSAMPLE_MODE && m != pb::SamplingMode::ROI_ALIGN_MODE)
    throw Error("unknown samplingMethod " + str(m));
  return m;
}

std::array<std::int64_t, 2> target_size(const google::protobuf::RepeatedField<std::uint64_t>& field) {
  if (field.empty()) return {1, 1};
  if (field.size() != 2) throw Error("targetSize must have 2 values [H, W]; got " + str(field.size()));
  for (std::uint64_t v : field)
    if (v == 0 || v > (1U << 24)) throw Error("targetSize values must be positive; got " + str(static_cast<std::int64_t>(v)));
  return {static_cast<std::int64_t>(field[0]), static_cast<std::int64_t>(field[1])};
}

class ResizeBilinear final : public Kernel {
 public:
  ResizeBilinear(const Layer& layer, const BuildContext& /*ctx*/)
      : size_(target_size(layer.resizebilinear().targetsize())), method_(sampling_method(layer.resizebilinear().mode())) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    const Planes p = planes_of(x, 3, "[..., C, H, W]");
    if (p.height == 0 || p.width == 0) throw Error("cannot resize an empty input " + shape_to_string(x.shape()));
    Tensor& y = *outputs[0];
    y.resize(with_hw(x.shape(), size_[0], size_[1]));
    const AxisSamples ys = samples_from_points(grid(method_, 0.0, static_cast<double>(p.height - 1), size_[0]), p.height);
    const AxisSamples xs = samples_from_points(grid(method_, 0.0, static_cast<double>(p.width - 1), size_[1]), p.width);
    bilinear(x.data(), p.count, p.height, p.width, ys, xs, y.data(), *ctx.pool);
  }

 private:
  std::array<std::int64_t, 2> size_;
  pb::SamplingMode::Method method_;
};

class CropResize final : public Kernel {
 public:
  CropResize(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::CropResizeLayerParams& p = layer.cropresize();
    if (layer.input_size() != 2) throw Error("takes 2 inputs (image, boxes); got " + str(layer.input_size()));
    size_ = target_size(p.targetsize());
    method_ = sampling_method(p.mode());
    normalized_ = p.normalizedcoordinates();
    box_mode_ = p.boxindicesmode().boxmode();
    if (box_mode_ < pb::BoxCoordinatesMode::CORNERS_HEIGHT_FIRST || box_mode_ > pb::BoxCoordinatesMode::CENTER_SIZE_WIDTH_FIRST)
      throw Error("unknown boxMode " + str(box_mode_));
    // An unset (0) spatialScale means no scaling.
    scale_ = p.spatialscale() == 0.0F ? 1.0 : static_cast<double>(p.spatialscale());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    const Tensor& boxes = *inputs[1];
    if (x.rank() < 4) throw Error("needs an image input of rank >= 4 ([..., Batch, C, H, W]); got " + shape_to_string(x.shape()));
    const std::int64_t channels = x.dim(-3);
    const std::int64_t h = x.dim(-2);
    const std::int64_t w = x.dim(-1);
    const std::int64_t batch = x.size() / std::max<std::int64_t>(1, channels * h * w);
    const std::int64_t per_box = boxes.rank() >= 3 ? boxes.dim(-3) : 0;
    if (boxes.rank() != 5 || boxes.dim(-1) != 1 || boxes.dim(-2) != 1 || boxes.dim(1) != 1 || (per_box != 4 && per_box != 5))
      throw Error("the boxes input must be [N, 1, 4, 1, 1] or [N, 1, 5, 1, 1]; got " + shape_to_string(boxes.shape()));
    if (h == 0 || w == 0) throw Error("cannot crop an empty image " + shape_to_string(x.shape()));
    const std::int64_t n = boxes.dim(0);
    const std::int64_t crops_per_box = per_box == 4 ? batch : 1;
    Tensor& y = *outputs[0];
    y.resize({n, crops_per_box, channels, size_[0], size_[1]});
    const std::int64_t plane_out = size_[0] * size_[1];
    for (std::int64_t b = 0; b < n; ++b) {
      const float* v = boxes.data() + b * per_box;
      std::int64_t image = 0;
      if (per_box == 5) {
        const float id = v[0];
        if (!(id >= 0.0F) || id >= static_cast<float>(batch) || std::floor(id) != id)
          throw Error("box " + str(b) + " names batch index " + std::to_string(id) + "; the image has batch " + str(batch));
        image = static_cast<std::int64_t>(id);
        ++v;
      }
      double c[4];  // y1, x1, y2, x2
      corners(v, c);
      for (double& coord : c) coord *= scale_;
      if (normalized_) {
        c[0] *= static_cast<double>(h - 1), c[2] *= static_cast<double>(h - 1);
        c[1] *= static_cast<double>(w - 1), c[3] *= static_cast<double>(w - 1);
      }
      const AxisSamples ys = samples_from_points(grid(method_, c[0], c[2] - c[0], size_[0]), h);
      const AxisSamples xs = samples_from_points(grid(method_, c[1], c[3] - c[1], size_[1]), w);
      for (std::int64_t k = 0; k < crops_per_box; ++k) {
        const std::int64_t src = per_box == 5 ? image : k;
        bilinear(x.data() + src * channels * h * w, channels, h, w, ys, xs,
                 y.data() + (b * crops_per_box + k) * channels * plane_out, *ctx.pool);
      }
    }
  }

 private:
  void corners(const float* v, double* c) const {
    const double a = v[0];
    const double b = v[1];
    const double d = v[2];
    const double e = v[3];
    switch (box_mode_) {
      case pb::BoxCoordinatesMode::CORNERS_HEIGHT_FIRST: c[0] = a, c[1] = b, c[2] = d, c[3] = e; break;
      case pb::BoxCoordinatesMode::CORNERS_WIDTH_FIRST: c[0] = b, c[1] = a, c[2] = e, c[3] = d; break;
      case pb::BoxCoordinatesMode::CENTER_SIZE_HEIGHT_FIRST:
        c[0] = a - d / 2, c[1] = b - e / 2, c[2] = a + d / 2, c[3] = b + e / 2;
        break;
      default:  // CENTER_SIZE_WIDTH_FIRST: [w_center, h_center, box_width, box_height]
        c[0] = b - e / 2, c[1] = a - d / 2, c[2] = b + e / 2, c[3] = a + d / 2;
        break;
    }
  }

  std::array<std::int64_t, 2> size_{1, 1};
  pb::SamplingMode::Method method_ = pb::SamplingMode::STRICT_ALIGN_ENDPOINTS_MODE;
  bool normalized_ = false;
  pb::BoxCoordinatesMode::Coordinates box_mode_ = pb::BoxCoordinatesMode::CORNERS_HEIGHT_FIRST;
  double scale_ = 1.0;
};

template <typename K>
std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) {
  return std::make_unique<K>(layer, ctx);
}

}  // namespace

void register_resampling_kernels(KernelRegistry& registry) {
  registry.add(Layer::kCrop, make<Crop>);
  registry.add(Layer::kPadding, make<Padding>);
  registry.add(Layer::kUpsample, make<Upsample>);
  registry.add(Layer::kResizeBilinear, make<ResizeBilinear>);
  registry.add(Layer::kCropResize, make<CropResize>);
}

}  // namespace mlconv::exec
