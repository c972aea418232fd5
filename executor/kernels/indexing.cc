// Kernels of the indexing family: gather (by axis, N-d, along an axis),
// whereNonZero, oneHot and the band / triangular masks; plus the helpers the
// family's other files share (indexing_parts.h). Scatter, sorting, NMS and the
// random layers live in indexing_<part>.cc and are registered from here.
#include <cmath>
#include <limits>
#include <sstream>

#include "executor/kernels/common.h"
#include "executor/kernels/indexing_parts.h"
#include "spec/error.h"

namespace mlconv::exec {

std::string index_text(float value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

void throw_bad_index(float value, int axis, std::int64_t dim, bool allow_negative) {
  const std::string where = " for axis " + std::to_string(axis) + " of size " + std::to_string(dim);
  if (std::isfinite(value) && std::trunc(value) != value)
    throw Error("index " + index_text(value) + " is not an integer (indices" + where + ")");
  const std::string range = dim == 0 ? "the axis is empty"
                            : allow_negative ? "valid: " + std::to_string(-dim) + " to " + std::to_string(dim - 1)
                                             : "valid: 0 to " + std::to_string(dim - 1);
  throw Error("index " + index_text(value) + " is out of range" + where + " (" + range + ")");
}

void check_input_count(const Layer& layer, int min_inputs, int max_inputs) {
  const int count = layer.input_size();
  if (count >= min_inputs && count <= max_inputs) return;
  const std::string wanted = min_inputs == max_inputs ? std::to_string(min_inputs)
                                                      : std::to_string(min_inputs) + " to " + std::to_string(max_inputs);
  throw Error("takes " + wanted + " input" + (max_inputs == 1 ? "" : "s") + ", but the layer lists " +
              std::to_string(count));
}

void check_output_count(const Layer& layer, int outputs) {
  if (layer.output_size() != outputs)
    throw Error("produces " + std::to_string(outputs) + " output" + (outputs == 1 ? "" : "s") +
                ", but the layer lists " + std::to_string(layer.output_size()));
}

float scalar_input(const Tensor& tensor, const char* what) {
  if (tensor.size() != 1)
    throw Error(std::string(what) + " input must hold one value, but has shape " + shape_to_string(tensor.shape()));
  return tensor.data()[0];
}

std::int64_t count_input(const Tensor& tensor, const char* what) {
  const float value = scalar_input(tensor, what);
  if (!(value >= 0.0F && value < 9.0e15F) || std::trunc(value) != value)
    throw Error(std::string(what) + " input must be a non-negative integer, but is " + index_text(value));
  return static_cast<std::int64_t>(value);
}

Shape shape_from_tensor(const Tensor& tensor, const char* what) {
  if (tensor.rank() != 1)
    throw Error(std::string(what) + " input must be a rank-1 list of dimensions, but has shape " +
                shape_to_string(tensor.shape()));
  Shape shape;
  for (float value : tensor.values()) {
    if (!(value >= 0.0F && value < 9.0e15F) || std::trunc(value) != value)
      throw Error(std::string(what) + " input must hold non-negative integer dimensions, but holds " +
                  index_text(value));
    shape.push_back(static_cast<std::int64_t>(value));
  }
  element_count(shape);  // rejects overflow
  return shape;
}

ScatterOp scatter_op_from(int mode) {
  switch (mode) {
    case CoreML::Specification::SCATTER_UPDATE: return ScatterOp::update;
    case CoreML::Specification::SCATTER_ADD: return ScatterOp::add;
    case CoreML::Specification::SCATTER_SUB: return ScatterOp::sub;
    case CoreML::Specification::SCATTER_MUL: return ScatterOp::mul;
    case CoreML::Specification::SCATTER_DIV: return ScatterOp::div;
    case CoreML::Specification::SCATTER_MAX: return ScatterOp::max;
    case CoreML::Specification::SCATTER_MIN: return ScatterOp::min;
    default: throw Error("unknown scatter mode " + std::to_string(mode) + " (expected 0-6, SCATTER_UPDATE to SCATTER_MIN)");
  }
}

namespace {

std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

// gather: output = data.shape[:axis] + indices.shape + data.shape[axis+1:] (numpy.take).
class Gather final : public Kernel {
 public:
  explicit Gather(const Layer& layer) : axis_(layer.gather().axis()) {
    check_input_count(layer, 2, 2);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& data = *inputs[0];
    const Tensor& indices = *inputs[1];
    const int axis = normalize_axis(axis_, data.rank());
    const Shape& ds = data.shape();
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = ds[a];
    const std::int64_t outer = product(ds, 0, a);
    const std::int64_t inner = product(ds, a + 1, ds.size());
    const std::int64_t count = indices.size();
    const std::vector<std::int64_t> resolved = resolve_axis_indices(indices, axis, dim);

    Shape out_shape(ds.begin(), ds.begin() + axis);
    out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
    out_shape.insert(out_shape.end(), ds.begin() + axis + 1, ds.end());
    Tensor& out = *outputs[0];
    out.resize(out_shape);
    const float* src = data.data();
    float* dst = out.data();
    ctx.pool->parallel_for(outer * count, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(inner, 1)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t row = begin; row < end; ++row) {
                               const std::int64_t o = row / count;
                               const std::int64_t i = row % count;
                               const float* from = src + (o * dim + resolved[static_cast<std::size_t>(i)]) * inner;
                               std::copy(from, from + inner, dst + row * inner);
                             }
                           });
  }

 private:
  std::int64_t axis_;
};

// gatherND: indices [I_0..I_(K-1), I_K] pick slices params[idx, ...];
// output = indices.shape[:-1] + params.shape[I_K:]. Negative indices are not in the spec here.
class GatherNd final : public Kernel {
 public:
  explicit GatherNd(const Layer& layer) {
    check_input_count(layer, 2, 2);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& params = *inputs[0];
    const Tensor& indices = *inputs[1];
    const Shape& ps = params.shape();
    if (indices.rank() < 1) throw Error("indices must have rank >= 1, but have shape " + shape_to_string(indices.shape()));
    const std::int64_t depth = indices.shape().back();
    if (depth > params.rank())
      throw Error("indices of shape " + shape_to_string(indices.shape()) + " address " + std::to_string(depth) +
                  " axes, but params of shape " + shape_to_string(ps) + " have only " + std::to_string(params.rank()));
    const auto k = static_cast<std::size_t>(depth);
    const std::int64_t slice = product(ps, k, ps.size());
    const auto strides = strides_of(ps);
    const std::int64_t points = depth == 0 ? product(indices.shape(), 0, indices.shape().size() - 1)
                                           : indices.size() / depth;
    std::vector<std::int64_t> offsets(static_cast<std::size_t>(points), 0);
    for (std::int64_t p = 0; p < points; ++p)
      for (std::size_t j = 0; j < k; ++j)
        offsets[static_cast<std::size_t>(p)] +=
            checked_index(indices.data()[p * depth + static_cast<std::int64_t>(j)], static_cast<int>(j), ps[j], false) *
            strides[j];

    Shape out_shape(indices.shape().begin(), indices.shape().end() - 1);
    out_shape.insert(out_shape.end(), ps.begin() + depth, ps.end());
    Tensor& out = *outputs[0];
    out.resize(out_shape);
    const float* src = params.data();
    float* dst = out.data();
    ctx.pool->parallel_for(points, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(slice, 1)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t p = begin; p < end; ++p) {
                               const float* from = src + offsets[static_cast<std::size_t>(p)];
                               std::copy(from, from + slice, dst + p * slice);
                             }
                           });
  }
};

// Shapes of data and indices along an axis must agree everywhere but the axis
// (gatherAlongAxis, scatterAlongAxis).
void check_along_axis_shapes(const Shape& data, const Shape& indices, int axis, const char* data_name) {
  bool fits = data.size() == indices.size();
  for (std::size_t i = 0; fits && i < data.size(); ++i)
    fits = static_cast<int>(i) == axis || data[i] == indices[i];
  if (!fits)
    throw Error(std::string("indices of shape ") + shape_to_string(indices) + " must match " + data_name +
                " of shape " + shape_to_string(data) + " on every axis but axis " + std::to_string(axis));
}

// gatherAlongAxis: numpy.take_along_axis; output has the indices' shape.
class GatherAlongAxis final : public Kernel {
 public:
  explicit GatherAlongAxis(const Layer& layer) : axis_(layer.gatheralongaxis().axis()) {
    check_input_count(layer, 2, 2);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& data = *inputs[0];
    const Tensor& indices = *inputs[1];
    const int axis = normalize_axis(axis_, data.rank());
    check_along_axis_shapes(data.shape(), indices.shape(), axis, "data");
    const auto a = static_cast<std::size_t>(axis);
    const Shape& is = indices.shape();
    const std::int64_t dim = data.shape()[a];
    const std::int64_t outer = product(is, 0, a);
    const std::int64_t count = is[a];
    const std::int64_t inner = product(is, a + 1, is.size());
    const std::vector<std::int64_t> resolved = resolve_axis_indices(indices, axis, dim);
    Tensor& out = *outputs[0];
    out.resize(is);
    const float* src = data.data();
    const std::int64_t* idx = resolved.data();
    float* dst = out.data();
    ctx.pool->parallel_for(outer * count, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(inner, 1)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t row = begin; row < end; ++row) {
                               const float* base = src + (row / count) * dim * inner;
                               for (std::int64_t i = 0; i < inner; ++i)
                                 dst[row * inner + i] = base[idx[row * inner + i] * inner + i];
                             }
                           });
  }

 private:
  std::int64_t axis_;
};

// whereNonZero: [N, rank] multi-indices of the non-zero elements in row-major order (numpy.argwhere).
class WhereNonZero final : public Kernel {
 public:
  explicit WhereNonZero(const Layer& layer) {
    check_input_count(layer, 1, 1);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    const Shape& shape = in.shape();
    const auto rank = static_cast<std::int64_t>(shape.size());
    std::int64_t found = 0;
    for (float v : in.values()) found += v != 0.0F ? 1 : 0;  // NaN counts as non-zero, as in NumPy
    Tensor& out = *outputs[0];
    out.resize({found, rank});
    float* dst = out.data();
    Shape index(shape.size(), 0);
    for (std::int64_t i = 0; i < in.size(); ++i) {
      if (in.data()[i] != 0.0F)
        for (std::int64_t d : index) *dst++ = static_cast<float>(d);
      for (std::size_t axis = shape.size(); axis-- > 0;) {
        if (++index[axis] < shape[axis]) break;
        index[axis] = 0;
      }
    }
  }
};

// oneHot: a new axis of size depth at `axis` of the output; indices outside
// [0, depth) give an all-off vector (the spec's example with -1).
class OneHot final : public Kernel {
 public:
  explicit OneHot(const Layer& layer)
      : depth_(static_cast<std::int64_t>(layer.onehot().onehotvectorsize())),
        axis_(layer.onehot().axis()),
        on_(layer.onehot().onvalue()),
        off_(layer.onehot().offvalue()) {
    check_input_count(layer, 1, 2);
    check_output_count(layer, 1);
    if (layer.input_size() == 1 && depth_ < 1)
      throw Error("oneHotVectorSize must be at least 1 when no second input gives it, but is " +
                  std::to_string(layer.onehot().onehotvectorsize()));
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& indices = *inputs[0];
    const std::int64_t depth = inputs.size() > 1 ? count_input(*inputs[1], "the one-hot vector size") : depth_;
    if (depth < 1) throw Error("the one-hot vector size input must be at least 1, but is 0");
    const int axis = normalize_axis(axis_, indices.rank() + 1);
    const Shape& is = indices.shape();
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t outer = product(is, 0, a);
    const std::int64_t inner = product(is, a, is.size());
    for (float v : indices.values())
      if (std::trunc(v) != v) throw Error("index " + index_text(v) + " is not an integer (one-hot indices)");
    Shape out_shape(is.begin(), is.begin() + axis);
    out_shape.push_back(depth);
    out_shape.insert(out_shape.end(), is.begin() + axis, is.end());
    Tensor& out = *outputs[0];
    out.resize(out_shape);
    const float* idx = indices.data();
    float* dst = out.data();
    ctx.pool->parallel_for(outer * depth, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(inner, 1)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t row = begin; row < end; ++row) {
                               const auto d = static_cast<float>(row % depth);
                               const float* from = idx + (row / depth) * inner;
                               float* to = dst + row * inner;
                               for (std::int64_t i = 0; i < inner; ++i) to[i] = from[i] == d ? on_ : off_;
                             }
                           });
  }

 private:
  std::int64_t depth_;
  std::int64_t axis_;
  float on_;
  float off_;
};

// matrixBandPart, lowerTriangular, upperTriangular: keep element (m, n) of
// every trailing matrix when m - n <= below and n - m <= above, zero it otherwise.
class BandMask final : public Kernel {
 public:
  BandMask(const Layer& layer, std::int64_t below, std::int64_t above) : below_(below), above_(above) {
    check_input_count(layer, 1, 1);
    check_output_count(layer, 1);
  }
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (in.rank() < 2) throw Error("needs an input of rank >= 2, but it has shape " + shape_to_string(in.shape()));
    const std::int64_t rows = in.dim(-2);
    const std::int64_t cols = in.dim(-1);
    Tensor& out = *outputs[0];
    out.resize(in.shape());
    const std::int64_t total_rows = rows == 0 ? 0 : in.size() / std::max<std::int64_t>(cols, 1);
    const float* src = in.data();
    float* dst = out.data();
    ctx.pool->parallel_for(total_rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(cols, 1)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t r = begin; r < end; ++r) {
                               const std::int64_t m = r % rows;
                               for (std::int64_t n = 0; n < cols; ++n) {
                                 const bool keep = m - n <= below_ && n - m <= above_;
                                 dst[r * cols + n] = keep ? src[r * cols + n] : 0.0F;
                               }
                             }
                           });
  }

 private:
  std::int64_t below_;
  std::int64_t above_;
};

constexpr std::int64_t unlimited = std::numeric_limits<std::int64_t>::max();

std::unique_ptr<Kernel> make_gather(const Layer& layer, const BuildContext&) { return std::make_unique<Gather>(layer); }
std::unique_ptr<Kernel> make_gather_nd(const Layer& layer, const BuildContext&) {
  return std::make_unique<GatherNd>(layer);
}
std::unique_ptr<Kernel> make_gather_along_axis(const Layer& layer, const BuildContext&) {
  return std::make_unique<GatherAlongAxis>(layer);
}
std::unique_ptr<Kernel> make_where_non_zero(const Layer& layer, const BuildContext&) {
  return std::make_unique<WhereNonZero>(layer);
}
std::unique_ptr<Kernel> make_one_hot(const Layer& layer, const BuildContext&) { return std::make_unique<OneHot>(layer); }
std::unique_ptr<Kernel> make_band_part(const Layer& layer, const BuildContext&) {
  const auto& p = layer.matrixbandpart();
  return std::make_unique<BandMask>(layer, p.numlower() < 0 ? unlimited : p.numlower(),
                                    p.numupper() < 0 ? unlimited : p.numupper());
}
// numpy.tril(x, k): keep n - m <= k.
std::unique_ptr<Kernel> make_lower_triangular(const Layer& layer, const BuildContext&) {
  return std::make_unique<BandMask>(layer, unlimited, layer.lowertriangular().k());
}
// numpy.triu(x, k): keep n - m >= k, i.e. m - n <= -k.
std::unique_ptr<Kernel> make_upper_triangular(const Layer& layer, const BuildContext&) {
  const std::int64_t k = layer.uppertriangular().k();
  return std::make_unique<BandMask>(layer, k == std::numeric_limits<std::int64_t>::min() ? unlimited : -k, unlimited);
}

}  // namespace

void register_indexing_kernels(KernelRegistry& registry) {
  registry.add(Layer::kGather, make_gather);
  registry.add(Layer::kGatherND, make_gather_nd);
  registry.add(Layer::kGatherAlongAxis, make_gather_along_axis);
  registry.add(Layer::kWhereNonZero, make_where_non_zero);
  registry.add(Layer::kOneHot, make_one_hot);
  registry.add(Layer::kMatrixBandPart, make_band_part);
  registry.add(Layer::kLowerTriangular, make_lower_triangular);
  registry.add(Layer::kUpperTriangular, make_upper_triangular);
  register_indexing_scatter_kernels(registry);
  register_indexing_sort_kernels(registry);
  register_indexing_nms_kernels(registry);
  register_indexing_random_kernels(registry);
}

}  // namespace mlconv::exec
