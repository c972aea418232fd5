// Shape rules per layer type. Classic (iOS 11/12) layers are written on their
// named trailing axes (W = -1, H = -2, C = -3, S = -5), which is how Core ML
// reads them in both rank-5 and N-d networks. A rule either computes the
// output exactly, or leaves it (or one dimension) unknown; it reports only
// contradictions between sizes that are all known.
#include "spec/validation/shape_rules.h"

#include <algorithm>
#include <numeric>

#include "spec/weights.h"

namespace mlconv::spec::shape_rules {

namespace {

namespace cml = CoreML::Specification;
using Kind = ShapeIssue::Kind;
using Case = cml::NeuralNetworkLayer::LayerCase;

bool known(std::int64_t d) { return d >= 0; }

std::int64_t mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (!known(a) || !known(b) || __builtin_mul_overflow(a, b, &r)) return unknown_dim;
  return r;
}

std::int64_t add(std::int64_t a, std::int64_t b) { return known(a) && known(b) ? a + b : unknown_dim; }

std::int64_t& axis(Shape& s, int from_end) { return s[s.size() - static_cast<std::size_t>(from_end)]; }
std::int64_t axis(const Shape& s, int from_end) { return s[s.size() - static_cast<std::size_t>(from_end)]; }

// The input's shape when it is known and has at least `rank` axes. A shorter
// rank is a contradiction in an N-d network (Core ML's rank rules); rank-5
// networks never have one.
std::optional<Shape> input_of_rank(const LayerShapes& in, std::size_t index, std::size_t rank) {
  if (index >= in.inputs.size() || !in.inputs[index]) return std::nullopt;
  const Shape& shape = *in.inputs[index];
  if (shape.size() >= rank) return shape;
  in.issue(Kind::parameters,
           "input '" + in.layer.input(static_cast<int>(index)) + "' has rank " + std::to_string(shape.size()) + " " +
               shape_text(shape) + "; this layer needs rank " + std::to_string(rank) + " or more",
           "feed the layer a tensor of rank " + std::to_string(rank) + " or more (expandDims can add axes)");
  return std::nullopt;
}

std::vector<MaybeShape> one(MaybeShape s) { return {std::move(s)}; }

// Output size of a window sliding over `in` (convolution and pooling, valid padding).
std::int64_t window_out(const LayerShapes& l, std::int64_t in, std::int64_t pads, std::int64_t k_eff,
                        std::int64_t stride, const char* axis_name) {
  if (!known(in)) return unknown_dim;
  if (in + pads < k_eff) {
    l.issue(Kind::parameters,
            std::string("the window of ") + std::to_string(k_eff) + " covers more than the input's " + axis_name + " " +
                std::to_string(in) + (pads > 0 ? " plus padding " + std::to_string(pads) : "") +
                " (valid padding leaves no output)",
            "use a smaller kernel, same padding, or a larger input");
    return unknown_dim;
  }
  return (in + pads - k_eff) / stride + 1;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return known(a) ? (a + b - 1) / b : unknown_dim; }

std::int64_t pad_total(const cml::BorderAmounts& amounts, int index) {
  if (amounts.borderamounts_size() <= index) return 0;
  const auto& e = amounts.borderamounts(index);
  return static_cast<std::int64_t>(e.startedgesize() + e.endedgesize());
}

std::uint64_t pair_at(const google::protobuf::RepeatedField<std::uint64_t>& v, int i, std::uint64_t fallback) {
  return v.size() > i && v.Get(i) > 0 ? v.Get(i) : fallback;
}

std::vector<MaybeShape> convolution(const LayerShapes& l) {
  const auto& p = l.layer.convolution();
  auto s = input_of_rank(l, 0, 4);
  if (!s) return one(std::nullopt);
  const std::int64_t groups = std::max<std::int64_t>(static_cast<std::int64_t>(p.ngroups()), 1);
  const std::int64_t kc = static_cast<std::int64_t>(p.kernelchannels());
  const std::int64_t expected_c = p.isdeconvolution() ? kc : mul(kc, groups);
  if (known(axis(*s, 3)) && l.layer.input_size() == 1 && kc > 0 && axis(*s, 3) != expected_c) {
    l.issue(Kind::parameters,
            "the input has " + std::to_string(axis(*s, 3)) + " channels " + shape_text(*s) + "; kernelChannels " +
                std::to_string(kc) + (p.isdeconvolution() ? "" : " x nGroups " + std::to_string(groups)) + " = " +
                std::to_string(expected_c) + " expected",
            "set kernelChannels (and nGroups) to match the input's channels, or fix the layer feeding it");
  }
  for (int i = 0; i < 2; ++i) {
    const int at = 2 - i;  // H is axis -2, W axis -1
    const std::int64_t in = axis(*s, at);
    const auto k = static_cast<std::int64_t>(pair_at(p.kernelsize(), i, 3));
    const auto stride = static_cast<std::int64_t>(pair_at(p.stride(), i, 1));
    const auto dilation = static_cast<std::int64_t>(pair_at(p.dilationfactor(), i, 1));
    const std::int64_t pads = p.has_valid() ? pad_total(p.valid().paddingamounts(), i) : 0;
    std::int64_t out = unknown_dim;
    if (p.isdeconvolution()) {
      if (p.outputshape_size() == 2) {
        out = static_cast<std::int64_t>(p.outputshape(i));
      } else if (known(in) && p.has_same()) {
        out = in * stride;
      } else if (known(in) && p.has_valid()) {
        out = (in - 1) * stride + k - pads;
      }
    } else if (p.has_same()) {
      out = ceil_div(in, stride);
    } else if (p.has_valid()) {
      out = window_out(l, in, pads, (k - 1) * dilation + 1, stride, i == 0 ? "height" : "width");
    }
    axis(*s, at) = out;
  }
  axis(*s, 3) = static_cast<std::int64_t>(p.outputchannels());
  return one(s);
}

std::vector<MaybeShape> pooling(const LayerShapes& l) {
  const auto& p = l.layer.pooling();
  auto s = input_of_rank(l, 0, 4);
  if (!s) return one(std::nullopt);
  for (int i = 0; i < 2; ++i) {
    const int at = 2 - i;
    const std::int64_t in = axis(*s, at);
    const auto k = static_cast<std::int64_t>(pair_at(p.kernelsize(), i, 3));
    const auto stride = static_cast<std::int64_t>(pair_at(p.stride(), i, 1));
    std::int64_t out = unknown_dim;
    if (p.globalpooling()) {
      out = 1;
    } else if (p.has_same()) {
      out = ceil_div(in, stride);
    } else if (p.has_valid()) {
      out = window_out(l, in, pad_total(p.valid().paddingamounts(), i), k, stride, i == 0 ? "height" : "width");
    } else if (p.has_includelastpixel() && known(in)) {
      // Caffe's rule: out = ceil((in + 2 pad - k) / stride) + 1, minus one if the last window starts in the padding.
      const auto& amounts = p.includelastpixel().paddingamounts();
      const auto pad = static_cast<std::int64_t>(amounts.size() > i ? amounts.Get(i) : 0);
      if (in + 2 * pad >= k) {
        out = ceil_div(in + 2 * pad - k, stride) + 1;
        if (pad > 0 && (out - 1) * stride >= in + pad) --out;
      }
    }
    axis(*s, at) = out;
  }
  return one(s);
}

std::vector<MaybeShape> inner_product(const LayerShapes& l) {
  const auto& p = l.layer.innerproduct();
  auto s = input_of_rank(l, 0, 1);
  if (!s) return one(std::nullopt);
  const auto in_c = static_cast<std::int64_t>(p.inputchannels());
  const auto out_c = static_cast<std::int64_t>(p.outputchannels());
  // Ranks 1 to 3 multiply the last axis; ranks 4 and 5 flatten C, H, W into it.
  const bool flattens = s->size() >= 4;
  const std::int64_t got = flattens ? mul(mul(axis(*s, 3), axis(*s, 2)), axis(*s, 1)) : axis(*s, 1);
  if (known(got) && got != in_c) {
    l.issue(Kind::parameters,
            "the input " + shape_text(*s) + " has " + std::to_string(got) + (flattens ? " values per C x H x W" : " values on its last axis") +
                "; inputChannels is " + std::to_string(in_c),
            "set inputChannels to " + std::to_string(got) + " (with matching weights), or fix the layer feeding it");
  }
  if (flattens) {
    axis(*s, 3) = out_c;
    axis(*s, 2) = 1;
    axis(*s, 1) = 1;
  } else {
    axis(*s, 1) = out_c;
  }
  return one(s);
}

// Values stored in one weight blob (float32 or float16), or -1 when it has none
// or they are quantized (their count is E071's business). Sizes only, so this
// works on models loaded without weight values.
std::int64_t weight_count(const cml::NeuralNetworkLayer& layer, const std::string& field) {
  for (const WeightBlob& blob : layer_weights(layer)) {
    if (blob.field != field) continue;
    if (blob.storage == WeightStorage::float32 || blob.storage == WeightStorage::float16) {
      return static_cast<std::int64_t>(blob.count);
    }
  }
  return -1;
}

// Batchnorm, PReLU, parametricSoftplus: per-channel data against axis -3.
void check_channels(const LayerShapes& l, const Shape& s, std::int64_t count, const std::string& what, bool one_ok) {
  if (count < 0 || s.size() < 3 || !known(axis(s, 3)) || count == axis(s, 3) || (one_ok && count == 1)) return;
  l.issue(one_ok ? Kind::per_channel : Kind::parameters,
          what + " " + std::to_string(count) + " but the input " + shape_text(s) + " has " +
              std::to_string(axis(s, 3)) + " channels" + (one_ok ? " (1 shared value is also allowed)" : ""),
          "make " + what + " match the input's channels, or fix the layer feeding it");
}

std::vector<MaybeShape> same_shape(const LayerShapes& l) {
  if (l.inputs.empty()) return one(std::nullopt);
  const MaybeShape& s = l.inputs[0];
  if (s && l.layer.has_batchnorm()) {
    check_channels(l, *s, static_cast<std::int64_t>(l.layer.batchnorm().channels()), "channels is", false);
  }
  return one(s);
}

// Classic elementwise layers (add, multiply, average, max, min): an axis of
// size 1 stretches to the other input's size. N-d broadcastable layers use
// the same rule after aligning shapes at their last axis.
std::vector<MaybeShape> broadcast(const LayerShapes& l) {
  if (l.inputs.empty()) return one(std::nullopt);
  std::size_t rank = 0;
  for (const MaybeShape& s : l.inputs) {
    if (!s) return one(std::nullopt);
    if (!l.nd && rank != 0 && s->size() != rank) return one(std::nullopt);
    rank = std::max(rank, s->size());
  }
  Shape out(rank, 1);
  for (std::size_t k = 0; k < l.inputs.size(); ++k) {
    const Shape& s = *l.inputs[k];
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::int64_t& o = out[rank - s.size() + i];
      const std::int64_t d = s[i];
      if (d == 1) continue;
      if (o == 1 || (!known(o) && known(d))) {
        o = d;
      } else if (known(o) && known(d) && o != d) {
        std::string shapes;
        for (const MaybeShape& each : l.inputs) shapes += (shapes.empty() ? "" : " and ") + shape_text(*each);
        l.issue(Kind::inputs,
                "the inputs " + shapes + " cannot be combined elementwise: sizes " + std::to_string(o) + " and " +
                    std::to_string(d) + " differ and neither is 1",
                "make the inputs' shapes equal, or 1 on the axes to broadcast");
        return one(std::nullopt);
      }
    }
  }
  return one(out);
}

// Concatenation on one axis (given from the end): the other axes must agree.
std::vector<MaybeShape> concat_on(const LayerShapes& l, int from_end) {
  std::optional<Shape> out;
  for (std::size_t k = 0; k < l.inputs.size(); ++k) {
    const auto s = input_of_rank(l, k, static_cast<std::size_t>(from_end));
    if (!s) return one(std::nullopt);
    if (!out) {
      out = s;
      continue;
    }
    bool fits = s->size() == out->size();
    for (std::size_t i = 0; fits && i < s->size(); ++i) {
      if (i == s->size() - static_cast<std::size_t>(from_end)) continue;
      if (known((*s)[i]) && known((*out)[i]) && (*s)[i] != (*out)[i]) fits = false;
      if (!known((*out)[i])) (*out)[i] = (*s)[i];
    }
    if (!fits) {
      l.issue(Kind::inputs,
              "input '" + l.layer.input(static_cast<int>(k)) + "' " + shape_text(*s) + " does not fit input '" +
                  l.layer.input(0) + "' " + shape_text(*l.inputs[0]) + ": all axes but the concatenated one (" +
                  std::to_string(-from_end) + ") must be equal",
              "resize or crop the inputs so that they agree on every other axis");
      return one(std::nullopt);
    }
    axis(*out, from_end) = add(axis(*out, from_end), axis(*s, from_end));
  }
  return one(out);
}

std::vector<MaybeShape> reshape(const LayerShapes& l) {
  const auto& p = l.layer.reshape();
  auto s = input_of_rank(l, 0, 5);
  if (!s || (p.targetshape_size() != 3 && p.targetshape_size() != 4)) return one(std::nullopt);
  // 3 entries are [C, H, W] with the sequence kept; 4 are [S, C, H, W]. The batch axis (-4) is never touched.
  const int n = p.targetshape_size();
  Shape out = *s;
  constexpr int three[] = {3, 2, 1};
  constexpr int four[] = {5, 3, 2, 1};
  for (int i = 0; i < n; ++i) axis(out, n == 3 ? three[i] : four[i]) = p.targetshape(i);
  const auto moved = [n](const Shape& x) {
    const std::int64_t chw = element_count({axis(x, 3), axis(x, 2), axis(x, 1)});
    return n == 3 ? chw : mul(axis(x, 5), chw);
  };
  const std::int64_t before = moved(*s);
  const std::int64_t after = moved(out);
  if (known(before) && known(after) && before != after) {
    l.issue(Kind::parameters,
            "targetShape holds " + std::to_string(after) + " values but the input " + shape_text(*s) + " has " +
                std::to_string(before),
            "choose a targetShape with " + std::to_string(before) + " values, or fix the layer feeding it");
  }
  return one(out);
}

std::vector<MaybeShape> recurrent(const LayerShapes& l, std::int64_t in_size, std::int64_t hidden, bool sequence,
                                  std::int64_t directions) {
  std::vector<MaybeShape> outs(static_cast<std::size_t>(l.layer.output_size()));
  auto s = input_of_rank(l, 0, 5);
  if (!s) return outs;
  if (known(axis(*s, 3)) && axis(*s, 3) != in_size) {
    l.issue(Kind::parameters,
            "the input " + shape_text(*s) + " has " + std::to_string(axis(*s, 3)) + " channels; inputVectorSize is " +
                std::to_string(in_size),
            "set inputVectorSize to the input's channels, or fix the layer feeding it");
  }
  Shape state = *s;
  axis(state, 5) = 1;
  axis(state, 3) = hidden;
  axis(state, 2) = 1;
  axis(state, 1) = 1;
  Shape y = state;
  axis(y, 5) = sequence ? axis(*s, 5) : 1;
  axis(y, 3) = mul(hidden, directions);
  for (std::size_t i = 0; i < outs.size(); ++i) outs[i] = i == 0 ? y : state;
  return outs;
}

}  // namespace

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n = mul(n, d);
  return n;
}

std::int64_t slice_length(std::int64_t len, std::int64_t start, std::int64_t end, std::int64_t stride,
                          bool start_masked, bool end_masked) {
  if (len < 0 || stride <= 0) return unknown_dim;
  std::int64_t b = start_masked ? 0 : (start < 0 ? start + len : start);
  std::int64_t e = end_masked ? len : (end < 0 ? end + len : end);
  b = std::clamp<std::int64_t>(b, 0, len);
  e = std::clamp<std::int64_t>(e, 0, len);
  return e > b ? (e - b + stride - 1) / stride : 0;
}

std::vector<MaybeShape> infer_nd_layer(const LayerShapes& l);  // shape_rules_nd.cc

std::vector<MaybeShape> infer_layer(const LayerShapes& l) {
  const cml::NeuralNetworkLayer& layer = l.layer;
  const MaybeShape first = l.inputs.empty() ? std::nullopt : l.inputs[0];
  switch (layer.layer_case()) {
    case Case::kConvolution: return convolution(l);
    case Case::kPooling: return pooling(l);
    case Case::kInnerProduct: return inner_product(l);
    case Case::kActivation: {
      const auto& a = layer.activation();
      if (first && a.has_prelu()) {
        check_channels(l, *first, weight_count(layer, "PReLU.alpha"), "PReLU alpha has", true);
      }
      if (first && a.has_parametricsoftplus()) {
        check_channels(l, *first, weight_count(layer, "parametricSoftplus.alpha"), "parametricSoftplus alpha has", true);
        check_channels(l, *first, weight_count(layer, "parametricSoftplus.beta"), "parametricSoftplus beta has", true);
      }
      return one(first);
    }
    case Case::kBatchnorm:
    case Case::kLrn:
    case Case::kMvn:
    case Case::kL2Normalize:
    case Case::kUnary:
    case Case::kSoftmax:
    case Case::kBias:
    case Case::kScale:
      return same_shape(l);
    case Case::kAdd:
    case Case::kMultiply:
    case Case::kAverage:
    case Case::kMax:
    case Case::kMin:
      return broadcast(l);
    case Case::kConcat: return concat_on(l, layer.concat().sequenceconcat() ? 5 : 3);
    case Case::kFlatten: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      axis(*s, 3) = element_count({axis(*s, 3), axis(*s, 2), axis(*s, 1)});
      axis(*s, 2) = 1;
      axis(*s, 1) = 1;
      return one(s);
    }
    case Case::kReshape: return reshape(l);
    case Case::kPermute: {
      auto s = input_of_rank(l, 0, 5);
      if (!s || layer.permute().axis_size() != 4) return one(s);
      // Axes 0..3 are S, C, H, W at positions -5, -3, -2, -1; the batch axis stays.
      constexpr int from_end[] = {5, 3, 2, 1};
      Shape out = *s;
      for (int i = 0; i < 4; ++i) {
        const auto src = layer.permute().axis(i);
        if (src > 3) return one(std::nullopt);
        axis(out, from_end[i]) = axis(*s, from_end[src]);
      }
      return one(out);
    }
    case Case::kPadding: {
      auto s = input_of_rank(l, 0, 2);
      if (!s) return one(std::nullopt);
      const auto& amounts = layer.padding().paddingamounts();
      axis(*s, 2) = add(axis(*s, 2), pad_total(amounts, 0));
      axis(*s, 1) = add(axis(*s, 1), pad_total(amounts, 1));
      return one(s);
    }
    case Case::kUpsample: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      const auto& p = layer.upsample();
      for (int i = 0; i < 2; ++i) {
        std::int64_t& d = axis(*s, 2 - i);
        if (p.fractionalscalingfactor_size() == 2) {
          d = known(d) ? static_cast<std::int64_t>(static_cast<double>(d) * p.fractionalscalingfactor(i)) : d;
        } else {
          d = mul(d, static_cast<std::int64_t>(pair_at(p.scalingfactor(), i, 1)));
        }
      }
      return one(s);
    }
    case Case::kResizeBilinear: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      axis(*s, 2) = static_cast<std::int64_t>(pair_at(layer.resizebilinear().targetsize(), 0, 1));
      axis(*s, 1) = static_cast<std::int64_t>(pair_at(layer.resizebilinear().targetsize(), 1, 1));
      return one(s);
    }
    case Case::kCrop: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      if (layer.input_size() == 2) {
        const auto ref = input_of_rank(l, 1, 3);
        axis(*s, 2) = ref ? axis(*ref, 2) : unknown_dim;
        axis(*s, 1) = ref ? axis(*ref, 1) : unknown_dim;
      } else {
        const auto& amounts = layer.crop().cropamounts();
        for (int i = 0; i < 2; ++i) {
          std::int64_t& d = axis(*s, 2 - i);
          d = known(d) ? std::max<std::int64_t>(d - pad_total(amounts, i), 0) : d;
        }
      }
      return one(s);
    }
    case Case::kSlice: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      const auto& p = layer.slice();
      const int at = p.axis() == cml::SliceLayerParams::CHANNEL_AXIS ? 3 : p.axis() == cml::SliceLayerParams::HEIGHT_AXIS ? 2 : 1;
      axis(*s, at) = slice_length(axis(*s, at), p.startindex(), p.endindex(), static_cast<std::int64_t>(p.stride()),
                                  false, false);
      return one(s);
    }
    case Case::kReduce: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      switch (layer.reduce().axis()) {
        case cml::ReduceLayerParams::CHW: axis(*s, 3) = 1; [[fallthrough]];
        case cml::ReduceLayerParams::HW: axis(*s, 2) = axis(*s, 1) = 1; break;
        case cml::ReduceLayerParams::C: axis(*s, 3) = 1; break;
        case cml::ReduceLayerParams::H: axis(*s, 2) = 1; break;
        case cml::ReduceLayerParams::W: axis(*s, 1) = 1; break;
        default: return one(std::nullopt);
      }
      return one(s);
    }
    case Case::kSplit: {
      std::vector<MaybeShape> outs(static_cast<std::size_t>(layer.output_size()));
      auto s = input_of_rank(l, 0, 3);
      if (!s || outs.empty()) return outs;
      const auto n = static_cast<std::int64_t>(outs.size());
      if (known(axis(*s, 3)) && axis(*s, 3) % n != 0) {
        l.issue(Kind::parameters,
                "the input " + shape_text(*s) + " has " + std::to_string(axis(*s, 3)) + " channels, which do not split into " +
                    std::to_string(n) + " equal parts",
                "split into a number of outputs that divides the channels");
        return outs;
      }
      axis(*s, 3) = known(axis(*s, 3)) ? axis(*s, 3) / n : unknown_dim;
      std::fill(outs.begin(), outs.end(), s);
      return outs;
    }
    case Case::kLoadConstant: {
      if (layer.loadconstant().shape_size() != 3) return one(std::nullopt);
      Shape s{1, 1};
      for (const auto d : layer.loadconstant().shape()) s.push_back(static_cast<std::int64_t>(d));
      return one(s);
    }
    case Case::kSequenceRepeat: {
      auto s = input_of_rank(l, 0, 5);
      if (!s) return one(std::nullopt);
      axis(*s, 5) = mul(axis(*s, 5), std::max<std::int64_t>(static_cast<std::int64_t>(layer.sequencerepeat().nrepetitions()), 1));
      return one(s);
    }
    case Case::kReorganizeData: {
      auto s = input_of_rank(l, 0, 3);
      const auto b = static_cast<std::int64_t>(layer.reorganizedata().blocksize());
      if (!s || b < 2) return one(std::nullopt);
      const bool to_depth = layer.reorganizedata().mode() == cml::ReorganizeDataLayerParams::SPACE_TO_DEPTH;
      const std::int64_t c = axis(*s, 3);
      const std::int64_t h = axis(*s, 2);
      const std::int64_t w = axis(*s, 1);
      const bool divides = to_depth ? ((!known(h) || h % b == 0) && (!known(w) || w % b == 0)) : (!known(c) || c % (b * b) == 0);
      if (!divides) {
        l.issue(Kind::parameters,
                "blockSize " + std::to_string(b) + " does not fit the input " + shape_text(*s) +
                    (to_depth ? ": it must divide height and width" : ": blockSize^2 must divide the channels"),
                "choose a blockSize that divides the input's sizes");
        return one(std::nullopt);
      }
      axis(*s, 3) = to_depth ? mul(c, b * b) : (known(c) ? c / (b * b) : c);
      axis(*s, 2) = to_depth ? (known(h) ? h / b : h) : mul(h, b);
      axis(*s, 1) = to_depth ? (known(w) ? w / b : w) : mul(w, b);
      return one(s);
    }
    case Case::kDot: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      axis(*s, 3) = axis(*s, 2) = axis(*s, 1) = 1;
      return one(s);
    }
    case Case::kEmbedding: {
      auto s = input_of_rank(l, 0, 3);
      if (!s) return one(std::nullopt);
      axis(*s, 3) = static_cast<std::int64_t>(layer.embedding().outputchannels());
      return one(s);
    }
    case Case::kSimpleRecurrent: {
      const auto& p = layer.simplerecurrent();
      return recurrent(l, static_cast<std::int64_t>(p.inputvectorsize()), static_cast<std::int64_t>(p.outputvectorsize()),
                       p.sequenceoutput(), 1);
    }
    case Case::kGru: {
      const auto& p = layer.gru();
      return recurrent(l, static_cast<std::int64_t>(p.inputvectorsize()), static_cast<std::int64_t>(p.outputvectorsize()),
                       p.sequenceoutput(), 1);
    }
    case Case::kUniDirectionalLSTM: {
      const auto& p = layer.unidirectionallstm();
      return recurrent(l, static_cast<std::int64_t>(p.inputvectorsize()), static_cast<std::int64_t>(p.outputvectorsize()),
                       p.params().sequenceoutput(), 1);
    }
    case Case::kBiDirectionalLSTM: {
      const auto& p = layer.bidirectionallstm();
      return recurrent(l, static_cast<std::int64_t>(p.inputvectorsize()), static_cast<std::int64_t>(p.outputvectorsize()),
                       p.params().sequenceoutput(), 2);
    }
    default: return infer_nd_layer(l);
  }
}

}  // namespace mlconv::spec::shape_rules
