// The constant-evaluation kernels of "fold-constants", listed in one table at the end.
// Layout kernels (Reshape, Transpose, Gather, Slice, Concat, ...) move element bytes
// and so keep any element type exactly; arithmetic reads numbers as int64 or double.
#include "converter/passes/fold_rules.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>

#include "converter/passes/pass.h"

namespace mlconv::converter {
namespace {

using Dims = std::vector<std::int64_t>;

bool is_integral(ElementType type) {
  return type != ElementType::float32 && type != ElementType::float16 && type != ElementType::float64;
}

std::size_t count_of(const Dims& dims) {
  const std::int64_t n = TensorData{ElementType::undefined, dims, {}}.element_count();
  if (n > max_folded_elements) throw TooLargeToFold{};
  return static_cast<std::size_t>(n);
}

// Calls f(index, flat) for every multi-index of `dims` in row-major order.
template <typename F>
void for_each_index(const Dims& dims, F&& f) {
  const std::size_t total = count_of(dims);
  Dims index(dims.size(), 0);
  for (std::size_t flat = 0; flat < total; ++flat) {
    f(index, flat);
    for (std::size_t a = dims.size(); a-- > 0;) {
      if (++index[a] < dims[a]) break;
      index[a] = 0;
    }
  }
}

Dims strides_of(const Dims& dims) {
  Dims strides(dims.size(), 1);
  for (std::size_t a = dims.size(); a-- > 1;) strides[a - 1] = strides[a] * dims[a];
  return strides;
}

// A tensor of `out_dims` whose element at each index is `in`'s element at source(index).
TensorData gather_elements(const TensorData& in, Dims out_dims, const std::function<std::int64_t(const Dims&)>& source) {
  const std::size_t size = element_size(in.type);
  TensorData out{in.type, std::move(out_dims), {}};
  out.bytes.resize(count_of(out.dims) * size);
  for_each_index(out.dims, [&](const Dims& index, std::size_t flat) {
    std::memcpy(out.bytes.data() + flat * size, in.bytes.data() + static_cast<std::size_t>(source(index)) * size, size);
  });
  return out;
}

template <typename T>
void put(TensorBytes& bytes, std::size_t i, T value) {
  std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
}

// Numbers stored in `type`: float types round, integer types as integer_from (graph.h) makes them.
template <typename Number>
TensorData store_as(ElementType type, Dims dims, const std::vector<Number>& values) {
  TensorData out{type, std::move(dims), std::string(values.size() * element_size(type), '\0')};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Number v = values[i];
    switch (type) {
      case ElementType::float32: put(out.bytes, i, static_cast<float>(v)); break;
      case ElementType::float16: put(out.bytes, i, float_to_half(static_cast<float>(v))); break;
      case ElementType::float64: put(out.bytes, i, static_cast<double>(v)); break;
      case ElementType::int8: put(out.bytes, i, integer_from<std::int8_t>(v)); break;
      case ElementType::uint8: put(out.bytes, i, integer_from<std::uint8_t>(v)); break;
      case ElementType::int16: put(out.bytes, i, integer_from<std::int16_t>(v)); break;
      case ElementType::int32: put(out.bytes, i, integer_from<std::int32_t>(v)); break;
      case ElementType::int64: put(out.bytes, i, integer_from<std::int64_t>(v)); break;
      case ElementType::boolean: put(out.bytes, i, static_cast<std::uint8_t>(v != 0)); break;
      case ElementType::undefined:
      case ElementType::string: break;
    }
  }
  return out;
}

std::vector<double> reals(const TensorData& t) {
  if (t.type != ElementType::float64) {
    const auto floats = t.to_floats();
    return {floats.begin(), floats.end()};
  }
  std::vector<double> out(static_cast<std::size_t>(t.element_count()));
  if (t.bytes.size() != out.size() * sizeof(double)) throw Error("float64 tensor has the wrong byte count");
  if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  return out;
}

Dims broadcast_dims(const FoldContext& c, const Dims& a, const Dims& b) {
  return *known_sizes(broadcast_shapes(c, shape_of_dims(a), shape_of_dims(b)));
}

// For each element of `out` (row-major), the flat index of the element of `in` it reads.
std::vector<std::size_t> broadcast_sources(const Dims& out, const Dims& in) {
  const Dims in_strides = strides_of(in);
  std::vector<std::size_t> sources(count_of(out));
  const std::size_t offset = out.size() - in.size();
  for_each_index(out, [&](const Dims& index, std::size_t flat) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a < in.size(); ++a) {
      if (in[a] != 1) at += index[a + offset] * in_strides[a];
    }
    sources[flat] = static_cast<std::size_t>(at);
  });
  return sources;
}

std::optional<TensorData> identity(FoldContext& c) { return c.required(0); }

std::optional<TensorData> constant_node(FoldContext& c) {
  const Node& node = c.node();
  if (const Attribute* a = node.find_attribute("value")) return a->as_tensor();
  if (const Attribute* a = node.find_attribute("value_float")) return TensorData::from_floats({}, {static_cast<float>(a->as_float())});
  if (const Attribute* a = node.find_attribute("value_floats")) {
    const auto values = a->as_floats();
    return TensorData::from_floats({static_cast<std::int64_t>(values.size())}, {values.begin(), values.end()});
  }
  if (const Attribute* a = node.find_attribute("value_int")) return TensorData::from_ints({}, {a->as_int()});
  if (const Attribute* a = node.find_attribute("value_ints")) return TensorData::from_ints({static_cast<std::int64_t>(a->as_ints().size())}, a->as_ints());
  c.fail("needs one of the attributes value, value_float(s) or value_int(s)");
}

std::optional<TensorData> shape_of(FoldContext& c) {
  const Shape* x = c.shape(0);
  if (x == nullptr) return std::nullopt;
  const auto rank = static_cast<std::int64_t>(x->size());
  std::int64_t start = c.attr_int("start", 0);
  std::int64_t end = c.attr_int("end", rank);
  start = std::clamp<std::int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<std::int64_t>(end < 0 ? end + rank : end, 0, rank);
  Dims sizes;
  for (std::int64_t i = start; i < end; ++i) {
    const Dim& d = (*x)[static_cast<std::size_t>(i)];
    if (!d.size) return std::nullopt;
    sizes.push_back(*d.size);
  }
  return TensorData::from_ints({static_cast<std::int64_t>(sizes.size())}, sizes);
}

std::optional<TensorData> size_of(FoldContext& c) {
  const Shape* x = c.shape(0);
  if (x == nullptr) return std::nullopt;
  const auto sizes = known_sizes(*x);
  if (!sizes) return std::nullopt;
  return TensorData::from_ints({}, {TensorData{ElementType::undefined, *sizes, {}}.element_count()});
}

std::optional<TensorData> cast(FoldContext& c) {
  const TensorData& in = c.required(0);
  const auto to = element_type_of_onnx(c.attr_int("to", 0));
  if (!to || *to == ElementType::string || in.type == ElementType::string) return std::nullopt;
  if (is_integral(in.type)) return store_as(*to, in.dims, in.to_ints());
  return store_as(*to, in.dims, reals(in));
}

// Reshape, Flatten, Squeeze, Unsqueeze: the same bytes under the inferred shape.
std::optional<TensorData> relayout(FoldContext& c) {
  const auto dims = c.output_dims();
  if (!dims) return std::nullopt;
  TensorData out = c.required(0);
  out.dims = *dims;
  return out;
}

std::optional<TensorData> transpose(FoldContext& c) {
  const TensorData& in = c.required(0);
  const auto out_dims = c.output_dims();
  if (!out_dims) return std::nullopt;
  Dims reversed(in.dims.size());
  for (std::size_t i = 0; i < reversed.size(); ++i) reversed[i] = static_cast<std::int64_t>(reversed.size() - 1 - i);
  const Dims perm = c.attr_ints("perm", reversed);
  const Dims in_strides = strides_of(in.dims);
  return gather_elements(in, *out_dims, [&](const Dims& index) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a < perm.size(); ++a) at += index[a] * in_strides[static_cast<std::size_t>(perm[a])];
    return at;
  });
}

std::optional<TensorData> concat(FoldContext& c) {
  const auto out_dims = c.output_dims();
  if (!out_dims) return std::nullopt;
  const std::size_t axis = c.axis(c.attr_int("axis", 0), out_dims->size(), "axis");
  const ElementType type = c.required(0).type;
  const std::size_t size = element_size(type);
  std::size_t outer = 1;
  for (std::size_t a = 0; a < axis; ++a) outer *= static_cast<std::size_t>((*out_dims)[a]);
  TensorData out{type, *out_dims, {}};
  out.bytes.reserve(count_of(*out_dims) * size);
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0; i < c.input_count(); ++i) {
      const TensorData& in = c.required(i);
      if (in.type != type) c.fail("input " + std::to_string(i) + " is " + std::string(element_type_name(in.type)) + "; input 0 is " + std::string(element_type_name(type)));
      const std::size_t block = count_of(in.dims) / outer * size;
      out.bytes.append(in.bytes.str().substr(o * block, block));
    }
  }
  return out;
}

std::optional<TensorData> gather(FoldContext& c) {
  const TensorData& data = c.required(0);
  const auto indices = c.required(1).to_ints();
  const Dims& index_dims = c.required(1).dims;
  const std::size_t axis = c.axis(c.attr_int("axis", 0), data.dims.size(), "axis");
  const std::int64_t extent = data.dims[axis];
  Dims out_dims(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
  out_dims.insert(out_dims.end(), index_dims.begin(), index_dims.end());
  out_dims.insert(out_dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.dims.end());
  for (const std::int64_t k : indices) {
    if (k < -extent || k >= extent) {
      c.fail("index " + std::to_string(k) + " is outside [" + std::to_string(-extent) + ", " + std::to_string(extent) + ") for axis " + std::to_string(axis) +
             " of " + describe_shape(shape_of_dims(data.dims)));
    }
  }
  const Dims data_strides = strides_of(data.dims);
  const Dims index_strides = strides_of(index_dims);
  return gather_elements(data, out_dims, [&](const Dims& index) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a < axis; ++a) at += index[a] * data_strides[a];
    std::int64_t k = 0;
    for (std::size_t a = 0; a < index_dims.size(); ++a) k += index[axis + a] * index_strides[a];
    std::int64_t chosen = indices[static_cast<std::size_t>(k)];
    if (chosen < 0) chosen += extent;
    at += chosen * data_strides[axis];
    for (std::size_t a = axis + 1; a < data.dims.size(); ++a) at += index[a + index_dims.size() - 1] * data_strides[a];
    return at;
  });
}

std::optional<TensorData> slice(FoldContext& c) {
  const TensorData& in = c.required(0);
  const auto out_dims = c.output_dims();
  if (!out_dims) return std::nullopt;
  const auto starts = c.required(1).to_ints();
  Dims axes(starts.size());
  for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<std::int64_t>(i);
  if (c.constant(3) != nullptr) axes = c.required(3).to_ints();
  Dims steps(starts.size(), 1);
  if (c.constant(4) != nullptr) steps = c.required(4).to_ints();
  Dims begin(in.dims.size(), 0);
  Dims step(in.dims.size(), 1);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::size_t a = c.axis(axes[i], in.dims.size(), "axes entry");
    const std::int64_t n = in.dims[a];
    std::int64_t s = starts[i] < 0 ? starts[i] + n : starts[i];
    s = steps[i] > 0 ? std::clamp<std::int64_t>(s, 0, n) : std::clamp<std::int64_t>(s, -1, n - 1);
    begin[a] = s;
    step[a] = steps[i];
  }
  const Dims strides = strides_of(in.dims);
  return gather_elements(in, *out_dims, [&](const Dims& index) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a < index.size(); ++a) at += (begin[a] + index[a] * step[a]) * strides[a];
    return at;
  });
}

std::optional<TensorData> expand(FoldContext& c) {
  const TensorData& in = c.required(0);
  const Dims out_dims = broadcast_dims(c, in.dims, c.required(1).to_ints());
  const auto sources = broadcast_sources(out_dims, in.dims);
  const std::size_t size = element_size(in.type);
  TensorData out{in.type, out_dims, std::string(sources.size() * size, '\0')};
  for (std::size_t i = 0; i < sources.size(); ++i) std::memcpy(out.bytes.data() + i * size, in.bytes.data() + sources[i] * size, size);
  return out;
}

std::optional<TensorData> constant_of_shape(FoldContext& c) {
  const Dims dims = c.required(0).to_ints();
  TensorData fill = TensorData::from_floats({}, {0.0F});
  if (const Attribute* value = c.node().find_attribute("value")) fill = value->as_tensor();
  if (fill.element_count() != 1) c.fail("attribute 'value' must hold one element");
  for (const auto d : dims) {
    if (d < 0) c.fail("the shape " + describe_shape(shape_of_dims(dims)) + " has a negative size");
  }
  TensorData out{fill.type, dims, {}};
  const std::size_t n = count_of(dims);
  out.bytes.reserve(n * fill.bytes.size());
  for (std::size_t i = 0; i < n; ++i) out.bytes += fill.bytes;
  return out;
}

std::optional<TensorData> range(FoldContext& c) {
  const TensorData& start = c.required(0);
  if (is_integral(start.type)) {
    const std::int64_t first = start.to_ints().at(0);
    const std::int64_t limit = c.required(1).to_ints().at(0);
    const std::int64_t delta = c.required(2).to_ints().at(0);
    if (delta == 0) c.fail("delta must not be 0");
    // In 128 bits: limit - first alone can pass 2^63.
    const __int128 span = static_cast<__int128>(limit) - first + delta + (delta > 0 ? -1 : 1);
    const __int128 count = std::max<__int128>(0, span / delta);
    if (count > max_folded_elements) throw TooLargeToFold{};
    const auto n = static_cast<std::int64_t>(count);
    std::vector<std::int64_t> values(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = first + i * delta;
    return store_as(start.type, {n}, values);
  }
  const double first = reals(start).at(0);
  const double limit = reals(c.required(1)).at(0);
  const double delta = reals(c.required(2)).at(0);
  if (delta == 0) c.fail("delta must not be 0");
  const double count = std::ceil((limit - first) / delta);
  if (!(count <= static_cast<double>(max_folded_elements))) {
    if (std::isnan(count)) c.fail("start, limit and delta give no number of elements (NaN)");
    throw TooLargeToFold{};
  }
  const auto n = static_cast<std::int64_t>(std::max(0.0, count));
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = first + static_cast<double>(i) * delta;
  return store_as(start.type, {n}, values);
}

struct Arithmetic {
  std::string_view op_type;
  double (*real)(double, double);
  std::int64_t (*whole)(std::int64_t, std::int64_t);
  bool predicate;  // the result is bool
};

// Integer tensors overflow as two's complement, as on every runtime, instead of being
// undefined behaviour in the converter.
constexpr std::int64_t wrapped(std::uint64_t value) { return static_cast<std::int64_t>(value); }

constexpr std::array arithmetic_ops = {
    Arithmetic{"Add", [](double a, double b) { return a + b; }, [](std::int64_t a, std::int64_t b) { return wrapped(std::uint64_t(a) + std::uint64_t(b)); }, false},
    Arithmetic{"Sub", [](double a, double b) { return a - b; }, [](std::int64_t a, std::int64_t b) { return wrapped(std::uint64_t(a) - std::uint64_t(b)); }, false},
    Arithmetic{"Mul", [](double a, double b) { return a * b; }, [](std::int64_t a, std::int64_t b) { return wrapped(std::uint64_t(a) * std::uint64_t(b)); }, false},
    Arithmetic{"Div", [](double a, double b) { return a / b; }, [](std::int64_t a, std::int64_t b) { return b == -1 ? wrapped(0 - std::uint64_t(a)) : a / b; }, false},
    Arithmetic{"Max", [](double a, double b) { return std::max(a, b); }, [](std::int64_t a, std::int64_t b) { return std::max(a, b); }, false},
    Arithmetic{"Min", [](double a, double b) { return std::min(a, b); }, [](std::int64_t a, std::int64_t b) { return std::min(a, b); }, false},
    Arithmetic{"Equal", [](double a, double b) { return double(a == b); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a == b); }, true},
    Arithmetic{"Less", [](double a, double b) { return double(a < b); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a < b); }, true},
    Arithmetic{"LessOrEqual", [](double a, double b) { return double(a <= b); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a <= b); }, true},
    Arithmetic{"Greater", [](double a, double b) { return double(a > b); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a > b); }, true},
    Arithmetic{"GreaterOrEqual", [](double a, double b) { return double(a >= b); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a >= b); }, true},
    Arithmetic{"And", [](double a, double b) { return double(a != 0 && b != 0); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a != 0 && b != 0); }, true},
    Arithmetic{"Or", [](double a, double b) { return double(a != 0 || b != 0); }, [](std::int64_t a, std::int64_t b) { return std::int64_t(a != 0 || b != 0); }, true},
};

std::optional<TensorData> arithmetic(FoldContext& c) {
  const auto* op = std::find_if(arithmetic_ops.begin(), arithmetic_ops.end(), [&](const Arithmetic& a) { return a.op_type == c.node().op_type; });
  const TensorData& a = c.required(0);
  const TensorData& b = c.required(1);
  const Dims out_dims = broadcast_dims(c, a.dims, b.dims);
  const auto from_a = broadcast_sources(out_dims, a.dims);
  const auto from_b = broadcast_sources(out_dims, b.dims);
  const ElementType type = op->predicate ? ElementType::boolean : a.type;
  if (is_integral(a.type) && is_integral(b.type)) {
    const auto x = a.to_ints();
    const auto y = b.to_ints();
    std::vector<std::int64_t> out(from_a.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (op->op_type == "Div" && y[from_b[i]] == 0) c.fail("integer division by zero");
      out[i] = op->whole(x[from_a[i]], y[from_b[i]]);
    }
    return store_as(type, out_dims, out);
  }
  const auto x = reals(a);
  const auto y = reals(b);
  std::vector<double> out(from_a.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = op->real(x[from_a[i]], y[from_b[i]]);
  return store_as(type, out_dims, out);
}

std::optional<TensorData> where(FoldContext& c) {
  const TensorData& cond = c.required(0);
  const TensorData& x = c.required(1);
  const TensorData& y = c.required(2);
  if (x.type != y.type) c.fail("X and Y have different element types");
  const Dims out_dims = broadcast_dims(c, broadcast_dims(c, cond.dims, x.dims), y.dims);
  const auto from_c = broadcast_sources(out_dims, cond.dims);
  const auto from_x = broadcast_sources(out_dims, x.dims);
  const auto from_y = broadcast_sources(out_dims, y.dims);
  const auto flags = cond.to_ints();
  const std::size_t size = element_size(x.type);
  TensorData out{x.type, out_dims, std::string(from_c.size() * size, '\0')};
  for (std::size_t i = 0; i < from_c.size(); ++i) {
    const TensorData& pick = flags[from_c[i]] != 0 ? x : y;
    std::memcpy(out.bytes.data() + i * size, pick.bytes.data() + (flags[from_c[i]] != 0 ? from_x[i] : from_y[i]) * size, size);
  }
  return out;
}

struct Unary {
  std::string_view op_type;
  double (*real)(double);
};

constexpr std::array unary_ops = {
    Unary{"Neg", [](double v) { return -v; }},
    Unary{"Abs", [](double v) { return std::abs(v); }},
    Unary{"Sqrt", [](double v) { return std::sqrt(v); }},
    Unary{"Reciprocal", [](double v) { return 1.0 / v; }},
    Unary{"Floor", [](double v) { return std::floor(v); }},
    Unary{"Ceil", [](double v) { return std::ceil(v); }},
    Unary{"Not", [](double v) { return double(v == 0); }},
    Unary{"Sign", [](double v) { return double((v > 0) - (v < 0)); }},
};

std::optional<TensorData> unary(FoldContext& c) {
  const auto* op = std::find_if(unary_ops.begin(), unary_ops.end(), [&](const Unary& u) { return u.op_type == c.node().op_type; });
  const TensorData& in = c.required(0);
  if (is_integral(in.type)) {
    auto values = in.to_ints();
    for (auto& v : values) v = integer_from<std::int64_t>(op->real(static_cast<double>(v)));
    return store_as(in.type, in.dims, values);
  }
  auto values = reals(in);
  for (auto& v : values) v = op->real(v);
  return store_as(in.type, in.dims, values);
}

// ReduceSum/Prod/Max/Min/Mean over the axes the shape rule reduced.
std::optional<TensorData> reduce(FoldContext& c) {
  const TensorData& in = c.required(0);
  const auto out_dims = c.output_dims();
  if (!out_dims) return std::nullopt;
  std::optional<Dims> axes = c.attr_ints("axes", {});
  if (c.constant(1) != nullptr) axes = c.required(1).to_ints();
  std::vector<bool> reduced(in.dims.size(), axes->empty() && c.attr_int("noop_with_empty_axes", 0) == 0);
  for (const auto a : *axes) reduced[c.axis(a, in.dims.size(), "axes entry")] = true;
  Dims kept_dims;
  for (std::size_t a = 0; a < in.dims.size(); ++a) kept_dims.push_back(reduced[a] ? 1 : in.dims[a]);
  const Dims kept_strides = strides_of(kept_dims);
  const std::string& op = c.node().op_type;
  const auto values = reals(in);
  const std::size_t n = count_of(kept_dims);
  std::vector<double> acc(n, op == "ReduceProd" ? 1.0 : op == "ReduceMax" ? -INFINITY : op == "ReduceMin" ? INFINITY : 0.0);
  for_each_index(in.dims, [&](const Dims& index, std::size_t flat) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a < index.size(); ++a) at += reduced[a] ? 0 : index[a] * kept_strides[a];
    double& slot = acc[static_cast<std::size_t>(at)];
    const double v = values[flat];
    if (op == "ReduceProd") slot *= v;
    else if (op == "ReduceMax") slot = std::max(slot, v);
    else if (op == "ReduceMin") slot = std::min(slot, v);
    else slot += v;
  });
  if (op == "ReduceMean" && n > 0) {
    for (auto& v : acc) v /= static_cast<double>(count_of(in.dims) / n);
  }
  return store_as(in.type, *out_dims, acc);
}

constexpr std::array fold_rules = {
    FoldRule{"Constant", true, constant_node}, FoldRule{"Identity", true, identity},
    FoldRule{"Shape", false, shape_of}, FoldRule{"Size", false, size_of}, FoldRule{"Cast", true, cast},
    FoldRule{"Reshape", true, relayout}, FoldRule{"Flatten", true, relayout}, FoldRule{"Squeeze", true, relayout},
    FoldRule{"Unsqueeze", true, relayout}, FoldRule{"Transpose", true, transpose}, FoldRule{"Concat", true, concat},
    FoldRule{"Gather", true, gather}, FoldRule{"Slice", true, slice}, FoldRule{"Expand", true, expand},
    FoldRule{"ConstantOfShape", true, constant_of_shape}, FoldRule{"Range", true, range},
    FoldRule{"Add", true, arithmetic}, FoldRule{"Sub", true, arithmetic}, FoldRule{"Mul", true, arithmetic},
    FoldRule{"Div", true, arithmetic}, FoldRule{"Max", true, arithmetic}, FoldRule{"Min", true, arithmetic},
    FoldRule{"Equal", true, arithmetic}, FoldRule{"Less", true, arithmetic}, FoldRule{"LessOrEqual", true, arithmetic},
    FoldRule{"Greater", true, arithmetic}, FoldRule{"GreaterOrEqual", true, arithmetic}, FoldRule{"And", true, arithmetic},
    FoldRule{"Or", true, arithmetic}, FoldRule{"Where", true, where}, FoldRule{"Neg", true, unary},
    FoldRule{"Abs", true, unary}, FoldRule{"Sqrt", true, unary}, FoldRule{"Reciprocal", true, unary},
    FoldRule{"Floor", true, unary}, FoldRule{"Ceil", true, unary}, FoldRule{"Not", true, unary},
    FoldRule{"Sign", true, unary}, FoldRule{"ReduceSum", true, reduce}, FoldRule{"ReduceProd", true, reduce},
    FoldRule{"ReduceMax", true, reduce}, FoldRule{"ReduceMin", true, reduce}, FoldRule{"ReduceMean", true, reduce},
};

}  // namespace

const TensorData* FoldContext::constant(std::size_t i) const {
  const Value* v = node().input(i);
  return v != nullptr && v->constant ? &*v->constant : nullptr;
}

const TensorData& FoldContext::required(std::size_t i) const {
  if (const TensorData* data = constant(i)) return *data;
  fail("input " + std::to_string(i) + " is missing; " + std::string(node().op_type) + " requires it");
}

std::optional<std::vector<std::int64_t>> FoldContext::output_dims() const {
  const Value* out = node().outputs.at(0);
  return out->shape ? known_sizes(*out->shape) : std::nullopt;
}

const FoldRule* find_fold_rule(const Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return nullptr;
  for (const FoldRule& rule : fold_rules) {
    if (rule.op_type == node.op_type) return &rule;
  }
  return nullptr;
}

}  // namespace mlconv::converter
