// The shape rules of "infer-shapes", one function per op family, listed in one table.
// Each follows the ONNX operator definition for the newest opset form (the ONNX
// frontend rewrites older attribute forms into inputs first).
#include "converter/passes/shape_rules.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "converter/passes/pass.h"

namespace mlconv::converter {
namespace {

Dim unknown_dim() { return Dim::symbolic("?"); }

std::string ints_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// Sizes come from the input file, so arithmetic on them is checked: a hostile model can
// declare dims whose product does not fit in 64 bits.
std::int64_t checked_mul(const ShapeContext& c, std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) {
    c.fail("sizes " + std::to_string(a) + " * " + std::to_string(b) + " overflow a 64-bit integer");
  }
  return result;
}

std::int64_t checked_add(const ShapeContext& c, std::int64_t a, std::int64_t b) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) {
    c.fail("sizes " + std::to_string(a) + " + " + std::to_string(b) + " overflow a 64-bit integer");
  }
  return result;
}

std::optional<std::int64_t> product(const ShapeContext& c, const Shape& shape, std::size_t from, std::size_t to) {
  std::int64_t n = 1;
  for (std::size_t i = from; i < to; ++i) {
    if (!shape[i].size) return std::nullopt;
    n = checked_mul(c, n, *shape[i].size);
  }
  return n;
}

Dim dim_of(std::optional<std::int64_t> n) { return n ? Dim::known(*n) : unknown_dim(); }

void same_as_input(ShapeContext& c) {
  if (const Shape* x = c.shape(0)) c.set(0, c.type(0), *x);
}

void predicate_same_shape(ShapeContext& c) {
  if (const Shape* x = c.shape(0)) c.set(0, ElementType::boolean, *x);
}

// Add, Mul, Max, Sum, ...: all inputs broadcast together; the type is the first input's.
void broadcast_all(ShapeContext& c, ElementType type) {
  std::optional<Shape> result;
  for (std::size_t i = 0; i < c.input_count(); ++i) {
    const Shape* s = c.shape(i);
    if (s == nullptr) return;
    result = result ? broadcast_shapes(c, *result, *s) : *s;
  }
  if (result) c.set(0, type, *result);
}

void arithmetic(ShapeContext& c) { broadcast_all(c, c.type(0)); }
void comparison(ShapeContext& c) { broadcast_all(c, ElementType::boolean); }

void where(ShapeContext& c) {
  const Shape* cond = c.shape(0);
  const Shape* x = c.shape(1);
  const Shape* y = c.shape(2);
  if (cond && x && y) c.set(0, c.type(1), broadcast_shapes(c, broadcast_shapes(c, *cond, *x), *y));
}

void cast(ShapeContext& c) {
  const auto to = element_type_of_onnx(c.attr_int("to", 0));
  if (!to) c.fail("attribute 'to'=" + std::to_string(c.attr_int("to", 0)) + " is not an element type mlconv supports");
  if (const Shape* x = c.shape(0)) c.set(0, *to, *x);
}

// Output size of one spatial axis of a convolution or pooling window.
Dim window_output(const ShapeContext& c, const Dim& in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                  std::int64_t pad_total, const std::string& auto_pad, bool ceil_mode) {
  if (!in.size) return unknown_dim();
  if (stride < 1) c.fail("strides must be positive");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") return Dim::known(checked_add(c, *in.size, stride - 1) / stride);
  const std::int64_t extent = checked_add(c, checked_mul(c, dilation, checked_add(c, kernel, -1)), 1);
  const std::int64_t span = checked_add(c, checked_add(c, *in.size, auto_pad == "VALID" ? 0 : pad_total), -extent);
  if (span < 0) {
    c.fail("the window (kernel " + std::to_string(kernel) + ", dilation " + std::to_string(dilation) + ") is larger than the padded input (" +
           std::to_string(checked_add(c, *in.size, pad_total)) + ")");
  }
  return Dim::known((ceil_mode ? checked_add(c, span, stride - 1) / stride : span / stride) + 1);
}

void spatial_window(ShapeContext& c, const Shape& x, Dim channels, const std::vector<std::int64_t>& kernel, bool ceil_mode) {
  const std::size_t spatial = x.size() - 2;
  if (kernel.size() != spatial) {
    c.fail("the kernel has " + std::to_string(kernel.size()) + " spatial axes; the input " + describe_shape(x) + " has " +
           std::to_string(spatial));
  }
  const auto strides = c.attr_ints("strides", std::vector<std::int64_t>(spatial, 1));
  const auto dilations = c.attr_ints("dilations", std::vector<std::int64_t>(spatial, 1));
  const auto pads = c.attr_ints("pads", std::vector<std::int64_t>(spatial * 2, 0));
  if (strides.size() != spatial || dilations.size() != spatial || pads.size() != spatial * 2) {
    c.fail("strides, dilations and pads must have " + std::to_string(spatial) + ", " + std::to_string(spatial) + " and " +
           std::to_string(spatial * 2) + " entries");
  }
  const std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  Shape out{x[0], channels};
  for (std::size_t i = 0; i < spatial; ++i) {
    out.push_back(window_output(c, x[i + 2], kernel[i], strides[i], dilations[i], checked_add(c, pads[i], pads[i + spatial]),
                               auto_pad, ceil_mode));
  }
  c.set(0, c.type(0), out);
}

void conv(ShapeContext& c) {
  const Shape* x = c.shape(0);
  const Shape* w = c.shape(1);
  if (!x || !w) return;
  if (x->size() < 3 || w->size() != x->size()) {
    c.fail("expects X [N, C, spatial...] and W of the same rank; got X " + describe_shape(*x) + " and W " + describe_shape(*w));
  }
  const std::int64_t group = c.attr_int("group", 1);
  if ((*x)[1].size && (*w)[1].size && *(*x)[1].size != checked_mul(c, *(*w)[1].size, group)) {
    c.fail("the input has " + std::to_string(*(*x)[1].size) + " channels; W " + describe_shape(*w) + " with group " +
           std::to_string(group) + " expects " + std::to_string(*(*w)[1].size * group));
  }
  std::vector<std::int64_t> kernel;
  for (std::size_t i = 2; i < w->size(); ++i) kernel.push_back((*w)[i].size.value_or(1));
  kernel = c.attr_ints("kernel_shape", kernel);
  spatial_window(c, *x, (*w)[0], kernel, false);
}

void pool(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  if (x->size() < 3) c.fail("expects X [N, C, spatial...]; got " + describe_shape(*x));
  spatial_window(c, *x, (*x)[1], c.attr_ints("kernel_shape", {}), c.attr_int("ceil_mode", 0) != 0);
}

void global_pool(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  if (x->size() < 3) c.fail("expects X [N, C, spatial...]; got " + describe_shape(*x));
  Shape out{(*x)[0], (*x)[1]};
  out.resize(x->size(), Dim::known(1));
  c.set(0, c.type(0), out);
}

Dim checked_inner(const ShapeContext& c, const Dim& a, const Dim& b, const std::string& a_text, const std::string& b_text) {
  if (a.size && b.size && *a.size != *b.size) {
    c.fail("inner dimensions differ: A " + a_text + " has K=" + std::to_string(*a.size) + ", B " + b_text + " has K=" +
           std::to_string(*b.size));
  }
  return a.size ? a : b;
}

void gemm(ShapeContext& c) {
  const Shape* a = c.shape(0);
  const Shape* b = c.shape(1);
  if (!a || !b) return;
  if (a->size() != 2 || b->size() != 2) c.fail("A and B must be 2-D; got " + describe_shape(*a) + " and " + describe_shape(*b));
  const bool ta = c.attr_int("transA", 0) != 0;
  const bool tb = c.attr_int("transB", 0) != 0;
  (void)checked_inner(c, (*a)[ta ? 0 : 1], (*b)[tb ? 1 : 0], describe_shape(*a) + (ta ? " (transposed)" : ""),
                      describe_shape(*b) + (tb ? " (transposed)" : ""));
  Shape out{(*a)[ta ? 1 : 0], (*b)[tb ? 0 : 1]};
  if (const Shape* bias = c.shape(2)) (void)broadcast_shapes(c, out, *bias);
  c.set(0, c.type(0), out);
}

void matmul(ShapeContext& c) {
  const Shape* a = c.shape(0);
  const Shape* b = c.shape(1);
  if (!a || !b) return;
  if (a->empty() || b->empty()) c.fail("MatMul inputs must have rank 1 or more");
  Shape sa = *a;
  Shape sb = *b;
  const bool vector_a = sa.size() == 1;
  const bool vector_b = sb.size() == 1;
  if (vector_a) sa.insert(sa.begin(), Dim::known(1));
  if (vector_b) sb.push_back(Dim::known(1));
  (void)checked_inner(c, sa.back(), sb[sb.size() - 2], describe_shape(*a), describe_shape(*b));
  Shape batch = broadcast_shapes(c, Shape(sa.begin(), sa.end() - 2), Shape(sb.begin(), sb.end() - 2));
  if (!vector_a) batch.push_back(sa[sa.size() - 2]);
  if (!vector_b) batch.push_back(sb.back());
  c.set(0, c.type(0), batch);
}

void flatten(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  const std::int64_t raw = c.attr_int("axis", 1);
  const std::size_t axis = raw == static_cast<std::int64_t>(x->size()) ? x->size() : c.axis(raw, x->size(), "axis");
  c.set(0, c.type(0), {dim_of(product(c, *x, 0, axis)), dim_of(product(c, *x, axis, x->size()))});
}

void reshape(ShapeContext& c) {
  const Shape* x = c.shape(0);
  const auto target = c.ints(1);
  if (!target) return;
  const bool allow_zero = c.attr_int("allowzero", 0) != 0;
  Shape out;
  std::optional<std::size_t> infer_at;
  std::int64_t known = 1;
  bool all_known = true;
  for (std::size_t i = 0; i < target->size(); ++i) {
    const std::int64_t d = (*target)[i];
    if (d == -1) {
      if (infer_at) c.fail("the shape " + ints_text(*target) + " has more than one -1");
      infer_at = i;
      out.push_back(unknown_dim());
    } else if (d == 0 && !allow_zero) {
      if (!x || i >= x->size()) c.fail("the shape " + ints_text(*target) + " copies dimension " + std::to_string(i) + " (0), which the input lacks");
      out.push_back((*x)[i]);
      if ((*x)[i].size) known = checked_mul(c, known, *(*x)[i].size); else all_known = false;
    } else if (d < 0) {
      c.fail("the shape " + ints_text(*target) + " has a negative size other than -1");
    } else {
      out.push_back(Dim::known(d));
      known = checked_mul(c, known, d);
    }
  }
  const std::optional<std::int64_t> total = x ? product(c, *x, 0, x->size()) : std::nullopt;
  if (total && all_known) {
    if (infer_at) {
      if (known == 0 || *total % known != 0) {
        c.fail("cannot reshape " + describe_shape(*x) + " (" + std::to_string(*total) + " elements) to " + ints_text(*target));
      }
      out[*infer_at] = Dim::known(*total / known);
    } else if (known != *total) {
      c.fail("cannot reshape " + describe_shape(*x) + " (" + std::to_string(*total) + " elements) to " + ints_text(*target) + " (" +
             std::to_string(known) + " elements)");
    }
  }
  c.set(0, c.type(0), out);
}

void transpose(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  std::vector<std::int64_t> reversed(x->size());
  for (std::size_t i = 0; i < x->size(); ++i) reversed[i] = static_cast<std::int64_t>(x->size() - 1 - i);
  const auto perm = c.attr_ints("perm", reversed);
  if (perm.size() != x->size()) c.fail("perm " + ints_text(perm) + " does not have one entry per input axis " + describe_shape(*x));
  Shape out;
  std::vector<bool> used(x->size(), false);
  for (const std::int64_t p : perm) {
    const std::size_t a = c.axis(p, x->size(), "perm entry");
    if (used[a]) c.fail("perm " + ints_text(perm) + " repeats axis " + std::to_string(a));
    used[a] = true;
    out.push_back((*x)[a]);
  }
  c.set(0, c.type(0), out);
}

void concat(ShapeContext& c) {
  const Shape* first = c.shape(0);
  if (!first) return;
  const std::size_t axis = c.axis(c.attr_int("axis", 0), first->size(), "axis");
  Shape out = *first;
  for (std::size_t i = 1; i < c.input_count(); ++i) {
    const Shape* s = c.shape(i);
    if (!s) return;
    if (s->size() != out.size()) c.fail("input " + std::to_string(i) + " " + describe_shape(*s) + " has another rank than input 0 " + describe_shape(*first));
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (d == axis) {
        out[d] = out[d].size && (*s)[d].size ? Dim::known(checked_add(c, *out[d].size, *(*s)[d].size)) : unknown_dim();
      } else if (out[d].size && (*s)[d].size && *out[d].size != *(*s)[d].size) {
        c.fail("input " + std::to_string(i) + " " + describe_shape(*s) + " differs from input 0 " + describe_shape(*first) +
               " in dimension " + std::to_string(d) + ", which is not the concatenation axis " + std::to_string(axis));
      }
    }
  }
  c.set(0, c.type(0), out);
}

void squeeze(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  const auto axes = c.ints(1);
  if (c.input_count() > 1 && c.node().input(1) != nullptr && !axes) return;
  std::vector<bool> drop(x->size(), false);
  if (axes) {
    for (const std::int64_t a : *axes) drop[c.axis(a, x->size(), "axes entry")] = true;
  } else {
    for (std::size_t i = 0; i < x->size(); ++i) {
      if (!(*x)[i].size) return;  // which axes go is decided at run time
      drop[i] = *(*x)[i].size == 1;
    }
  }
  Shape out;
  for (std::size_t i = 0; i < x->size(); ++i) {
    if (!drop[i]) {
      out.push_back((*x)[i]);
    } else if ((*x)[i].size && *(*x)[i].size != 1) {
      c.fail("axis " + std::to_string(i) + " of " + describe_shape(*x) + " has size " + std::to_string(*(*x)[i].size) + "; only size-1 axes can be squeezed");
    }
  }
  c.set(0, c.type(0), out);
}

void unsqueeze(ShapeContext& c) {
  const Shape* x = c.shape(0);
  const auto axes = c.ints(1);
  if (!x || !axes) return;
  const std::size_t rank = x->size() + axes->size();
  std::vector<bool> inserted(rank, false);
  for (const std::int64_t a : *axes) {
    const std::size_t at = c.axis(a, rank, "axes entry");
    if (inserted[at]) c.fail("axes " + ints_text(*axes) + " repeat axis " + std::to_string(at));
    inserted[at] = true;
  }
  Shape out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? Dim::known(1) : (*x)[next++]);
  c.set(0, c.type(0), out);
}

void gather(ShapeContext& c) {
  const Shape* data = c.shape(0);
  const Shape* indices = c.shape(1);
  if (!data || !indices) return;
  const std::size_t axis = c.axis(c.attr_int("axis", 0), data->size(), "axis");
  Shape out(data->begin(), data->begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices->begin(), indices->end());
  out.insert(out.end(), data->begin() + static_cast<std::ptrdiff_t>(axis) + 1, data->end());
  c.set(0, c.type(0), out);
}

void slice(ShapeContext& c) {
  const Shape* x = c.shape(0);
  const auto starts = c.ints(1);
  const auto ends = c.ints(2);
  if (!x || !starts || !ends) return;
  std::vector<std::int64_t> axes(starts->size());
  for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<std::int64_t>(i);
  if (c.node().input(3) != nullptr) {
    const auto given = c.ints(3);
    if (!given) return;
    axes = *given;
  }
  std::vector<std::int64_t> steps(starts->size(), 1);
  if (c.node().input(4) != nullptr) {
    const auto given = c.ints(4);
    if (!given) return;
    steps = *given;
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() || steps.size() != starts->size()) {
    c.fail("starts, ends, axes and steps must have the same length");
  }
  Shape out = *x;
  for (std::size_t i = 0; i < starts->size(); ++i) {
    const std::size_t a = c.axis(axes[i], x->size(), "axes entry");
    if (steps[i] == 0) c.fail("steps must not be 0");
    if (!(*x)[a].size) {
      out[a] = unknown_dim();
      continue;
    }
    const std::int64_t n = *(*x)[a].size;
    const auto clamp = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
      if (v < 0) v += n;
      return std::clamp(v, lo, hi);
    };
    const bool forward = steps[i] > 0;
    const std::int64_t begin = forward ? clamp((*starts)[i], 0, n) : clamp((*starts)[i], -1, n - 1);
    const std::int64_t end = forward ? clamp((*ends)[i], 0, n) : clamp((*ends)[i], -1, n - 1);
    const std::int64_t span = forward ? end - begin : begin - end;
    // -INT64_MIN does not exist; any step that large takes one element.
    const std::int64_t step = forward ? steps[i] : (steps[i] == INT64_MIN ? INT64_MAX : -steps[i]);
    out[a] = Dim::known(span <= 0 ? 0 : (span - 1) / step + 1);
  }
  c.set(0, c.type(0), out);
}

void shape_op(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  const auto rank = static_cast<std::int64_t>(x->size());
  std::int64_t start = c.attr_int("start", 0);
  std::int64_t end = c.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<std::int64_t>(start, 0, rank);
  end = std::clamp<std::int64_t>(end, 0, rank);
  c.set(0, ElementType::int64, {Dim::known(std::max<std::int64_t>(end - start, 0))});
}

void size_op(ShapeContext& c) { c.set(0, ElementType::int64, {}); }

void reduce(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  std::optional<std::vector<std::int64_t>> axes = c.attr_ints("axes", {});
  if (c.node().input(1) != nullptr) axes = c.ints(1);
  if (!axes) return;
  const bool keep = c.attr_int("keepdims", 1) != 0;
  std::vector<bool> reduced(x->size(), axes->empty() && c.attr_int("noop_with_empty_axes", 0) == 0);
  for (const std::int64_t a : *axes) reduced[c.axis(a, x->size(), "axes entry")] = true;
  Shape out;
  for (std::size_t i = 0; i < x->size(); ++i) {
    if (!reduced[i]) out.push_back((*x)[i]);
    else if (keep) out.push_back(Dim::known(1));
  }
  c.set(0, c.type(0), out);
}

void arg_reduce(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  const std::size_t axis = c.axis(c.attr_int("axis", 0), x->size(), "axis");
  Shape out = *x;
  if (c.attr_int("keepdims", 1) != 0) out[axis] = Dim::known(1);
  else out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  c.set(0, ElementType::int64, out);
}

// A shape given as tensor data (Expand, ConstantOfShape) holds sizes, none negative.
Shape sizes_from_data(ShapeContext& c, const std::vector<std::int64_t>& sizes) {
  if (std::any_of(sizes.begin(), sizes.end(), [](std::int64_t d) { return d < 0; })) c.fail("the shape " + ints_text(sizes) + " has a negative size");
  return shape_of_dims(sizes);
}

void expand(ShapeContext& c) {
  const Shape* x = c.shape(0);
  const auto target = c.ints(1);
  if (x && target) c.set(0, c.type(0), broadcast_shapes(c, *x, sizes_from_data(c, *target)));
}

void constant_of_shape(ShapeContext& c) {
  const auto target = c.ints(0);
  if (!target) return;
  ElementType type = ElementType::float32;
  if (const Attribute* value = c.node().find_attribute("value"); value != nullptr && value->kind() == Attribute::Kind::tensor) {
    type = value->as_tensor().type;
  }
  c.set(0, type, sizes_from_data(c, *target));
}

void batch_norm(ShapeContext& c) {
  const Shape* x = c.shape(0);
  if (!x) return;
  if (x->size() < 2) c.fail("expects X [N, C, ...]; got " + describe_shape(*x));
  for (std::size_t i = 1; i < 5 && i < c.input_count(); ++i) {
    const Shape* p = c.shape(i);
    if (p && p->size() == 1 && (*p)[0].size && (*x)[1].size && *(*p)[0].size != *(*x)[1].size) {
      c.fail("input " + std::to_string(i) + " has " + std::to_string(*(*p)[0].size) + " values; X " + describe_shape(*x) + " has " +
             std::to_string(*(*x)[1].size) + " channels");
    }
  }
  c.set(0, c.type(0), *x);
}

constexpr std::array shape_rules = {
    // Elementwise with one input: the output has the input's shape and type.
    ShapeRule{"Abs", same_as_input}, ShapeRule{"Acos", same_as_input}, ShapeRule{"Asin", same_as_input},
    ShapeRule{"Atan", same_as_input}, ShapeRule{"Ceil", same_as_input}, ShapeRule{"Celu", same_as_input},
    ShapeRule{"Clip", same_as_input}, ShapeRule{"Cos", same_as_input}, ShapeRule{"Dropout", same_as_input},
    ShapeRule{"Elu", same_as_input}, ShapeRule{"Erf", same_as_input}, ShapeRule{"Exp", same_as_input},
    ShapeRule{"Floor", same_as_input}, ShapeRule{"Gelu", same_as_input}, ShapeRule{"HardSigmoid", same_as_input},
    ShapeRule{"HardSwish", same_as_input}, ShapeRule{"Hardmax", same_as_input}, ShapeRule{"Identity", same_as_input},
    ShapeRule{"InstanceNormalization", same_as_input}, ShapeRule{"LRN", same_as_input},
    ShapeRule{"LayerNormalization", same_as_input}, ShapeRule{"LeakyRelu", same_as_input}, ShapeRule{"Log", same_as_input},
    ShapeRule{"LogSoftmax", same_as_input}, ShapeRule{"Mish", same_as_input}, ShapeRule{"Neg", same_as_input},
    ShapeRule{"PRelu", same_as_input}, ShapeRule{"Reciprocal", same_as_input}, ShapeRule{"Relu", same_as_input},
    ShapeRule{"Round", same_as_input}, ShapeRule{"Selu", same_as_input}, ShapeRule{"Sigmoid", same_as_input},
    ShapeRule{"Sign", same_as_input}, ShapeRule{"Sin", same_as_input}, ShapeRule{"Softmax", same_as_input},
    ShapeRule{"Softplus", same_as_input}, ShapeRule{"Softsign", same_as_input}, ShapeRule{"Sqrt", same_as_input},
    ShapeRule{"Tan", same_as_input}, ShapeRule{"Tanh", same_as_input}, ShapeRule{"ThresholdedRelu", same_as_input},
    ShapeRule{"Not", same_as_input}, ShapeRule{"IsNaN", predicate_same_shape}, ShapeRule{"IsInf", predicate_same_shape},
    ShapeRule{"BatchNormalization", batch_norm},
    // Broadcasting arithmetic and comparisons.
    ShapeRule{"Add", arithmetic}, ShapeRule{"Sub", arithmetic}, ShapeRule{"Mul", arithmetic}, ShapeRule{"Div", arithmetic},
    ShapeRule{"Pow", arithmetic}, ShapeRule{"Mod", arithmetic}, ShapeRule{"Max", arithmetic}, ShapeRule{"Min", arithmetic},
    ShapeRule{"Mean", arithmetic}, ShapeRule{"Sum", arithmetic}, ShapeRule{"Equal", comparison},
    ShapeRule{"Less", comparison}, ShapeRule{"LessOrEqual", comparison}, ShapeRule{"Greater", comparison},
    ShapeRule{"GreaterOrEqual", comparison}, ShapeRule{"And", comparison}, ShapeRule{"Or", comparison},
    ShapeRule{"Xor", comparison}, ShapeRule{"Where", where}, ShapeRule{"Cast", cast},
    // Windows and products.
    ShapeRule{"Conv", conv}, ShapeRule{"MaxPool", pool}, ShapeRule{"AveragePool", pool}, ShapeRule{"LpPool", pool},
    ShapeRule{"GlobalAveragePool", global_pool}, ShapeRule{"GlobalMaxPool", global_pool},
    ShapeRule{"GlobalLpPool", global_pool}, ShapeRule{"Gemm", gemm}, ShapeRule{"MatMul", matmul},
    // Layout.
    ShapeRule{"Flatten", flatten}, ShapeRule{"Reshape", reshape}, ShapeRule{"Transpose", transpose},
    ShapeRule{"Concat", concat}, ShapeRule{"Squeeze", squeeze}, ShapeRule{"Unsqueeze", unsqueeze},
    ShapeRule{"Gather", gather}, ShapeRule{"Slice", slice}, ShapeRule{"Expand", expand},
    ShapeRule{"Shape", shape_op}, ShapeRule{"Size", size_op}, ShapeRule{"ConstantOfShape", constant_of_shape},
    // Reductions.
    ShapeRule{"ReduceMean", reduce}, ShapeRule{"ReduceSum", reduce}, ShapeRule{"ReduceMax", reduce},
    ShapeRule{"ReduceMin", reduce}, ShapeRule{"ReduceProd", reduce}, ShapeRule{"ReduceL1", reduce},
    ShapeRule{"ReduceL2", reduce}, ShapeRule{"ReduceLogSum", reduce}, ShapeRule{"ReduceLogSumExp", reduce},
    ShapeRule{"ReduceSumSquare", reduce}, ShapeRule{"ArgMax", arg_reduce}, ShapeRule{"ArgMin", arg_reduce},
};

}  // namespace

const ShapeRule* find_shape_rule(const Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return nullptr;
  for (const ShapeRule& rule : shape_rules) {
    if (rule.op_type == node.op_type) return &rule;
  }
  return nullptr;
}

Shape broadcast_shapes(const ShapeContext& context, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const Dim one = Dim::known(1);
    const Dim& x = i + a.size() >= rank ? a[i + a.size() - rank] : one;
    const Dim& y = i + b.size() >= rank ? b[i + b.size() - rank] : one;
    if (x.size == 1) out[i] = y;
    else if (y.size == 1) out[i] = x;
    else if (x.size && y.size && *x.size != *y.size) {
      context.fail("shapes " + describe_shape(a) + " and " + describe_shape(b) + " do not broadcast (dimension " + std::to_string(i) + ": " +
                   std::to_string(*x.size) + " vs " + std::to_string(*y.size) + ")");
    } else if (x.size) out[i] = x;
    else if (y.size) out[i] = y;
    else out[i] = x.symbol == y.symbol ? x : unknown_dim();
  }
  return out;
}

}  // namespace mlconv::converter
