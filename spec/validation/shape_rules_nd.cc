// Shape rules of the N-d layers (iOS 13 and later): elementwise and
// broadcasting layers, axis manipulation, static slices and reshapes,
// reductions and matrix products. Layers whose output depends on tensor
// values (dynamic shapes, gather, nonzero, ...) stay unknown.
#include <algorithm>
#include <set>

#include "spec/validation/shape_rules.h"

namespace mlconv::spec::shape_rules {

namespace {

namespace cml = CoreML::Specification;
using Kind = ShapeIssue::Kind;
using Case = cml::NeuralNetworkLayer::LayerCase;

bool known(std::int64_t d) { return d >= 0; }

std::vector<MaybeShape> one(MaybeShape s) { return {std::move(s)}; }

// An axis given as a field (negative counts from the end) in [0, rank), or -1 and an issue.
int axis_index(const LayerShapes& l, std::int64_t a, std::size_t rank, const std::string& field) {
  const auto r = static_cast<std::int64_t>(rank);
  if (a >= -r && a < r) return static_cast<int>(a < 0 ? a + r : a);
  l.issue(Kind::parameters,
          field + " " + std::to_string(a) + " is outside the axes of a rank-" + std::to_string(rank) + " tensor (" +
              std::to_string(-r) + " to " + std::to_string(r - 1) + ")",
          "choose an axis from " + std::to_string(-r) + " to " + std::to_string(r - 1));
  return -1;
}

// Numpy broadcasting of all inputs, aligned at their last axis.
std::vector<MaybeShape> broadcast_nd(const LayerShapes& l) {
  std::size_t rank = 0;
  for (const MaybeShape& s : l.inputs) {
    if (!s) return one(std::nullopt);
    rank = std::max(rank, s->size());
  }
  Shape out(rank, 1);
  for (const MaybeShape& s : l.inputs) {
    for (std::size_t i = 0; i < s->size(); ++i) {
      std::int64_t& o = out[rank - s->size() + i];
      const std::int64_t d = (*s)[i];
      if (d == 1) continue;
      if (o == 1 || (!known(o) && known(d))) {
        o = d;
      } else if (known(o) && known(d) && o != d) {
        std::string shapes;
        for (const MaybeShape& each : l.inputs) shapes += (shapes.empty() ? "" : " and ") + shape_text(*each);
        l.issue(Kind::inputs,
                "the inputs " + shapes + " do not broadcast: sizes " + std::to_string(o) + " and " + std::to_string(d) +
                    " differ and neither is 1",
                "make the shapes equal, or 1 on the axes to broadcast (aligned at the last axis)");
        return one(std::nullopt);
      }
    }
  }
  return one(out);
}

std::vector<MaybeShape> slice_static(const LayerShapes& l) {
  const auto& p = l.layer.slicestatic();
  if (l.inputs.empty() || !l.inputs[0]) return one(std::nullopt);
  const Shape& s = *l.inputs[0];
  const auto n = static_cast<int>(s.size());
  if (p.beginids_size() != n || p.endids_size() != n || p.strides_size() != n) return one(std::nullopt);
  Shape out;
  for (int i = 0; i < n; ++i) {
    const bool squeeze = p.squeezemasks_size() > i && p.squeezemasks(i);
    const std::int64_t d = slice_length(s[static_cast<std::size_t>(i)], p.beginids(i), p.endids(i), p.strides(i),
                                        p.beginmasks_size() > i && p.beginmasks(i), p.endmasks_size() > i && p.endmasks(i));
    if (!squeeze) out.push_back(d);
  }
  if (out.empty()) return one(std::nullopt);  // rank 0 or [1]: not stated by the spec
  return one(out);
}

std::vector<MaybeShape> expand_dims(const LayerShapes& l) {
  if (l.inputs.empty() || !l.inputs[0]) return one(std::nullopt);
  const Shape& s = *l.inputs[0];
  const std::size_t rank = s.size() + static_cast<std::size_t>(l.layer.expanddims().axes_size());
  std::set<int> new_axes;
  for (const auto a : l.layer.expanddims().axes()) {
    const int at = axis_index(l, a, rank, "axes entry");
    if (at < 0 || !new_axes.insert(at).second) return one(std::nullopt);
  }
  Shape out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < rank; ++i) out.push_back(new_axes.contains(static_cast<int>(i)) ? 1 : s[next++]);
  return one(out);
}

std::vector<MaybeShape> squeeze(const LayerShapes& l) {
  if (l.inputs.empty() || !l.inputs[0]) return one(std::nullopt);
  const Shape& s = *l.inputs[0];
  const auto& p = l.layer.squeeze();
  std::set<int> drop;
  if (p.squeezeall()) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (!known(s[i])) return one(std::nullopt);  // might or might not be 1
      if (s[i] == 1) drop.insert(static_cast<int>(i));
    }
  } else {
    for (const auto a : p.axes()) {
      const int at = axis_index(l, a, s.size(), "axes entry");
      if (at < 0) return one(std::nullopt);
      if (known(s[static_cast<std::size_t>(at)]) && s[static_cast<std::size_t>(at)] != 1) {
        l.issue(Kind::parameters,
                "axis " + std::to_string(a) + " of the input " + shape_text(s) + " has size " +
                    std::to_string(s[static_cast<std::size_t>(at)]) + "; only axes of size 1 can be squeezed",
                "squeeze only axes of size 1");
        return one(std::nullopt);
      }
      drop.insert(at);
    }
  }
  Shape out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!drop.contains(static_cast<int>(i))) out.push_back(s[i]);
  }
  if (out.empty()) return one(std::nullopt);  // rank 0 or [1]: not stated by the spec
  return one(out);
}

// concatND and stack: the inputs agree on every axis but the one joined.
std::vector<MaybeShape> join(const LayerShapes& l, std::int64_t axis_field, bool stack) {
  std::optional<Shape> first;
  for (std::size_t k = 0; k < l.inputs.size(); ++k) {
    if (!l.inputs[k]) return one(std::nullopt);
    const Shape& s = *l.inputs[k];
    if (!first) {
      first = s;
      continue;
    }
    bool fits = s.size() == first->size();
    const int at = stack ? -1 : static_cast<int>(axis_field < 0 ? axis_field + static_cast<std::int64_t>(s.size()) : axis_field);
    for (std::size_t i = 0; fits && i < s.size(); ++i) {
      if (static_cast<int>(i) == at) continue;
      if (known(s[i]) && known((*first)[i]) && s[i] != (*first)[i]) fits = false;
    }
    if (!fits) {
      l.issue(Kind::inputs,
              "input '" + l.layer.input(static_cast<int>(k)) + "' " + shape_text(s) + " does not fit input '" +
                  l.layer.input(0) + "' " + shape_text(*first) +
                  (stack ? ": stacked inputs must have equal shapes" : ": all axes but the concatenated one must be equal"),
              "make the inputs agree on every other axis");
      return one(std::nullopt);
    }
  }
  if (!first) return one(std::nullopt);
  const std::size_t rank = first->size() + (stack ? 1 : 0);
  const int at = axis_index(l, axis_field, rank, "axis");
  if (at < 0) return one(std::nullopt);
  Shape out = *first;
  const auto n = static_cast<std::int64_t>(l.inputs.size());
  if (stack) {
    out.insert(out.begin() + at, n);
    return one(out);
  }
  std::int64_t total = 0;
  for (const MaybeShape& s : l.inputs) {
    const std::int64_t d = (*s)[static_cast<std::size_t>(at)];
    total = known(total) && known(d) ? total + d : unknown_dim;
  }
  out[static_cast<std::size_t>(at)] = total;
  return one(out);
}

template <typename Params>
std::vector<MaybeShape> reduce(const LayerShapes& l, const Params& p) {
  if (l.inputs.empty() || !l.inputs[0]) return one(std::nullopt);
  const Shape& s = *l.inputs[0];
  std::set<int> reduced;
  if (p.reduceall()) {
    for (std::size_t i = 0; i < s.size(); ++i) reduced.insert(static_cast<int>(i));
  } else {
    for (const auto a : p.axes()) {
      const int at = axis_index(l, a, s.size(), "axes entry");
      if (at < 0) return one(std::nullopt);
      reduced.insert(at);
    }
  }
  Shape out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!reduced.contains(static_cast<int>(i))) {
      out.push_back(s[i]);
    } else if (p.keepdims()) {
      out.push_back(1);
    }
  }
  if (out.empty()) return one(std::nullopt);  // rank 0 or [1]: not stated by the spec
  return one(out);
}

std::vector<MaybeShape> reshape_static(const LayerShapes& l) {
  Shape out(l.layer.reshapestatic().targetshape().begin(), l.layer.reshapestatic().targetshape().end());
  if (std::any_of(out.begin(), out.end(), [](std::int64_t d) { return d <= 0; })) return one(std::nullopt);
  if (!l.inputs.empty() && l.inputs[0]) {
    const std::int64_t before = element_count(*l.inputs[0]);
    const std::int64_t after = element_count(out);
    if (known(before) && known(after) && before != after) {
      l.issue(Kind::parameters,
              "targetShape " + shape_text(out) + " holds " + std::to_string(after) + " values but the input " +
                  shape_text(*l.inputs[0]) + " has " + std::to_string(before),
              "choose a targetShape with " + std::to_string(before) + " values, or fix the layer feeding it");
    }
  }
  return one(out);
}

std::vector<MaybeShape> batched_matmul(const LayerShapes& l) {
  const auto& p = l.layer.batchedmatmul();
  if (l.inputs.empty() || !l.inputs[0]) return one(std::nullopt);
  Shape a = *l.inputs[0];
  if (l.inputs.size() == 1) {
    const auto k = static_cast<std::int64_t>(p.weightmatrixfirstdimension());
    if (known(a.back()) && a.back() != k) {
      l.issue(Kind::parameters,
              "the input " + shape_text(a) + " has " + std::to_string(a.back()) +
                  " values on its last axis; weightMatrixFirstDimension is " + std::to_string(k),
              "set weightMatrixFirstDimension to the input's last axis, or fix the layer feeding it");
    }
    a.back() = static_cast<std::int64_t>(p.weightmatrixseconddimension());
    return one(a);
  }
  if (!l.inputs[1]) return one(std::nullopt);
  Shape b = *l.inputs[1];
  if (a.size() == 1) a.insert(a.begin(), 1);  // [K] -> [1, K]
  if (b.size() == 1) b.push_back(1);          // [K] -> [K, 1]
  if (p.transposea()) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (p.transposeb()) std::swap(b[b.size() - 1], b[b.size() - 2]);
  const std::int64_t ka = a.back();
  const std::int64_t kb = b[b.size() - 2];
  if (known(ka) && known(kb) && ka != kb) {
    l.issue(Kind::inputs,
            "the inner dimensions differ: A " + shape_text(*l.inputs[0]) + " has " + std::to_string(ka) + ", B " +
                shape_text(*l.inputs[1]) + " has " + std::to_string(kb) + " (after transposes)",
            "make A's last axis equal B's second-to-last axis");
    return one(std::nullopt);
  }
  const std::size_t rank = std::max<std::size_t>({a.size(), b.size(), 2});
  Shape out(rank, unknown_dim);
  for (std::size_t i = 0; i + 2 < rank; ++i) {
    const std::size_t from_end = rank - i;
    const std::int64_t da = a.size() >= from_end ? a[a.size() - from_end] : 1;
    const std::int64_t db = b.size() >= from_end ? b[b.size() - from_end] : 1;
    out[i] = da == 1 ? db : (db == 1 ? da : (known(da) ? da : db));
  }
  out[rank - 2] = a[a.size() - 2];
  out[rank - 1] = b.back();
  return one(out);
}

}  // namespace

std::vector<MaybeShape> infer_nd_layer(const LayerShapes& l) {
  const cml::NeuralNetworkLayer& layer = l.layer;
  const MaybeShape first = l.inputs.empty() ? std::nullopt : l.inputs[0];
  switch (layer.layer_case()) {
    case Case::kCopy: case Case::kSoftmaxND: case Case::kClip: case Case::kCeil: case Case::kFloor:
    case Case::kRound: case Case::kSign: case Case::kSin: case Case::kCos: case Case::kTan: case Case::kAsin:
    case Case::kAcos: case Case::kAtan: case Case::kSinh: case Case::kCosh: case Case::kTanh: case Case::kAsinh:
    case Case::kAcosh: case Case::kAtanh: case Case::kExp2: case Case::kErf: case Case::kGelu:
    case Case::kClampedReLU: case Case::kReverse: case Case::kLayerNormalization: case Case::kLogicalNot:
    case Case::kFillLike: case Case::kRandomNormalLike: case Case::kRandomUniformLike:
    case Case::kRandomBernoulliLike: case Case::kUpperTriangular: case Case::kLowerTriangular:
    case Case::kMatrixBandPart:
      return one(first);
    case Case::kCumSum:
      return one(layer.input_size() == 1 ? first : std::nullopt);
    case Case::kGreaterThan: case Case::kGreaterEqual: case Case::kLessThan: case Case::kLessEqual:
    case Case::kEqual: case Case::kNotEqual:
      if (l.inputs.size() == 1) return one(first);  // compared with the scalar alpha
      [[fallthrough]];
    case Case::kAddBroadcastable: case Case::kSubtractBroadcastable: case Case::kMultiplyBroadcastable:
    case Case::kDivideBroadcastable: case Case::kMaxBroadcastable: case Case::kMinBroadcastable:
    case Case::kFloorDivBroadcastable: case Case::kModBroadcastable: case Case::kPowBroadcastable:
    case Case::kLogicalAnd: case Case::kLogicalOr: case Case::kLogicalXor: case Case::kWhereBroadcastable:
      return broadcast_nd(l);
    case Case::kLoadConstantND:
      return one(Shape(layer.loadconstantnd().shape().begin(), layer.loadconstantnd().shape().end()));
    case Case::kFillStatic:
      return one(Shape(layer.fillstatic().targetshape().begin(), layer.fillstatic().targetshape().end()));
    case Case::kExpandDims: return expand_dims(l);
    case Case::kSqueeze: return squeeze(l);
    case Case::kSliceStatic: return slice_static(l);
    case Case::kConcatND: return join(l, layer.concatnd().axis(), false);
    case Case::kStack: return join(l, layer.stack().axis(), true);
    case Case::kReshapeStatic: return reshape_static(l);
    case Case::kBatchedMatmul: return batched_matmul(l);
    case Case::kGetShape:
      return one(first ? MaybeShape(Shape{static_cast<std::int64_t>(first->size())}) : std::nullopt);
    case Case::kTranspose: {
      if (!first || layer.transpose().axes_size() != static_cast<int>(first->size())) return one(std::nullopt);
      Shape out;
      for (const auto a : layer.transpose().axes()) {
        if (a >= first->size()) return one(std::nullopt);
        out.push_back((*first)[a]);
      }
      return one(out);
    }
    case Case::kFlattenTo2D: {
      if (!first) return one(std::nullopt);
      const int at = axis_index(l, layer.flattento2d().axis(), first->size() + 1, "axis");
      if (at < 0) return one(std::nullopt);
      const auto split = first->begin() + at;
      return one(Shape{element_count(Shape(first->begin(), split)), element_count(Shape(split, first->end()))});
    }
    case Case::kReduceSum: return reduce(l, layer.reducesum());
    case Case::kReduceMean: return reduce(l, layer.reducemean());
    case Case::kReduceProd: return reduce(l, layer.reduceprod());
    case Case::kReduceMax: return reduce(l, layer.reducemax());
    case Case::kReduceMin: return reduce(l, layer.reducemin());
    case Case::kReduceL1: return reduce(l, layer.reducel1());
    case Case::kReduceL2: return reduce(l, layer.reducel2());
    case Case::kReduceLogSum: return reduce(l, layer.reducelogsum());
    case Case::kReduceSumSquare: return reduce(l, layer.reducesumsquare());
    case Case::kReduceLogSumExp: return reduce(l, layer.reducelogsumexp());
    default:
      // Custom layers, control flow and value-dependent shapes: unknown.
      return std::vector<MaybeShape>(static_cast<std::size_t>(layer.output_size()));
  }
}

}  // namespace mlconv::spec::shape_rules
