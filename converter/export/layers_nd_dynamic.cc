// N-d mappings for operands computed at run time: Core ML's dynamic layers, with the
// ONNX conventions the Core ML layers lack (0 = copy in Reshape shapes, bidirectional
// Expand, per-axis Slice/Pad arguments, negative OneHot indices) computed by small
// layer chains on the run-time vectors. Shapes that depend on run-time values come
// from the graph's declared value shapes (see layers_nd_dynamic.h).
#include "converter/export/layers_nd_dynamic.h"

#include <algorithm>
#include <string>

#include "converter/export/layers_nd_support.h"

namespace mlconv::converter::dynamic {
namespace {

std::string input_name(const LayerBuilder& b, std::size_t index) {
  const Value* value = b.node().input(index);
  return "input " + std::to_string(index) + (value != nullptr ? " '" + value->name + "'" : "");
}

// The length of the rank-1 run-time vector at input `index` (its static shape [n]).
std::int64_t vector_length(const LayerBuilder& b, std::size_t index, std::string_view role) {
  const auto& s = b.shape(index);
  if (s.size() > 1) b.fail(std::string(role) + " (" + input_name(b, index) + ") must be a vector; it has shape " + nd::dims_text(s));
  return s.empty() ? 1 : s[0];
}

std::string float_constant(LayerBuilder& b, std::string_view suffix, const std::vector<std::int64_t>& values) {
  std::vector<float> floats(values.begin(), values.end());
  return b.constant_blob(suffix, TensorData::from_floats({static_cast<std::int64_t>(values.size())}, floats));
}

// Element i of the result is element map[i] of `vector` (length n), or `filler` where
// map[i] == n: a per-axis argument spread over every axis (gather on [vector, filler]).
std::string spread(LayerBuilder& b, std::string_view suffix, const std::string& vector, std::int64_t n, std::int64_t filler,
                   const std::vector<std::int64_t>& map) {
  std::string source = vector;
  if (std::any_of(map.begin(), map.end(), [n](std::int64_t m) { return m == n; })) {
    const std::string fill = float_constant(b, std::string(suffix) + "_filler", {filler});
    source = b.temp_blob(std::string(suffix) + "_extended");
    b.add_layer(std::string(suffix) + "_extended", {vector, fill}, {source}).mutable_concatnd()->set_axis(0);
  }
  const std::string indices = float_constant(b, std::string(suffix) + "_map", map);
  const std::string out = b.temp_blob(suffix);
  b.add_layer(suffix, {source, indices}, {out}).mutable_gather()->set_axis(0);
  return out;
}

// `axes` (run time, maybe negative) as non-negative axes of a rank-`rank` tensor:
// axes + (axes < 0) * rank, since the scatter layer's index range is not specified below 0.
std::string non_negative_axes(LayerBuilder& b, const std::string& axes, std::int64_t rank) {
  const std::string negative = b.temp_blob("axes_negative");
  b.add_layer("axes_negative", {axes}, {negative}).mutable_lessthan()->set_alpha(0.0F);
  const std::string shift = b.temp_blob("axes_shift");
  b.add_layer("axes_shift", {negative, float_constant(b, "rank", {rank})}, {shift}).mutable_multiplybroadcastable();
  const std::string out = b.temp_blob("axes_resolved");
  b.add_layer("axes_resolved", {axes, shift}, {out}).mutable_addbroadcastable();
  return out;
}

// A rank-long vector of `fill` with `updates` written at positions `axes`.
std::string scatter_per_axis(LayerBuilder& b, std::string_view suffix, std::int64_t rank, std::int64_t fill, const std::string& axes,
                             const std::string& updates) {
  const std::string base = float_constant(b, std::string(suffix) + "_base", std::vector<std::int64_t>(static_cast<std::size_t>(rank), fill));
  const std::string out = b.temp_blob(suffix);
  auto& scatter = *b.add_layer(suffix, {base, axes, updates}, {out}).mutable_scatter();
  scatter.set_axis(0);
  scatter.set_mode(cml::SCATTER_UPDATE);
  return out;
}

// Slice with axes computed at run time: begin, end, stride and the masks of the axes left
// out are scattered into full-rank vectors at run time.
void slice_with_runtime_axes(LayerBuilder& b, const std::vector<std::int64_t>& out, std::int64_t rank, std::int64_t n) {
  if (vector_length(b, 3, "axes") != n) b.fail("axes and starts have different lengths");
  const std::string axes = non_negative_axes(b, b.operand(3), rank);
  const std::string begin = scatter_per_axis(b, "starts", rank, 0, axes, b.operand(1));
  const std::string end = scatter_per_axis(b, "ends", rank, 0, axes, b.operand(2));
  const std::string strides = b.has_input(4) ? scatter_per_axis(b, "steps", rank, 1, axes, b.operand(4))
                                             : float_constant(b, "steps", std::vector<std::int64_t>(static_cast<std::size_t>(rank), 1));
  const std::string masks = scatter_per_axis(b, "masks", rank, 1, axes, float_constant(b, "unmasked", std::vector<std::int64_t>(static_cast<std::size_t>(n), 0)));
  auto& slice = *b.add_layer("", {b.operand(0), begin, end, strides, masks, masks}, {b.output_blob(0)}).mutable_slicedynamic();
  for (std::int64_t i = 0; i < rank; ++i) {
    slice.add_endids(0);
    slice.add_strides(1);
  }
  b.set_output_shape(0, out);
}

bool is_identity(const std::vector<std::int64_t>& map) {
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (map[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

}  // namespace

bool computed(const LayerBuilder& b, std::size_t index) { return b.has_input(index) && b.constant(index) == nullptr; }

std::vector<std::int64_t> declared_output_shape(const LayerBuilder& b, std::size_t index, std::size_t cause) {
  const Value* output = b.node().outputs.at(index);
  const auto sizes = output->shape ? known_sizes(*output->shape) : std::nullopt;
  if (!sizes) {
    b.fail("the shape of output '" + output->name + "' depends on the run-time values of " + input_name(b, cause) +
           ", and the graph does not declare it" + (output->shape ? " fully (" + describe_shape(*output->shape) + ")" : "") +
           "; declare the output's shape or make the input a constant");
  }
  return *sizes;
}

void build_reshape(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto out = declared_output_shape(b, 0, 1);
  if (nd::element_count(out) != nd::element_count(x)) {
    b.fail("the declared output shape " + nd::dims_text(out) + " does not hold the " + std::to_string(nd::element_count(x)) + " input elements");
  }
  const std::int64_t length = vector_length(b, 1, "shape");
  std::string shape = b.operand(1);
  if (b.attr_int("allowzero", 0) == 0) {
    // ONNX copies the input's size where the shape says 0; reshapeDynamic reads sizes only:
    // shape + (shape == 0) * input dims.
    std::vector<std::int64_t> dims;
    for (std::int64_t i = 0; i < length; ++i) dims.push_back(static_cast<std::size_t>(i) < x.size() ? x[static_cast<std::size_t>(i)] : 0);
    const std::string is_zero = b.temp_blob("is_zero");
    b.add_layer("is_zero", {shape}, {is_zero}).mutable_equal()->set_alpha(0.0F);
    const std::string copied = b.temp_blob("copied");
    b.add_layer("copied", {is_zero, float_constant(b, "input_dims", dims)}, {copied}).mutable_multiplybroadcastable();
    const std::string resolved = b.temp_blob("resolved_shape");
    b.add_layer("resolved_shape", {shape, copied}, {resolved}).mutable_addbroadcastable();
    shape = resolved;
  }
  b.add_layer("", {b.operand(0), shape}, {b.output_blob(0)}).mutable_reshapedynamic();
  b.set_output_shape(0, out);
}

void build_expand(LayerBuilder& b) {
  // ONNX broadcasts both ways (a 1 in the shape keeps the input's size), broadcastToDynamic
  // takes the target as is: target = max(shape left-padded with 1, input dims left-padded with 1).
  const auto x = b.shape(0);
  const auto out = declared_output_shape(b, 0, 1);
  const std::int64_t length = vector_length(b, 1, "shape");
  const auto rank = std::max<std::int64_t>(length, static_cast<std::int64_t>(x.size()));
  std::string shape = b.operand(1);
  if (length < rank) {
    const std::string ones = float_constant(b, "leading_ones", std::vector<std::int64_t>(static_cast<std::size_t>(rank - length), 1));
    const std::string padded = b.temp_blob("padded_shape");
    b.add_layer("padded_shape", {ones, shape}, {padded}).mutable_concatnd()->set_axis(0);
    shape = padded;
  }
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank) - x.size(), 1);
  dims.insert(dims.end(), x.begin(), x.end());
  const std::string target = b.temp_blob("target_shape");
  b.add_layer("target_shape", {shape, float_constant(b, "input_dims", dims)}, {target}).mutable_maxbroadcastable();
  b.add_layer("", {b.operand(0), target}, {b.output_blob(0)}).mutable_broadcasttodynamic();
  b.set_output_shape(0, out);
}

void build_tile(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto out = declared_output_shape(b, 0, 1);
  const std::int64_t length = vector_length(b, 1, "repeats");
  if (length != static_cast<std::int64_t>(x.size())) {
    b.fail("repeats has " + std::to_string(length) + " values; the input has rank " + std::to_string(x.size()));
  }
  b.add_layer("", {b.operand(0), b.operand(1)}, {b.output_blob(0)}).mutable_tile();
  b.set_output_shape(0, out);
}

void build_slice(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto out = declared_output_shape(b, 0, computed(b, 1) ? 1 : computed(b, 2) ? 2 : 4);
  const auto rank = static_cast<std::int64_t>(x.size());
  const std::int64_t n = vector_length(b, 1, "starts");
  if (vector_length(b, 2, "ends") != n || (b.has_input(4) && vector_length(b, 4, "steps") != n)) {
    b.fail("starts, ends and steps have different lengths");
  }
  if (computed(b, 3)) return slice_with_runtime_axes(b, out, rank, n);
  std::vector<std::int64_t> axes = b.has_input(3) ? b.constant_ints(3, "axes") : std::vector<std::int64_t>{};
  if (axes.empty()) {
    for (std::int64_t i = 0; i < n; ++i) axes.push_back(i);
  }
  if (static_cast<std::int64_t>(axes.size()) != n) b.fail("axes has " + std::to_string(axes.size()) + " values; starts has " + std::to_string(n));
  std::vector<std::int64_t> map(static_cast<std::size_t>(rank), n);
  for (std::int64_t j = 0; j < n; ++j) {
    const auto axis = static_cast<std::size_t>(nd::positive_axis(b, axes[static_cast<std::size_t>(j)], x.size()));
    if (map[axis] != n) b.fail("axes repeat axis " + std::to_string(axis));
    map[axis] = j;
  }
  // One value per axis; the axes ONNX leaves out are masked (begin and end) with stride 1.
  const auto per_axis = [&](std::size_t index, std::string_view role, std::int64_t filler) {
    if (!computed(b, index)) {
      const auto values = b.has_input(index) ? b.constant_ints(index, role) : std::vector<std::int64_t>(static_cast<std::size_t>(n), filler);
      std::vector<std::int64_t> full;
      for (const auto m : map) full.push_back(m == n ? filler : values[static_cast<std::size_t>(m)]);
      if (std::find(full.begin(), full.end(), 0) != full.end() && role == "steps") b.fail("a step is 0");
      return float_constant(b, role, full);
    }
    if (n == rank && is_identity(map)) return b.operand(index);
    return spread(b, role, b.operand(index), n, filler, map);
  };
  std::vector<std::string> inputs{b.operand(0), per_axis(1, "starts", 0), per_axis(2, "ends", 0)};
  if (b.has_input(4)) inputs.push_back(per_axis(4, "steps", 1));
  auto& slice = *b.add_layer("", inputs, {b.output_blob(0)}).mutable_slicedynamic();
  for (const auto m : map) {
    slice.add_beginmasks(m == n);
    slice.add_endmasks(m == n);
    slice.add_strides(1);
    slice.add_endids(0);
  }
  b.set_output_shape(0, out);
}

void build_constant_of_shape(LayerBuilder& b) {
  const auto out = declared_output_shape(b, 0, 0);
  float value = 0.0F;
  if (const Attribute* attribute = b.node().find_attribute("value")) {
    const auto values = attribute->as_tensor().to_floats();
    if (values.size() != 1) b.fail("value must hold one element");
    value = values[0];
  }
  vector_length(b, 0, "shape");
  b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_filldynamic()->set_value(value);
  b.set_output_shape(0, out);
}

void build_range(LayerBuilder& b) {
  const auto out = declared_output_shape(b, 0, computed(b, 0) ? 0 : computed(b, 1) ? 1 : 2);
  for (std::size_t i = 0; i < 3; ++i) {
    if (nd::element_count(b.shape(i)) != 1) b.fail(input_name(b, i) + " must be a scalar");
  }
  // rangeDynamic reads (end, start, step); ONNX gives (start, limit, delta).
  b.add_layer("", {b.operand(1), b.operand(0), b.operand(2)}, {b.output_blob(0)}).mutable_rangedynamic();
  b.set_output_shape(0, out);
}

void build_topk(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", -1), std::max<std::size_t>(x.size(), 1));
  if (nd::element_count(b.shape(1)) != 1) b.fail("K must hold one value");
  const auto out = declared_output_shape(b, 0, 1);
  const bool indices = b.node().outputs.size() > 1 && b.node().outputs[1] != nullptr;
  std::vector<std::string> outputs{b.output_blob(0), indices ? b.output_blob(1) : b.temp_blob("indices")};
  auto& topk = *b.add_layer("", {b.operand(0), b.operand(1)}, outputs).mutable_topk();
  topk.set_axis(axis);
  topk.set_usebottomk(b.attr_int("largest", 1) == 0);
  b.set_output_shape(0, out);
  if (indices) b.set_output_shape(1, out);
}

void build_one_hot(LayerBuilder& b) {
  const auto indices = b.shape(0);
  const bool runtime_values = computed(b, 2);
  const auto values = runtime_values ? std::vector<float>{0.0F, 1.0F} : b.constant_floats(2, "values");
  if (values.size() != 2 || nd::element_count(b.shape(2)) != 2) b.fail("values must be [off, on]");
  if (nd::element_count(b.shape(1)) != 1) b.fail("depth must hold one value");
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", -1), indices.size() + 1);
  auto out = indices;
  if (computed(b, 1)) {
    out = declared_output_shape(b, 0, 1);
  } else {
    out.insert(out.begin() + axis, static_cast<std::int64_t>(b.constant_floats(1, "depth")[0]));
  }
  // ONNX counts negative indices from the end (index + depth); oneHot writes all-off rows
  // for them: indices + (indices < 0) * depth.
  const std::string depth = b.operand(1);
  const std::string negative = b.temp_blob("negative");
  b.add_layer("negative", {b.operand(0)}, {negative}).mutable_lessthan()->set_alpha(0.0F);
  const std::string shift = b.temp_blob("shift");
  b.add_layer("shift", {negative, depth}, {shift}).mutable_multiplybroadcastable();
  const std::string wrapped = b.temp_blob("wrapped");
  b.add_layer("wrapped", {b.operand(0), shift}, {wrapped}).mutable_addbroadcastable();
  const std::string hot = runtime_values ? b.temp_blob("hot") : b.output_blob(0);
  auto& one_hot = *b.add_layer(runtime_values ? "hot" : "", {wrapped, depth}, {hot}).mutable_onehot();
  one_hot.set_axis(axis);
  one_hot.set_offvalue(values[0]);
  one_hot.set_onvalue(values[1]);
  if (runtime_values) {
    // oneHot takes on/off as parameters: off + hot * (on - off) with the run-time pair.
    const auto pick = [&](std::string_view suffix, std::int64_t index) {
      const std::string picked = b.temp_blob(suffix);
      b.add_layer(suffix, {b.operand(2), float_constant(b, std::string(suffix) + "_index", {index})}, {picked}).mutable_gather()->set_axis(0);
      return picked;
    };
    const std::string off = pick("off", 0);
    const std::string on = pick("on", 1);
    const std::string range = b.temp_blob("on_minus_off");
    b.add_layer("on_minus_off", {on, off}, {range}).mutable_subtractbroadcastable();
    const std::string scaled = b.temp_blob("scaled");
    b.add_layer("scaled", {hot, range}, {scaled}).mutable_multiplybroadcastable();
    b.add_layer("", {scaled, off}, {b.output_blob(0)}).mutable_addbroadcastable();
  }
  b.set_output_shape(0, out);
}

void build_cumsum(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (nd::element_count(b.shape(1)) != 1) b.fail("axis must hold one value");
  auto& cumsum = *b.add_layer("", {b.operand(0), b.operand(1)}, {b.output_blob(0)}).mutable_cumsum();
  cumsum.set_excludefinalsum(b.attr_int("exclusive", 0) != 0);
  cumsum.set_reverse(b.attr_int("reverse", 0) != 0);
  b.set_output_shape(0, x);
}

void build_pad(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::string mode = b.attr_string("mode", "constant");
  if (mode != "constant") {
    b.fail("mode '" + mode + "' with pads computed at run time: Core ML's reflection and replication padding take their amounts as parameters");
  }
  const bool runtime_value = computed(b, 2);
  float value = 0.0F;
  if (runtime_value) {
    if (nd::element_count(b.shape(2)) != 1) b.fail("constant_value must be a scalar");
  } else if (b.has_input(2)) {
    const auto v = b.constant_floats(2, "constant_value");
    if (v.size() != 1) b.fail("constant_value must be a scalar");
    value = v[0];
  }
  if (computed(b, 3)) b.fail("axes (" + input_name(b, 3) + ") are computed at run time; they must be constants");
  const auto rank = static_cast<std::int64_t>(x.size());
  std::vector<std::int64_t> axes;
  if (b.has_input(3)) {
    for (const auto a : b.constant_ints(3, "axes")) axes.push_back(nd::positive_axis(b, a, x.size()));
  } else {
    for (std::int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const auto n = static_cast<std::int64_t>(axes.size());
  if (vector_length(b, 1, "pads") != 2 * n) b.fail("pads must hold " + std::to_string(2 * n) + " values (begins, then ends)");
  // ONNX lists every axis' begin, then every end; constantPad pairs them per axis.
  std::vector<std::int64_t> map(static_cast<std::size_t>(2 * rank), 2 * n);
  for (std::int64_t j = 0; j < n; ++j) {
    const auto axis = static_cast<std::size_t>(axes[static_cast<std::size_t>(j)]);
    map[2 * axis] = j;
    map[2 * axis + 1] = j + n;
  }
  auto out = x;
  if (computed(b, 1)) {
    out = declared_output_shape(b, 0, 1);
  } else {
    const auto pads = b.constant_ints(1, "pads");
    for (std::int64_t j = 0; j < n; ++j) {
      out[static_cast<std::size_t>(axes[static_cast<std::size_t>(j)])] += pads[static_cast<std::size_t>(j)] + pads[static_cast<std::size_t>(j + n)];
    }
  }
  const std::string amounts = spread(b, "pad_amounts", b.operand(1), 2 * n, 0, map);
  if (!runtime_value) {
    b.add_layer("", {b.operand(0), amounts}, {b.output_blob(0)}).mutable_constantpad()->set_value(value);
    b.set_output_shape(0, out);
    return;
  }
  // constantPad takes the value as a parameter: pad with 0, then add value * (1 outside the input).
  const std::string padded = b.temp_blob("padded");
  b.add_layer("padded", {b.operand(0), amounts}, {padded}).mutable_constantpad()->set_value(0.0F);
  const std::string zeros = b.constant_blob("inside", nd::zeros(b, "padding with a run-time value", x));
  const std::string outside = b.temp_blob("outside");
  b.add_layer("outside", {zeros, amounts}, {outside}).mutable_constantpad()->set_value(1.0F);
  const std::string fill = b.temp_blob("fill");
  b.add_layer("fill", {outside, b.operand(2)}, {fill}).mutable_multiplybroadcastable();
  b.add_layer("", {padded, fill}, {b.output_blob(0)}).mutable_addbroadcastable();
  b.set_output_shape(0, out);
}

void build_trilu(LayerBuilder& b) {
  // Upper keeps column - row >= k, lower <= k: compare a constant (column - row) matrix with
  // the run-time k and multiply.
  const auto x = b.shape(0);
  if (x.size() < 2) b.fail("expects an input of rank 2 or more");
  if (nd::element_count(b.shape(1)) != 1) b.fail("k must hold one value");
  const std::int64_t rows = x[x.size() - 2];
  const std::int64_t columns = x.back();
  std::vector<float> offsets;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < columns; ++j) offsets.push_back(static_cast<float>(j - i));
  }
  const std::string diagonal = b.constant_blob("diagonal_offset", TensorData::from_floats({rows, columns}, offsets));
  const std::string mask = b.temp_blob("mask");
  auto& compare = b.add_layer("mask", {diagonal, b.operand(1)}, {mask});
  if (b.attr_int("upper", 1) != 0) {
    compare.mutable_greaterequal();
  } else {
    compare.mutable_lessequal();
  }
  b.add_layer("", {b.operand(0), mask}, {b.output_blob(0)}).mutable_multiplybroadcastable();
  b.set_output_shape(0, x);
}

void build_reshape_to_declared(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto out = declared_output_shape(b, 0, 1);
  if (nd::element_count(out) != nd::element_count(x)) {
    b.fail("the declared output shape " + nd::dims_text(out) + " does not hold the " + std::to_string(nd::element_count(x)) + " input elements");
  }
  nd::reshape_static(b, "", b.operand(0), out, b.output_blob(0));
  b.set_output_shape(0, out);
}

std::vector<std::int64_t> reduced_axes_from_declared(const LayerBuilder& b, const std::vector<std::int64_t>& x, bool keep_dims) {
  const auto out = declared_output_shape(b, 0, 1);
  const auto unclear = [&] {
    b.fail("axes (" + input_name(b, 1) + ") are computed at run time, and the declared output shape " + nd::dims_text(out) +
           " does not tell which axes of " + nd::dims_text(x) + " are reduced; Core ML reductions take their axes as parameters");
  };
  std::vector<std::int64_t> axes;
  if (keep_dims) {
    if (out.size() != x.size()) unclear();
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (out[i] == x[i]) continue;
      if (out[i] != 1) unclear();
      axes.push_back(static_cast<std::int64_t>(i));
    }
    return axes;
  }
  // Without keepdims: the one set of removed axes that leaves the declared shape.
  if (out.size() > x.size()) unclear();
  int matches = 0;
  for (std::uint32_t mask = 0; mask < (1U << x.size()); ++mask) {
    std::vector<std::int64_t> kept;
    std::vector<std::int64_t> removed;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if ((mask >> i) & 1U) {
        removed.push_back(static_cast<std::int64_t>(i));
      } else {
        kept.push_back(x[i]);
      }
    }
    if (kept != out) continue;
    ++matches;
    axes = removed;
  }
  if (matches != 1) unclear();
  return axes;
}

std::vector<std::int64_t> split_sizes_from_declared(const LayerBuilder& b, std::int64_t axis) {
  std::vector<std::int64_t> sizes;
  for (std::size_t i = 0; i < b.node().outputs.size(); ++i) {
    const auto shape = declared_output_shape(b, i, 1);
    if (static_cast<std::size_t>(axis) >= shape.size()) b.fail("output " + std::to_string(i) + " is declared with rank " + std::to_string(shape.size()));
    sizes.push_back(shape[static_cast<std::size_t>(axis)]);
  }
  return sizes;
}

}  // namespace mlconv::converter::dynamic
