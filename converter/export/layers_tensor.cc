// Elementwise arithmetic, Concat, Flatten, Reshape, Transpose and the pass-through
// ops. Rank-5 Core ML broadcasts only over C and/or H, W, so a constant operand
// becomes the add/multiply layer's scalar alpha, or a bias/scale layer with shape
// [C] or [C, H, W]; anything else is refused with the shapes involved.
#include <numeric>

#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

std::string dims_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

enum class Arithmetic { add, sub, mul, div };

// The Core ML shape ([1], [C] or [C, H, W]) a constant broadcasts with over `x`, or empty.
std::vector<std::uint64_t> broadcast_shape(const std::vector<std::int64_t>& constant_dims, const std::vector<std::int64_t>& x) {
  std::int64_t count = 1;
  for (const auto d : constant_dims) count *= d;
  if (count == 1) return {1};
  // Drop leading 1s (the batch axis and numpy-style padding), then align from the end.
  std::vector<std::int64_t> dims(constant_dims.begin(), constant_dims.end());
  while (!dims.empty() && dims.front() == 1 && dims.size() > x.size() - 1) dims.erase(dims.begin());
  const std::vector<std::int64_t> chw(x.begin() + 1, x.end());
  if (dims.size() > chw.size()) return {};
  std::vector<std::int64_t> aligned(chw.size() - dims.size(), 1);
  aligned.insert(aligned.end(), dims.begin(), dims.end());
  if (aligned == chw) {
    return chw.size() == 1 ? std::vector<std::uint64_t>{static_cast<std::uint64_t>(chw[0])}
                           : std::vector<std::uint64_t>{static_cast<std::uint64_t>(chw[0]), static_cast<std::uint64_t>(chw[1]),
                                                        static_cast<std::uint64_t>(chw[2])};
  }
  if (chw.size() == 3 && aligned[0] == chw[0] && aligned[1] == 1 && aligned[2] == 1) return {static_cast<std::uint64_t>(chw[0])};
  return {};
}

void with_constant(LayerBuilder& b, Arithmetic op, std::size_t variable, std::size_t constant_index) {
  const auto x = b.shape(variable);
  const TensorData& data = *b.constant(constant_index);
  std::vector<float> c = b.constant_floats(constant_index, "constant operand");
  const bool constant_first = constant_index == 0;
  if (op == Arithmetic::div && constant_first) {
    b.fail("dividing a constant by a computed tensor is not supported (Core ML's INVERSE adds an epsilon)");
  }
  const std::vector<std::uint64_t> shape = broadcast_shape(data.dims, x);
  if (shape.empty()) {
    b.fail("constant " + dims_text(data.dims) + " does not broadcast over " + dims_text(x) +
           " as a scalar, one value per channel, or a full [C, H, W] tensor");
  }
  // Normalize to y = scale * x + shift, with scale or shift being the constant.
  const bool additive = op == Arithmetic::add || op == Arithmetic::sub;
  if (op == Arithmetic::sub && !constant_first) for (float& v : c) v = -v;
  if (op == Arithmetic::div) for (float& v : c) v = 1.0F / v;
  const std::string in = b.blob(variable);
  const std::string out = b.output_blob(0);
  if (op == Arithmetic::sub && constant_first) {  // c - x = (-1) * x + c
    auto& scale = *b.add_layer("", {in}, {out}).mutable_scale();
    scale.add_shapescale(1);
    set_float_weights(*scale.mutable_scale(), {-1.0F});
    scale.set_hasbias(true);
    for (const auto d : shape) scale.add_shapebias(d);
    set_float_weights(*scale.mutable_bias(), c);
  } else if (c.size() == 1 && additive) {
    b.add_layer("", {in}, {out}).mutable_add()->set_alpha(c[0]);
  } else if (c.size() == 1) {
    b.add_layer("", {in}, {out}).mutable_multiply()->set_alpha(c[0]);
  } else if (additive) {
    auto& bias = *b.add_layer("", {in}, {out}).mutable_bias();
    for (const auto d : shape) bias.add_shape(d);
    set_float_weights(*bias.mutable_bias(), c);
  } else {
    auto& scale = *b.add_layer("", {in}, {out}).mutable_scale();
    for (const auto d : shape) scale.add_shapescale(d);
    set_float_weights(*scale.mutable_scale(), c);
  }
  b.set_output_shape(0, x);
}

// Rank-5 broadcasting between two computed tensors: equal shapes, or one of them 1 along C and/or H, W.
std::vector<std::int64_t> broadcast_result(LayerBuilder& b, const std::vector<std::int64_t>& x, const std::vector<std::int64_t>& y) {
  if (x.size() != y.size() || x[0] != y[0]) b.fail("operands " + dims_text(x) + " and " + dims_text(y) + " do not broadcast in rank-5 Core ML");
  std::vector<std::int64_t> out = x;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if (x[i] != y[i] && x[i] != 1 && y[i] != 1) b.fail("operands " + dims_text(x) + " and " + dims_text(y) + " do not broadcast");
    out[i] = std::max(x[i], y[i]);
  }
  return out;
}

void arithmetic(LayerBuilder& b, Arithmetic op) {
  if (b.input_count() != 2 || !b.has_input(0) || !b.has_input(1)) b.fail("expects exactly two inputs");
  const bool first_constant = b.constant(0) != nullptr;
  const bool second_constant = b.constant(1) != nullptr;
  if (first_constant && second_constant) b.fail("both operands are constants; fold them before converting");
  if (first_constant || second_constant) {
    with_constant(b, op, first_constant ? 1 : 0, first_constant ? 0 : 1);
    return;
  }
  const auto shape = broadcast_result(b, b.shape(0), b.shape(1));
  switch (op) {
    case Arithmetic::add: b.add_layer("", {b.blob(0), b.blob(1)}, {b.output_blob(0)}).mutable_add(); break;
    case Arithmetic::mul: b.add_layer("", {b.blob(0), b.blob(1)}, {b.output_blob(0)}).mutable_multiply(); break;
    case Arithmetic::sub: {  // a - b = a + (-1 * b)
      const std::string negated = b.temp_blob("negated");
      b.add_layer("negate", {b.blob(1)}, {negated}).mutable_multiply()->set_alpha(-1.0F);
      b.add_layer("", {b.blob(0), negated}, {b.output_blob(0)}).mutable_add();
      break;
    }
    case Arithmetic::div:
      b.fail("dividing two computed tensors is not supported (Core ML's INVERSE adds an epsilon)");
  }
  b.set_output_shape(0, shape);
}

}  // namespace

void build_add_layer(LayerBuilder& b) { arithmetic(b, Arithmetic::add); }
void build_sub_layer(LayerBuilder& b) { arithmetic(b, Arithmetic::sub); }
void build_mul_layer(LayerBuilder& b) { arithmetic(b, Arithmetic::mul); }
void build_div_layer(LayerBuilder& b) { arithmetic(b, Arithmetic::div); }

void build_concat_layer(LayerBuilder& b) {
  if (b.input_count() < 1) b.fail("expects at least one input");
  std::vector<std::int64_t> out = b.shape(0);
  const auto rank = static_cast<std::int64_t>(out.size());
  std::int64_t axis = b.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis != 1) b.fail("concatenation along axis " + std::to_string(axis) + "; rank-5 Core ML concatenates along channels (axis 1) only");
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < b.input_count(); ++i) {
    const auto& shape = b.shape(i);
    inputs.push_back(b.blob(i));
    if (i == 0) continue;
    std::vector<std::int64_t> a = out;
    std::vector<std::int64_t> c = shape;
    if (a.size() != c.size()) b.fail("inputs of different ranks: " + dims_text(out) + " and " + dims_text(shape));
    a[1] = c[1] = 0;
    if (a != c) b.fail("input " + std::to_string(i) + " " + dims_text(shape) + " differs from " + dims_text(b.shape(0)) + " outside the channel axis");
    out[1] += shape[1];
  }
  b.add_layer("", inputs, {b.output_blob(0)}).mutable_concat();
  b.set_output_shape(0, out);
}

void build_flatten_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  std::int64_t axis = b.attr_int("axis", 1);
  if (axis < 0) axis += static_cast<std::int64_t>(x.size());
  if (axis != 1) b.fail("flattening from axis " + std::to_string(axis) + "; Core ML keeps the batch axis, so only axis 1 is supported");
  if (x.size() == 2) {
    b.alias_output(0, 0);
    return;
  }
  b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_flatten()->set_mode(cml::FlattenLayerParams::CHANNEL_FIRST);
  b.set_output_shape(0, {x[0], std::accumulate(x.begin() + 1, x.end(), std::int64_t{1}, std::multiplies<>())});
}

void build_reshape_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  std::vector<std::int64_t> target;
  if (b.has_input(1)) {
    const TensorData& data = b.required_constant(1, "shape");
    try {
      target = data.to_ints();
    } catch (const Error& e) {
      b.fail("shape: " + e.message());
    }
  } else {
    target = b.attr_ints("shape", {});
  }
  const bool allow_zero = b.attr_int("allowzero", 0) != 0;
  const std::int64_t total = std::accumulate(x.begin(), x.end(), std::int64_t{1}, std::multiplies<>());
  std::int64_t known = 1;
  std::optional<std::size_t> inferred;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allow_zero) {
      if (i >= x.size()) b.fail("shape entry 0 at position " + std::to_string(i) + " copies a dimension the input lacks");
      target[i] = x[i];
    }
    if (target[i] == -1) {
      if (inferred) b.fail("shape " + dims_text(target) + " has more than one -1");
      inferred = i;
      continue;
    }
    if (target[i] < 0) b.fail("shape entry " + std::to_string(target[i]) + " is invalid");
    known *= target[i];
  }
  if (inferred) {
    if (known == 0 || total % known != 0) b.fail("cannot infer the -1 in shape " + dims_text(target) + " for " + dims_text(x));
    target[*inferred] = total / known;
  }
  if (std::accumulate(target.begin(), target.end(), std::int64_t{1}, std::multiplies<>()) != total) {
    b.fail("shape " + dims_text(target) + " holds a different number of elements than the input " + dims_text(x));
  }
  if (target.empty() || target[0] != x[0]) b.fail("shape " + dims_text(target) + " changes the batch axis of " + dims_text(x) + "; Core ML's reshape keeps it");
  if (target.size() != 2 && target.size() != 4) b.fail("shape " + dims_text(target) + " has rank " + std::to_string(target.size()) + "; rank-5 Core ML carries [N, C] or [N, C, H, W]");
  auto& reshape = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_reshape();
  reshape.add_targetshape(target[1]);
  reshape.add_targetshape(target.size() == 4 ? target[2] : 1);
  reshape.add_targetshape(target.size() == 4 ? target[3] : 1);
  reshape.set_mode(cml::ReshapeLayerParams::CHANNEL_FIRST);
  b.set_output_shape(0, target);
}

void build_transpose_layer(LayerBuilder& b) {
  const auto x = b.shape(0);
  std::vector<std::int64_t> reversed(x.size());
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  const auto perm = b.attr_ints("perm", reversed);
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(x.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) b.fail("attribute 'perm'=" + dims_text(perm) + " is not a permutation of the " + std::to_string(x.size()) + " axes");
  if (perm[0] != 0) b.fail("attribute 'perm'=" + dims_text(perm) + " moves the batch axis; Core ML's permute keeps it");
  if (perm == identity) {
    b.alias_output(0, 0);
    return;
  }
  if (x.size() != 4) b.fail("transposing a rank-" + std::to_string(x.size()) + " tensor is not supported; only [N, C, H, W]");
  // Core ML numbers the permutable axes Seq=0, C=1, H=2, W=3; ONNX's C, H, W are 1, 2, 3.
  auto& permute = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_permute();
  permute.add_axis(0);
  for (std::size_t i = 1; i < 4; ++i) permute.add_axis(static_cast<std::uint64_t>(perm[i]));
  b.set_output_shape(0, {x[0], x[static_cast<std::size_t>(perm[1])], x[static_cast<std::size_t>(perm[2])], x[static_cast<std::size_t>(perm[3])]});
}

void build_passthrough(LayerBuilder& b) {
  // Dropout with training_mode on drops at random: not an inference pass-through.
  if (b.input_count() > 2 && b.has_input(2)) {
    const TensorData* training = b.constant(2);
    const TensorData* ratio = b.has_input(1) ? b.constant(1) : nullptr;
    const bool dropping = ratio == nullptr || ratio->to_floats().at(0) != 0.0F;
    if (dropping && (training == nullptr || training->to_floats().at(0) != 0.0F)) {
      b.fail("training_mode is on (or computed): dropout at random has no Core ML form");
    }
  }
  // Dropout's optional mask output has no meaning at inference.
  for (std::size_t i = 1; i < b.node().outputs.size(); ++i) {
    if (!b.node().outputs[i]->consumers.empty() || b.graph().is_output(*b.node().outputs[i])) {
      b.fail("output '" + b.node().outputs[i]->name + "' (the dropout mask) is used, but has no inference-time value");
    }
  }
  b.alias_output(0, 0);
}

}  // namespace mlconv::converter
