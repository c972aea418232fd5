// N-d (iOS 13) reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare
// (axes from the attribute, or from the constant second input in newer opsets),
// ArgMax/ArgMin, TopK and CumSum.
#include <algorithm>
#include <set>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_dynamic.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

struct Reduction {
  std::vector<std::int64_t> axes;  // non-negative, sorted; empty = every axis
  bool keep_dims = true;
  bool all = false;
};

template <typename Params>
void fill(Params& params, const Reduction& r) {
  for (const auto axis : r.axes) params.add_axes(axis);
  params.set_keepdims(r.keep_dims);
  params.set_reduceall(r.all);
}

using SetReduction = void (*)(cml::NeuralNetworkLayer&, const Reduction&);

void reduce(LayerBuilder& b, SetReduction set) {
  const auto x = b.shape(0);
  Reduction r;
  r.keep_dims = b.attr_int("keepdims", 1) != 0;
  const bool runtime_axes = dynamic::computed(b, 1);
  std::vector<std::int64_t> axes = runtime_axes ? dynamic::reduced_axes_from_declared(b, x, r.keep_dims)
                                   : b.has_input(1) ? b.constant_ints(1, "axes")
                                                    : b.attr_ints("axes", {});
  if (axes.empty() && (runtime_axes || b.attr_int("noop_with_empty_axes", 0) != 0)) {
    nd::same_shape_layer(b).mutable_activation()->mutable_linear()->set_alpha(1.0F);
    return;
  }
  std::set<std::int64_t> unique;
  for (const auto axis : axes) unique.insert(nd::positive_axis(b, axis, std::max<std::size_t>(x.size(), 1)));
  r.axes.assign(unique.begin(), unique.end());
  r.all = r.axes.empty() || r.axes.size() == x.size();
  if (r.all) r.axes.clear();
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool reduced = r.all || unique.contains(static_cast<std::int64_t>(i));
    if (!reduced) out.push_back(x[i]);
    else if (r.keep_dims) out.push_back(1);
  }
  auto& layer = b.add_layer("", {b.operand(0)}, {b.output_blob(0)});
  set(layer, r);
  b.set_output_shape(0, out);
}

void arg_reduce(LayerBuilder& b, bool max) {
  const auto x = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", 0), std::max<std::size_t>(x.size(), 1));
  const bool keep = b.attr_int("keepdims", 1) != 0;
  // Core ML takes the first extreme; the last one is the first of the reversed axis,
  // at index (size - 1) - i.
  const bool last = b.attr_int("select_last_index", 0) != 0;
  std::string input = b.operand(0);
  if (last) {
    const std::string reversed = b.temp_blob("reversed");
    auto& slice = *b.add_layer("reversed", {input}, {reversed}).mutable_slicestatic();
    for (std::size_t i = 0; i < x.size(); ++i) {
      const bool here = static_cast<std::int64_t>(i) == axis;
      slice.add_beginids(here ? x[i] - 1 : 0);
      slice.add_beginmasks(!here);
      slice.add_endids(0);
      slice.add_endmasks(true);
      slice.add_strides(here ? -1 : 1);
    }
    input = reversed;
  }
  const std::string index = last ? b.temp_blob("index") : b.output_blob(0);
  auto& layer = b.add_layer(last ? "index" : "", {input}, {index});
  if (last) {
    auto& linear = *b.add_layer("", {index}, {b.output_blob(0)}).mutable_activation()->mutable_linear();
    linear.set_alpha(-1.0F);
    linear.set_beta(static_cast<float>(x[static_cast<std::size_t>(axis)] - 1));
  }
  if (max) {
    layer.mutable_argmax()->set_axis(axis);
    layer.mutable_argmax()->set_removedim(!keep);
  } else {
    layer.mutable_argmin()->set_axis(axis);
    layer.mutable_argmin()->set_removedim(!keep);
  }
  std::vector<std::int64_t> out = x;
  if (keep) out[static_cast<std::size_t>(axis)] = 1;
  else out.erase(out.begin() + axis);
  // Core ML keeps one axis when the result would be a scalar.
  b.set_output_shape(0, out);
}

}  // namespace

void build_nd_reduce_sum_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducesum(), r); }); }
void build_nd_reduce_mean_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducemean(), r); }); }
void build_nd_reduce_max_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducemax(), r); }); }
void build_nd_reduce_min_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducemin(), r); }); }
void build_nd_reduce_prod_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reduceprod(), r); }); }
void build_nd_reduce_l1_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducel1(), r); }); }
void build_nd_reduce_l2_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducel2(), r); }); }
void build_nd_reduce_log_sum_layer(LayerBuilder& b) { reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducelogsum(), r); }); }
void build_nd_reduce_log_sum_exp_layer(LayerBuilder& b) {
  reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducelogsumexp(), r); });
}
void build_nd_reduce_sum_square_layer(LayerBuilder& b) {
  reduce(b, [](cml::NeuralNetworkLayer& l, const Reduction& r) { fill(*l.mutable_reducesumsquare(), r); });
}

void build_nd_argmax_layer(LayerBuilder& b) { arg_reduce(b, true); }
void build_nd_argmin_layer(LayerBuilder& b) { arg_reduce(b, false); }

void build_nd_topk_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_topk(b);
  const auto x = b.shape(0);
  const std::int64_t axis = nd::positive_axis(b, b.attr_int("axis", -1), std::max<std::size_t>(x.size(), 1));
  std::int64_t k = 0;
  if (b.has_input(1)) {
    const auto values = b.constant_ints(1, "K");
    if (values.size() != 1) b.fail("K must hold one value");
    k = values[0];
  } else {
    k = b.attr_int("k", 0);
  }
  if (k < 1 || k > x[static_cast<std::size_t>(axis)]) b.fail("K = " + std::to_string(k) + " is outside [1, " + std::to_string(x[static_cast<std::size_t>(axis)]) + "]");
  std::vector<std::string> outputs{b.output_blob(0)};
  if (b.node().outputs.size() > 1 && b.node().outputs[1] != nullptr) outputs.push_back(b.output_blob(1));
  else outputs.push_back(b.temp_blob("indices"));
  auto& topk = *b.add_layer("", {b.operand(0)}, outputs).mutable_topk();
  topk.set_axis(axis);
  topk.set_k(static_cast<std::uint64_t>(k));
  topk.set_usebottomk(b.attr_int("largest", 1) == 0);
  auto out = x;
  out[static_cast<std::size_t>(axis)] = k;
  b.set_output_shape(0, out);
  if (b.node().outputs.size() > 1 && b.node().outputs[1] != nullptr) b.set_output_shape(1, out);
}

void build_nd_cumsum_layer(LayerBuilder& b) {
  if (dynamic::computed(b, 1)) return dynamic::build_cumsum(b);
  const auto x = b.shape(0);
  const auto axis_values = b.constant_ints(1, "axis");
  if (axis_values.size() != 1) b.fail("axis must hold one value");
  auto& cumsum = *nd::same_shape_layer(b).mutable_cumsum();
  cumsum.set_axis(nd::positive_axis(b, axis_values[0], std::max<std::size_t>(x.size(), 1)));
  cumsum.set_excludefinalsum(b.attr_int("exclusive", 0) != 0);
  cumsum.set_reverse(b.attr_int("reverse", 0) != 0);
}

}  // namespace mlconv::converter
