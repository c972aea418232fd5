// Shared pieces of the shape family: arity checks, integer arguments read
// from float tensors, and the strided gather every data-moving layer uses.
#include "executor/kernels/shape_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "executor/kernels/common.h"
#include "spec/error.h"

namespace mlconv::exec::shape {

namespace {

std::string count_text(int count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string range_text(int min_count, int max_count, std::string_view noun) {
  if (max_count == min_count) return count_text(min_count, noun);
  if (max_count < 0) return "at least " + count_text(min_count, noun);
  return std::to_string(min_count) + " to " + count_text(max_count, noun);
}

// Rows of at least this many elements per parallel chunk: below it the
// hand-off costs more than the copy.
constexpr std::int64_t kChunkElements = 1 << 15;

// The gather of a coalesced view whose last two axes are (rows read with step
// 1, columns read with a large step): out[o, a, b] = in[base + o.. + a + b*step].
void transpose_tiles(const float* in, std::int64_t base, const Shape& dims, const std::vector<std::int64_t>& steps,
                     float* out, ThreadPool& pool) {
  constexpr std::int64_t kTile = 32;
  const std::size_t n = dims.size();
  const std::int64_t rows = dims[n - 2];
  const std::int64_t columns = dims[n - 1];
  const std::int64_t column_step = steps[n - 1];
  std::int64_t outer = 1;
  for (std::size_t i = 0; i + 2 < n; ++i) outer *= dims[i];
  const std::int64_t row_blocks = (rows + kTile - 1) / kTile;
  const std::int64_t block_elements = kTile * columns;
  pool.parallel_for(outer * row_blocks, std::max<std::int64_t>(1, kChunkElements / block_elements),
                    [&](std::int64_t begin, std::int64_t end) {
                      for (std::int64_t job = begin; job < end; ++job) {
                        const std::int64_t o = job / row_blocks;
                        const std::int64_t row0 = (job % row_blocks) * kTile;
                        const std::int64_t row1 = std::min(rows, row0 + kTile);
                        std::int64_t offset = base;
                        std::int64_t rest = o;
                        for (std::size_t a = n - 2; a-- > 0;) {
                          offset += (rest % dims[a]) * steps[a];
                          rest /= dims[a];
                        }
                        const float* src = in + offset;
                        float* dst = out + o * rows * columns;
                        for (std::int64_t col0 = 0; col0 < columns; col0 += kTile) {
                          const std::int64_t col1 = std::min(columns, col0 + kTile);
                          for (std::int64_t r = row0; r < row1; ++r)
                            for (std::int64_t c = col0; c < col1; ++c) dst[r * columns + c] = src[r + c * column_step];
                        }
                      }
                    });
}

}  // namespace

void expect_inputs(const Layer& layer, int min_count, int max_count) {
  const int count = layer.input_size();
  if (count < min_count || (max_count >= 0 && count > max_count))
    throw Error("expects " + range_text(min_count, max_count, "input") + ", has " + std::to_string(count));
}

void expect_outputs(const Layer& layer, int min_count, int max_count) {
  const int count = layer.output_size();
  if (count < min_count || (max_count >= 0 && count > max_count))
    throw Error("expects " + range_text(min_count, max_count, "output") + ", has " + std::to_string(count));
}

std::vector<std::int64_t> read_integers(const Tensor& tensor, std::string_view what) {
  std::vector<std::int64_t> values;
  values.reserve(static_cast<std::size_t>(tensor.size()));
  for (std::int64_t i = 0; i < tensor.size(); ++i) {
    const float value = tensor.data()[i];
    // 2^53: beyond it floats cannot have carried an exact index anyway.
    if (!std::isfinite(value) || value != std::trunc(value) || std::fabs(value) > 9007199254740992.0F)
      throw Error(std::string(what) + " holds " + number_text(value) + " at index " + std::to_string(i) +
                  "; expected an integer");
    values.push_back(static_cast<std::int64_t>(value));
  }
  return values;
}

double read_scalar(const Tensor& tensor, std::string_view what) {
  if (tensor.size() != 1)
    throw Error(std::string(what) + " must hold one value, has shape " + shape_to_string(tensor.shape()));
  const float value = tensor.data()[0];
  if (!std::isfinite(value))
    throw Error(std::string(what) + " is " + number_text(value) + "; expected a finite number");
  return value;
}

std::int64_t read_scalar_integer(const Tensor& tensor, std::string_view what) {
  if (tensor.size() != 1)
    throw Error(std::string(what) + " must hold one value, has shape " + shape_to_string(tensor.shape()));
  return read_integers(tensor, what)[0];
}

Shape read_shape(const Tensor& tensor, std::string_view what) {
  if (tensor.rank() > 1 && tensor.size() != tensor.dim(-1))
    throw Error(std::string(what) + " must be a rank-1 tensor, has shape " + shape_to_string(tensor.shape()));
  if (tensor.size() == 0) throw Error(std::string(what) + " is empty; expected at least one dimension");
  Shape shape = read_integers(tensor, what);
  for (std::int64_t dim : shape)
    if (dim <= 0) throw Error(std::string(what) + " " + to_string(shape) + " has a dimension that is not positive");
  element_count(shape);  // throws on overflow
  return shape;
}

void expect_non_empty(const Shape& shape, std::string_view what) {
  for (std::int64_t dim : shape)
    if (dim <= 0) throw Error(std::string(what) + " " + shape_to_string(shape) + " has an empty dimension");
}

std::string to_string(std::span<const std::int64_t> values) { return shape_to_string(values); }

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

void gather(const float* in, std::int64_t base, const Shape& view, std::span<const std::int64_t> strides, float* out,
            ThreadPool& pool) {
  // Drop unit axes and merge neighbours the input walks contiguously, so most
  // copies end in long memcpy rows.
  Shape dims;
  std::vector<std::int64_t> steps;
  for (std::size_t i = 0; i < view.size(); ++i) {
    if (view[i] == 1) continue;
    if (!dims.empty() && steps.back() == strides[i] * view[i]) {
      dims.back() *= view[i];
      steps.back() = strides[i];
    } else {
      dims.push_back(view[i]);
      steps.push_back(strides[i]);
    }
  }
  const std::int64_t total = element_count(view);
  if (total == 0) return;
  if (dims.empty()) {
    out[0] = in[base];
    return;
  }
  const std::int64_t inner = dims.back();
  const std::int64_t inner_step = steps.back();
  const int outer_rank = static_cast<int>(dims.size()) - 1;
  if (outer_rank >= 1 && steps[static_cast<std::size_t>(outer_rank - 1)] == 1 && inner_step != 0 && inner_step != 1) {
    // A transpose of the last two axes (the input walks the second-last one
    // contiguously): copy in square tiles so both sides stay in cache.
    transpose_tiles(in, base, dims, steps, out, pool);
    return;
  }
  const std::int64_t rows = total / inner;
  pool.parallel_for(rows, std::max<std::int64_t>(1, kChunkElements / inner), [&](std::int64_t begin, std::int64_t end) {
    std::vector<std::int64_t> index(static_cast<std::size_t>(outer_rank), 0);
    std::int64_t offset = base;
    std::int64_t rest = begin;
    for (int a = outer_rank - 1; a >= 0; --a) {
      const auto u = static_cast<std::size_t>(a);
      index[u] = rest % dims[u];
      rest /= dims[u];
      offset += index[u] * steps[u];
    }
    float* dst = out + begin * inner;
    for (std::int64_t row = begin; row < end; ++row, dst += inner) {
      const float* src = in + offset;
      if (inner_step == 1) {
        std::memcpy(dst, src, static_cast<std::size_t>(inner) * sizeof(float));
      } else if (inner_step == 0) {
        std::fill(dst, dst + inner, *src);
      } else {
        for (std::int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_step];
      }
      for (int a = outer_rank - 1; a >= 0; --a) {
        const auto u = static_cast<std::size_t>(a);
        if (++index[u] < dims[u]) {
          offset += steps[u];
          break;
        }
        offset -= steps[u] * (dims[u] - 1);
        index[u] = 0;
      }
    }
  });
}

void transpose(const Tensor& in, std::span<const int> perm, Tensor& out, ThreadPool& pool) {
  const auto in_strides = strides_of(in.shape());
  Shape shape(perm.size());
  std::vector<std::int64_t> strides(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    const auto from = static_cast<std::size_t>(perm[i]);
    shape[i] = in.shape()[from];
    strides[i] = in_strides[from];
  }
  out.resize(shape);
  gather(in.data(), 0, shape, strides, out.data(), pool);
}

void broadcast_to(const Tensor& in, const Shape& target, Tensor& out, ThreadPool& pool) {
  bool fits = target.size() >= in.shape().size();
  for (std::size_t i = 0; fits && i < in.shape().size(); ++i) {
    const std::int64_t dim = in.shape()[in.shape().size() - 1 - i];
    fits = dim == 1 || dim == target[target.size() - 1 - i];
  }
  if (!fits)
    throw Error("cannot broadcast shape " + shape_to_string(in.shape()) + " to " + shape_to_string(target) +
                " (each input dimension must equal the target's or be 1, and the target rank must not be smaller)");
  out.resize(target);
  gather(in.data(), 0, target, broadcast_strides(in.shape(), target), out.data(), pool);
}

void concat(std::span<const Tensor* const> inputs, int axis, bool interleave, Tensor& out, ThreadPool& pool) {
  const Shape& first = inputs[0]->shape();
  const auto a = static_cast<std::size_t>(axis);
  Shape shape = first;
  shape[a] = 0;
  for (const Tensor* input : inputs) {
    const Shape& other = input->shape();
    bool same = other.size() == first.size();
    for (std::size_t i = 0; same && i < first.size(); ++i) same = (i == a && !interleave) || other[i] == first[i];
    if (!same)
      throw Error("cannot " + std::string(interleave ? "interleave" : "concatenate") + " shapes " +
                  shape_to_string(first) + " and " + shape_to_string(other) + " along axis " + std::to_string(axis) +
                  (interleave ? " (interleaving needs identical shapes)" : " (other dimensions must match)"));
    shape[a] += other[a];
  }
  out.resize(shape);
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < a; ++i) outer *= shape[i];
  std::int64_t inner = 1;
  for (std::size_t i = a + 1; i < shape.size(); ++i) inner *= shape[i];
  const std::int64_t slab = shape[a] * inner;  // one outer index of the output
  if (out.size() == 0) return;  // an empty tensor has no storage, and memcpy must not see its null pointer
  float* dst = out.data();
  pool.parallel_for(outer, std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, slab)),
                    [&](std::int64_t begin, std::int64_t end) {
                      for (std::int64_t o = begin; o < end; ++o) {
                        float* row = dst + o * slab;
                        if (!interleave) {
                          for (const Tensor* input : inputs) {
                            const std::int64_t block = input->shape()[a] * inner;
                            if (block == 0) continue;
                            std::memcpy(row, input->data() + o * block,
                                        static_cast<std::size_t>(block) * sizeof(float));
                            row += block;
                          }
                          continue;
                        }
                        const std::int64_t length = first[a];
                        for (std::int64_t k = 0; k < length; ++k)
                          for (const Tensor* input : inputs) {
                            std::memcpy(row, input->data() + (o * length + k) * inner,
                                        static_cast<std::size_t>(inner) * sizeof(float));
                            row += inner;
                          }
                      }
                    });
}

void split(const Tensor& in, int axis, std::span<const std::int64_t> sizes, std::span<Tensor* const> outputs,
           ThreadPool& pool) {
  const auto a = static_cast<std::size_t>(axis);
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < a; ++i) outer *= in.shape()[i];
  std::int64_t inner = 1;
  for (std::size_t i = a + 1; i < in.shape().size(); ++i) inner *= in.shape()[i];
  std::int64_t start = 0;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    Shape shape = in.shape();
    shape[a] = sizes[k];
    outputs[k]->resize(shape);
    const std::int64_t strides[2] = {in.shape()[a] * inner, 1};
    gather(in.data(), start * inner, Shape{outer, sizes[k] * inner}, strides, outputs[k]->data(), pool);
    start += sizes[k];
  }
}

void copy_reshaped(const Tensor& in, Shape shape, Tensor& out) {
  if (element_count(shape) != in.size())
    throw Error("cannot reshape " + shape_to_string(in.shape()) + " (" + std::to_string(in.size()) + " elements) to " +
                shape_to_string(shape) + " (" + std::to_string(element_count(shape)) + " elements)");
  out.resize(std::move(shape));
  std::memcpy(out.data(), in.data(), static_cast<std::size_t>(in.size()) * sizeof(float));
}

}  // namespace mlconv::exec::shape
