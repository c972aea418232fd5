// N-d (iOS 13) indexing mappings: Slice (sliceStatic), Gather/GatherElements/GatherND,
// Scatter/ScatterElements/ScatterND, NonZero and Compress (whereNonZero, or indices
// computed at export from a constant), OneHot, Pad (constantPad; reflect and edge on the
// last two axes through the padding layer) and DepthToSpace/SpaceToDepth.
#include <algorithm>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

cml::ScatterMode scatter_mode(LayerBuilder& b) {
  const std::string reduction = b.attr_string("reduction", "none");
  if (reduction == "none") return cml::SCATTER_UPDATE;
  if (reduction == "add") return cml::SCATTER_ADD;
  if (reduction == "mul") return cml::SCATTER_MUL;
  if (reduction == "max") return cml::SCATTER_MAX;
  if (reduction == "min") return cml::SCATTER_MIN;
  b.fail("reduction '" + reduction + "'; expected none, add, mul, max or min");
}

}  // namespace

void build_nd_slice_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  const bool attributes = opset > 0 && opset < 10;
  if (!attributes && (dynamic::computed(b, 1) || dynamic::computed(b, 2) || dynamic::computed(b, 3) || dynamic::computed(b, 4))) {
    return dynamic::build_slice(b);
  }
  const auto starts = attributes ? b.attr_ints("starts", {}) : b.constant_ints(1, "starts");
  const auto ends = attributes ? b.attr_ints("ends", {}) : b.constant_ints(2, "ends");
  std::vector<std::int64_t> axes = attributes ? b.attr_ints("axes", {}) : (b.has_input(3) ? b.constant_ints(3, "axes") : std::vector<std::int64_t>{});
  std::vector<std::int64_t> steps = !attributes && b.has_input(4) ? b.constant_ints(4, "steps") : std::vector<std::int64_t>{};
  if (axes.empty()) for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    b.fail("starts, ends, axes and steps have different lengths");
  }
  const std::size_t rank = x.size();
  std::vector<std::int64_t> begin(rank, 0), end(x), stride(rank, 1);
  std::vector<bool> begin_mask(rank, true), end_mask(rank, true);
  auto out = x;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto axis = static_cast<std::size_t>(nd::positive_axis(b, axes[i], rank));
    const std::int64_t dim = x[axis];
    const std::int64_t step = steps[i];
    if (step == 0) b.fail("a step is 0");
    std::int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    std::int64_t e = ends[i] < 0 ? std::max<std::int64_t>(ends[i], -dim - 1) + dim : ends[i];  // clamp huge negatives first
    if (step > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      out[axis] = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<std::int64_t>(s, -1, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      out[axis] = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    if (out[axis] < 1) b.fail("the slice of axis " + std::to_string(axis) + " is empty; Core ML tensors are not");
    begin[axis] = s;
    begin_mask[axis] = false;
    stride[axis] = step;
    // Going backwards to before index 0 cannot be written as an end index: mask it.
    end[axis] = e;
    end_mask[axis] = step < 0 && e < 0;
  }
  auto& slice = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_slicestatic();
  for (std::size_t i = 0; i < rank; ++i) {
    slice.add_beginids(begin[i]);
    slice.add_beginmasks(begin_mask[i]);
    slice.add_endids(end[i]);
    slice.add_endmasks(end_mask[i]);
    slice.add_strides(stride[i]);
  }
  b.set_output_shape(0, out);
}

void build_nd_gather_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto indices = b.shape(1);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", 0), x.size());
  std::vector<std::int64_t> out(x.begin(), x.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), x.begin() + axis + 1, x.end());
  const std::string data = b.operand(0);
  const std::string index = b.operand(1);
  // A scalar index is [1] in Core ML: the gathered axis stays and a squeeze removes it.
  const bool squeeze = indices.empty() && x.size() > 1;
  const std::string gathered = squeeze ? b.temp_blob("gather") : b.output_blob(0);
  b.add_layer(squeeze ? "gather" : "", {data, index}, {gathered}).mutable_gather()->set_axis(axis);
  if (squeeze) b.add_layer("", {gathered}, {b.output_blob(0)}).mutable_squeeze()->add_axes(axis);
  b.set_output_shape(0, out);
}

void build_nd_gather_elements_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const auto indices = b.shape(1);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", 0), x.size());
  if (indices.size() != x.size()) b.fail("indices and data have different ranks");
  b.add_layer("", {b.operand(0), b.operand(1)}, {b.output_blob(0)}).mutable_gatheralongaxis()->set_axis(axis);
  b.set_output_shape(0, indices);
}

void build_nd_gather_nd_layer(LayerBuilder& b) {
  if (b.attr_int("batch_dims", 0) != 0) b.fail("batch_dims other than 0 has no Core ML form");
  const auto x = b.shape(0);
  const auto indices = b.shape(1);
  if (indices.empty() || indices.back() > static_cast<std::int64_t>(x.size())) b.fail("the last axis of indices is longer than the data's rank");
  std::vector<std::int64_t> out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), x.begin() + indices.back(), x.end());
  b.add_layer("", {b.operand(0), b.operand(1)}, {b.output_blob(0)}).mutable_gathernd();
  b.set_output_shape(0, out);
}

void build_nd_scatter_elements_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  auto& scatter = *b.add_layer("", {b.operand(0), b.operand(1), b.operand(2)}, {b.output_blob(0)}).mutable_scatteralongaxis();
  scatter.set_axis(nd::positive_axis(b, b.attr_int("axis", 0), x.size()));
  scatter.set_mode(scatter_mode(b));
  b.set_output_shape(0, x);
}

void build_nd_scatter_nd_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  b.add_layer("", {b.operand(0), b.operand(1), b.operand(2)}, {b.output_blob(0)}).mutable_scatternd()->set_mode(scatter_mode(b));
  b.set_output_shape(0, x);
}

void build_nd_one_hot_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1) || dynamic::computed(b, 2)) return dynamic::build_one_hot(b);
  const auto indices = b.shape(0);
  const auto depth = b.constant_floats(1, "depth");
  const auto values = b.constant_floats(2, "values");
  if (depth.size() != 1 || depth[0] < 1) b.fail("depth must be one positive value");
  if (values.size() != 2) b.fail("values must be [off, on]");
  const auto size = static_cast<std::int64_t>(depth[0]);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", -1), indices.size() + 1);
  auto out = indices;
  out.insert(out.begin() + axis, size);
  auto& one_hot = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_onehot();
  one_hot.set_onehotvectorsize(static_cast<std::uint64_t>(size));
  one_hot.set_axis(axis);
  one_hot.set_offvalue(values[0]);
  one_hot.set_onvalue(values[1]);
  b.set_output_shape(0, out);
}

void build_nd_pad_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  const std::size_t rank = x.size();
  const std::int64_t opset = b.graph().opset_version(b.node().domain);
  const bool attributes = opset > 0 && opset < 11;
  if (!attributes && (dynamic::computed(b, 1) || (dynamic::computed(b, 2) && b.attr_string("mode", "constant") == "constant"))) {
    return dynamic::build_pad(b);
  }
  std::vector<std::int64_t> pads = attributes ? b.attr_ints("pads", b.attr_ints("paddings", {})) : b.constant_ints(1, "pads");
  float value = static_cast<float>(b.attr_float("value", 0.0));
  if (!attributes && b.has_input(2)) {
    const auto v = b.constant_floats(2, "constant_value");
    if (v.size() != 1) b.fail("constant_value must be a scalar");
    value = v[0];
  }
  std::vector<std::int64_t> axes;
  if (!attributes && b.has_input(3)) {
    for (const auto a : b.constant_ints(3, "axes")) axes.push_back(nd::positive_axis(b, a, rank));
  } else {
    for (std::size_t i = 0; i < rank; ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (pads.size() != 2 * axes.size()) b.fail("pads has " + std::to_string(pads.size()) + " values; expected " + std::to_string(2 * axes.size()));
  std::vector<std::int64_t> before(rank, 0), after(rank, 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    before[static_cast<std::size_t>(axes[i])] = pads[i];
    after[static_cast<std::size_t>(axes[i])] = pads[i + axes.size()];
  }
  if (std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p < 0; })) b.fail("negative pads (cropping) are not supported");
  auto out = x;
  for (std::size_t i = 0; i < rank; ++i) out[i] += before[i] + after[i];
  const std::string mode = b.attr_string("mode", "constant");
  if (mode == "constant") {
    auto& pad = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_constantpad();
    pad.set_value(value);
    for (std::size_t i = 0; i < rank; ++i) {
      pad.add_padamounts(static_cast<std::uint64_t>(before[i]));
      pad.add_padamounts(static_cast<std::uint64_t>(after[i]));
    }
  } else if (mode == "reflect" || mode == "edge") {
    for (std::size_t i = 0; i + 2 < rank; ++i) {
      if (before[i] != 0 || after[i] != 0) b.fail("mode '" + mode + "' pads only the last two axes in Core ML");
    }
    if (rank < 3) b.fail("mode '" + mode + "' needs an input of rank 3 or more in Core ML");
    auto& padding = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_padding();
    if (mode == "reflect") padding.mutable_reflection();
    else padding.mutable_replication();
    auto* borders = padding.mutable_paddingamounts();
    for (std::size_t i = rank - 2; i < rank; ++i) {
      auto& border = *borders->add_borderamounts();
      border.set_startedgesize(static_cast<std::uint64_t>(before[i]));
      border.set_endedgesize(static_cast<std::uint64_t>(after[i]));
    }
  } else {
    b.fail("mode '" + mode + "'; expected constant, reflect or edge");
  }
  b.set_output_shape(0, out);
}

namespace {

void reorganize(LayerBuilder& b, bool to_space) {
  const auto x = b.shape(0);
  if (x.size() != 4) b.fail("expects an [N, C, H, W] input");
  const std::int64_t block = b.attr_int("blocksize", 0);
  if (block < 2) b.fail("blocksize must be at least 2");
  auto out = x;
  auto& params = *b.add_layer("", {b.operand(0)}, {b.output_blob(0)}).mutable_reorganizedata();
  params.set_blocksize(static_cast<std::uint64_t>(block));
  if (to_space) {
    if (x[1] % (block * block) != 0) b.fail("channels are not a multiple of blocksize^2");
    const std::string mode = b.attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") b.fail("mode '" + mode + "'; expected DCR or CRD");
    params.set_mode(mode == "DCR" ? cml::ReorganizeDataLayerParams::DEPTH_TO_SPACE : cml::ReorganizeDataLayerParams::PIXEL_SHUFFLE);
    out[1] /= block * block;
    out[2] *= block;
    out[3] *= block;
  } else {
    if (x[2] % block != 0 || x[3] % block != 0) b.fail("height and width are not multiples of blocksize");
    params.set_mode(cml::ReorganizeDataLayerParams::SPACE_TO_DEPTH);
    out[1] *= block * block;
    out[2] /= block;
    out[3] /= block;
  }
  b.set_output_shape(0, out);
}

}  // namespace

void build_nd_depth_to_space_layer(LayerBuilder& b) { reorganize(b, true); }
void build_nd_space_to_depth_layer(LayerBuilder& b) { reorganize(b, false); }

namespace {

// The row-major multi-indices of the non-zero elements of a constant (numpy.argwhere),
// one row per element.
std::vector<std::vector<std::int64_t>> nonzero_positions(const LayerBuilder& b, const TensorData& data) {
  std::vector<float> values;
  try {
    values = data.to_floats();
  } catch (const Error& e) {
    b.fail("constant input: " + e.message());
  }
  std::vector<std::vector<std::int64_t>> rows;
  std::vector<std::int64_t> index(data.dims.size(), 0);
  for (const float v : values) {
    if (v != 0.0F) rows.push_back(index);
    for (std::size_t axis = index.size(); axis-- > 0;) {
      if (++index[axis] < data.dims[axis]) break;
      index[axis] = 0;
    }
  }
  return rows;
}

}  // namespace

void build_nd_nonzero_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  if (x.empty()) b.fail("expects an input of rank 1 or more");
  if (const TensorData* data = b.constant(0)) {
    const auto rows = nonzero_positions(b, *data);
    if (rows.empty()) b.fail("the constant input has no non-zero element, and Core ML tensors cannot be empty");
    // ONNX lays the indices out as [rank, count]: one row per axis.
    std::vector<std::int64_t> by_axis;
    for (std::size_t axis = 0; axis < x.size(); ++axis) {
      for (const auto& row : rows) by_axis.push_back(row[axis]);
    }
    b.constant_output(0, TensorData::from_ints({static_cast<std::int64_t>(x.size()), static_cast<std::int64_t>(rows.size())}, by_axis));
    return;
  }
  const auto out = dynamic::declared_output_shape(b, 0, 0);
  const std::string found = b.temp_blob("found");
  b.add_layer("found", {b.operand(0)}, {found}).mutable_wherenonzero();
  auto& transpose = *b.add_layer("", {found}, {b.output_blob(0)}).mutable_transpose();
  transpose.add_axes(1);
  transpose.add_axes(0);
  b.set_output_shape(0, out);
}

void build_nd_compress_layer(LayerBuilder& b) {
  if (b.input_count() != 2) b.fail("expects two inputs (input, condition)");
  const auto x = b.shape(0);
  const auto condition = b.shape(1);
  if (condition.size() != 1) b.fail("condition must be 1-D; it is " + nd::dims_text(condition));
  // Without an axis the input is flattened first.
  const bool flatten = !b.has_attr("axis");
  const std::int64_t axis = flatten ? 0 : nd::positive_axis(b, b.attr_int("axis", 0), x.size());
  const std::int64_t extent = flatten ? nd::element_count(x) : x[static_cast<std::size_t>(axis)];
  if (condition[0] > extent) {
    b.fail("condition has " + std::to_string(condition[0]) + " entries; the compressed axis has " + std::to_string(extent));
  }
  std::string data = b.operand(0);
  if (flatten && x.size() != 1) data = nd::reshape_static(b, "flat", data, {extent});
  std::vector<std::int64_t> out = flatten ? std::vector<std::int64_t>{extent} : x;
  std::string indices;
  if (const TensorData* constant = b.constant(1)) {
    std::vector<std::int64_t> kept;
    for (const auto& row : nonzero_positions(b, *constant)) kept.push_back(row[0]);
    if (kept.empty()) b.fail("the constant condition selects nothing, and Core ML tensors cannot be empty");
    indices = b.constant_blob("indices", TensorData::from_ints({static_cast<std::int64_t>(kept.size())}, kept));
    out[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(kept.size());
  } else {
    out = dynamic::declared_output_shape(b, 0, 1);
    const std::string found = b.temp_blob("found");
    b.add_layer("found", {b.operand(1)}, {found}).mutable_wherenonzero();
    indices = b.temp_blob("indices");
    b.add_layer("indices", {found}, {indices}).mutable_squeeze()->add_axes(1);
  }
  b.add_layer("", {data, indices}, {b.output_blob(0)}).mutable_gather()->set_axis(axis);
  b.set_output_shape(0, out);
}

}  // namespace mlconv::converter
