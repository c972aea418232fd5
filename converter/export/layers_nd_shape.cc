// N-d (iOS 13) shape mappings: Reshape and Flatten (reshapeStatic), Squeeze/Unsqueeze,
// Transpose, Concat, Split, Expand, Tile, Cast, and the ops whose result is known at
// export from static shapes or constants (Shape, Size, ConstantOfShape, Range), which
// become constants the next nodes read.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <set>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

// Axes from the attribute (older opsets) or the constant input `index` (newer ones).
std::vector<std::int64_t> axes_argument(LayerBuilder& b, std::size_t index, std::string_view name = "axes") {
  if (b.has_input(index)) return b.constant_ints(index, name);
  return b.attr_ints(name, {});
}

}  // namespace

void build_nd_reshape_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_reshape(b);
  const auto x = b.shape(0);
  std::vector<std::int64_t> target = b.has_input(1) ? b.constant_ints(1, "shape") : b.attr_ints("shape", {});
  const bool allow_zero = b.attr_int("allowzero", 0) != 0;
  std::int64_t known = 1;
  std::size_t inferred = target.size();
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allow_zero) {
      if (i >= x.size()) b.fail("shape entry " + std::to_string(i) + " is 0 (copy), but the input has rank " + std::to_string(x.size()));
      target[i] = x[i];
    }
    if (target[i] == -1) {
      if (inferred != target.size()) b.fail("shape " + nd::dims_text(target) + " has more than one -1");
      inferred = i;
    } else if (target[i] < 1) {
      b.fail("shape " + nd::dims_text(target) + " has an entry below -1 or an empty axis");
    } else {
      known *= target[i];
    }
  }
  const std::int64_t count = nd::element_count(x);
  if (inferred != target.size()) target[inferred] = count / known;
  if (nd::element_count(target) != count) {
    b.fail("cannot reshape " + nd::dims_text(x) + " (" + std::to_string(count) + " elements) to " + nd::dims_text(target));
  }
  nd::reshape_static(b, "", b.operand(0), target, b.output_blob(0));
  b.set_output_shape(0, target);
}

void build_nd_flatten_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t rank = static_cast<std::int64_t>(x.size());
  std::int64_t axis = b.attr_int("axis", 1);
  if (axis < -rank || axis > rank) b.fail("axis " + std::to_string(axis) + " is outside [" + std::to_string(-rank) + ", " + std::to_string(rank) + "]");
  if (axis < 0) axis += rank;
  std::int64_t outer = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= x[static_cast<std::size_t>(i)];
  const std::vector<std::int64_t> target{outer, nd::element_count(x) / outer};
  nd::reshape_static(b, "", b.operand(0), target, b.output_blob(0));
  b.set_output_shape(0, target);
}

void build_nd_squeeze_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_reshape_to_declared(b);
  const auto x = b.shape(0);
  const auto axes = axes_argument(b, 1);
  std::set<std::int64_t> squeezed;
  for (const auto axis : axes) {
    const std::int64_t a = nd::positive_axis(b, axis, x.size());
    if (x[static_cast<std::size_t>(a)] != 1) b.fail("axis " + std::to_string(axis) + " of " + nd::dims_text(x) + " is not 1");
    squeezed.insert(a);
  }
  if (axes.empty()) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i] == 1) squeezed.insert(static_cast<std::int64_t>(i));
    }
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!squeezed.contains(static_cast<std::int64_t>(i))) out.push_back(x[i]);
  }
  // Squeezing every axis leaves a scalar, which Core ML keeps as [1]: a reshape says so.
  if (out.empty()) {
    nd::reshape_static(b, "", b.operand(0), {1}, b.output_blob(0));
  } else {
    auto& squeeze = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_squeeze();
    for (const auto a : squeezed) squeeze.add_axes(a);
  }
  b.set_output_shape(0, out);
}

void build_nd_unsqueeze_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_reshape_to_declared(b);
  const auto x = b.shape(0);
  const auto axes = axes_argument(b, 1);
  const std::size_t rank = x.size() + axes.size();
  std::set<std::int64_t> added;
  for (const auto axis : axes) {
    if (!added.insert(nd::positive_axis(b, axis, rank)).second) b.fail("axes repeat " + std::to_string(axis));
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0, from = 0; i < rank; ++i) out.push_back(added.contains(static_cast<std::int64_t>(i)) ? 1 : x[from++]);
  // A scalar input is [1] in Core ML: reshape to the exact result instead of adding axes.
  if (x.empty()) {
    nd::reshape_static(b, "", b.operand(0), out, b.output_blob(0));
  } else {
    auto& expand = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_expanddims();
    for (const auto a : added) expand.add_axes(a);
  }
  b.set_output_shape(0, out);
}

void build_nd_transpose_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  std::vector<std::int64_t> perm = b.attr_ints("perm", {});
  if (perm.empty()) {
    for (std::size_t i = x.size(); i-- > 0;) perm.push_back(static_cast<std::int64_t>(i));
  }
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(x.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) b.fail("perm " + nd::dims_text(perm) + " is not a permutation of the " + std::to_string(x.size()) + " axes");
  std::vector<std::int64_t> out;
  for (const auto p : perm) out.push_back(x[static_cast<std::size_t>(p)]);
  auto& transpose = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_transpose();
  for (const auto p : perm) transpose.add_axes(static_cast<std::uint64_t>(p));
  b.set_output_shape(0, out);
}

void build_nd_concat_layer(LayerBuilder& b) {
  if (b.input_count() == 0) b.fail("needs at least one input");
  auto out = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", 0), out.size());
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < b.input_count(); ++i) {
    const auto& s = b.shape(i);
    if (s.size() != out.size()) b.fail("inputs have different ranks");
    if (i > 0) out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
    inputs.push_back(b.operand(i));
  }
  b.add_layer("", inputs, {b.output_blob(0)}).mutable_concatnd()->set_axis(axis);
  b.set_output_shape(0, out);
}

void build_nd_split_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", 0), x.size());
  const std::int64_t length = x[static_cast<std::size_t>(axis)];
  const std::size_t parts = b.node().outputs.size();
  std::vector<std::int64_t> sizes = dynamic::computed(b, 1) ? dynamic::split_sizes_from_declared(b, axis)
                                    : b.has_input(1)      ? b.constant_ints(1, "split")
                                                          : b.attr_ints("split", {});
  if (sizes.empty()) {
    // Equal parts; the last one smaller when the axis does not divide (opset 18).
    const auto n = static_cast<std::int64_t>(parts);
    const std::int64_t each = (length + n - 1) / n;
    for (std::int64_t i = 0; i < n; ++i) sizes.push_back(std::min(each, length - each * i));
  }
  if (sizes.size() != parts || std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) != length ||
      std::any_of(sizes.begin(), sizes.end(), [](std::int64_t s) { return s < 1; })) {
    b.fail("split sizes " + nd::dims_text(sizes) + " do not divide axis " + std::to_string(axis) + " (" + std::to_string(length) + ") into " +
           std::to_string(parts) + " non-empty parts");
  }
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < parts; ++i) outputs.push_back(b.output_blob(i));
  auto& split = *b.add_layer("", {b.operand(0)}, outputs).mutable_splitnd();
  split.set_axis(axis);
  split.set_numsplits(parts);
  for (const auto s : sizes) split.add_splitsizes(static_cast<std::uint64_t>(s));
  for (std::size_t i = 0; i < parts; ++i) {
    auto shape = x;
    shape[static_cast<std::size_t>(axis)] = sizes[i];
    b.set_output_shape(i, shape);
  }
}

void build_nd_expand_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_expand(b);
  const auto out = nd::broadcast(b, b.shape(0), b.constant_ints(1, "shape"));
  auto& broadcast = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_broadcasttostatic();
  for (const auto d : out) broadcast.add_targetshape(static_cast<std::uint64_t>(d));
  b.set_output_shape(0, out);
}

void build_nd_tile_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_tile(b);
  const auto x = b.shape(0);
  const auto repeats = b.constant_ints(1, "repeats");
  if (repeats.size() != x.size()) b.fail("repeats has " + std::to_string(repeats.size()) + " values; the input has rank " + std::to_string(x.size()));
  auto out = x;
  auto& tile = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_tile();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (repeats[i] < 1) b.fail("repeats must be at least 1");
    tile.add_reps(static_cast<std::uint64_t>(repeats[i]));
    out[i] *= repeats[i];
  }
  b.set_output_shape(0, out);
}

void build_nd_shape_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto rank = static_cast<std::int64_t>(x.size());
  const auto clamp = [&](std::int64_t i) { return std::clamp(i < 0 ? i + rank : i, std::int64_t{0}, rank); };
  const std::int64_t start = clamp(b.attr_int("start", 0));
  const std::int64_t end = clamp(b.attr_int("end", rank));
  const std::vector<std::int64_t> dims(x.begin() + start, x.begin() + std::max(start, end));
  b.constant_output(0, TensorData::from_ints({static_cast<std::int64_t>(dims.size())}, dims));
}

void build_nd_size_layer(LayerBuilder& b) { b.constant_output(0, TensorData::from_ints({}, {nd::element_count(b.shape(0))})); }

void build_nd_constant_of_shape_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 0)) return dynamic::build_constant_of_shape(b);
  const auto dims = b.constant_ints(0, "shape");
  float value = 0.0F;
  if (b.has_attr("value")) {
    const auto* attribute = b.node().find_attribute("value");
    const auto values = attribute->as_tensor().to_floats();
    if (values.size() != 1) b.fail("value must hold one element");
    value = values[0];
  }
  const auto count = nd::element_count(dims);
  if (count < 1 || count > max_generated_elements) b.fail("shape " + nd::dims_text(dims) + " is empty or too large to write as a constant");
  b.constant_output(0, TensorData::from_floats(dims, std::vector<float>(static_cast<std::size_t>(count), value)));
}

void build_nd_range_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 0) || dynamic::computed(b, 1) || dynamic::computed(b, 2)) return dynamic::build_range(b);
  const auto start = b.constant_floats(0, "start");
  const auto limit = b.constant_floats(1, "limit");
  const auto delta = b.constant_floats(2, "delta");
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1 || delta[0] == 0.0F) b.fail("start, limit and delta must be scalars, delta not 0");
  const auto count = static_cast<std::int64_t>(std::max(0.0, std::ceil((static_cast<double>(limit[0]) - start[0]) / delta[0])));
  if (count < 1 || count > (std::int64_t{1} << 24)) b.fail("the range has " + std::to_string(count) + " elements; Core ML tensors are not empty");
  std::vector<float> values;
  for (std::int64_t i = 0; i < count; ++i) values.push_back(start[0] + static_cast<float>(i) * delta[0]);
  b.constant_output(0, TensorData::from_floats({count}, values));
}

namespace {

// Casting input 0 to `to`: float kinds keep the values; integer kinds from a float
// truncate toward zero; bool is "not zero".
void cast_to(LayerBuilder& b, ElementType to) {
  const ElementType from = b.node().input(0) != nullptr ? b.node().input(0)->type : ElementType::undefined;
  const bool from_float = from == ElementType::float32 || from == ElementType::float16 || from == ElementType::float64;
  const auto shape = b.shape(0);
  if (to == ElementType::string || to == ElementType::undefined) b.fail("casting to this element type has no Core ML form");
  if (to == ElementType::float16 && from != ElementType::float16) {
    b.fail("rounding to a 16-bit float has no Core ML layer (the network computes in float32)");
  }
  if (to == ElementType::boolean) {
    b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_notequal()->set_alpha(0.0F);
  } else if (to == ElementType::float32 || to == ElementType::float64 || to == ElementType::float16 || !from_float) {
    b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_activation()->mutable_linear()->set_alpha(1.0F);
  } else {
    nd::truncate(b, b.operand(0), b.output_blob(0));
  }
  b.set_output_shape(0, shape);
}

}  // namespace

void build_nd_cast_layer(LayerBuilder& b) {
  // ONNX TensorProto data types, in their enum order (index = value).
  static constexpr ElementType by_code[] = {ElementType::undefined, ElementType::float32, ElementType::uint8,   ElementType::int8,
                                            ElementType::undefined, ElementType::int16,   ElementType::int32,   ElementType::int64,
                                            ElementType::string,    ElementType::boolean, ElementType::float16, ElementType::float64};
  const std::int64_t to = b.attr_int("to", 1);
  if (to < 0 || to >= static_cast<std::int64_t>(std::size(by_code)) || by_code[to] == ElementType::undefined) {
    b.fail("'to' = " + std::to_string(to) + " is an element type Core ML arrays cannot hold");
  }
  cast_to(b, by_code[to]);
}

// CastLike: the target type is input 1's.
void build_nd_cast_like_layer(LayerBuilder& b) {
  const Value* like = b.node().input(1);
  if (like == nullptr) b.fail("input 1 (target_type) is required");
  cast_to(b, like->type);
}

void build_nd_eye_like_layer(LayerBuilder& b) {
  // Known at export from the input's static shape: ones on diagonal k.
  const auto x = b.shape(0);
  if (x.size() != 2) b.fail("expects a rank-2 input");
  const std::int64_t k = b.attr_int("k", 0);
  std::vector<float> values;
  for (std::int64_t i = 0; i < x[0]; ++i) {
    for (std::int64_t j = 0; j < x[1]; ++j) values.push_back(j - i == k ? 1.0F : 0.0F);
  }
  b.constant_output(0, TensorData::from_floats(x, values));
}

}  // namespace mlconv::converter
