// Kernels of the shape family, part 2: ND layout layers (spec 4+) that keep
// the data and change the shape or order -- transpose, concatND, splitND,
// squeeze, expandDims, flattenTo2D, the reshapes, stack, getShape, copy,
// reverse, reverseSeq.
#include <algorithm>
#include <cstring>

#include "executor/kernels/common.h"
#include "executor/kernels/shape_ops.h"
#include "spec/error.h"

namespace mlconv::exec::shape {
namespace {

// A target shape with at most one -1 (inferred from the element count) and,
// when `keep` is given, 0 entries that copy the input's dimension.
Shape resolve_shape(std::span<const std::int64_t> target, const Shape* keep, std::int64_t count, const Shape& input,
                    std::string_view what) {
  Shape shape(target.begin(), target.end());
  int inferred = -1;
  std::int64_t known = 1;
  bool fits = true;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && keep != nullptr) shape[i] = (*keep)[i];
    if (shape[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
      continue;
    }
    if (shape[i] <= 0)
      throw Error(std::string(what) + " " + to_string(target) + " has entry " + std::to_string(target[i]) +
                  (keep != nullptr ? "; expected positive sizes, 0 (keep the input's) or one -1"
                                   : "; expected positive sizes or one -1"));
    if (shape[i] > count / known) fits = false;  // more elements than the input has (checked without overflow)
    if (fits) known *= shape[i];
  }
  if (fits && inferred >= 0 && count % known == 0) shape[static_cast<std::size_t>(inferred)] = count / known;
  if (!fits || (inferred >= 0 && count % known != 0) || (inferred < 0 && known != count))
    throw Error("cannot reshape " + shape_to_string(input) + " (" + std::to_string(count) + " elements) to " +
                std::string(what) + " " + to_string(target));
  return shape;
}

class Transpose final : public Kernel {
 public:
  Transpose(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& axes = layer.transpose().axes();
    std::vector<bool> seen(static_cast<std::size_t>(axes.size()), false);
    for (std::uint64_t a : axes) {
      if (a >= seen.size() || seen[a]) {
        Shape values(axes.begin(), axes.end());
        throw Error("axes " + to_string(values) + " must be a permutation of [0, ..., " +
                    std::to_string(axes.size() - 1) + "]");
      }
      seen[a] = true;
      perm_.push_back(static_cast<int>(a));
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (static_cast<int>(perm_.size()) != in.rank())
      throw Error("axes has " + std::to_string(perm_.size()) + " entries but the input " + shape_to_string(in.shape()) +
                  " has rank " + std::to_string(in.rank()));
    transpose(in, perm_, *outputs[0], *ctx.pool);
  }

 private:
  std::vector<int> perm_;
};

class ConcatND final : public Kernel {
 public:
  ConcatND(const Layer& layer, const BuildContext&)
      : axis_(layer.concatnd().axis()), interleave_(layer.concatnd().interleave()) {
    expect_inputs(layer, 1, -1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    concat(inputs, normalize_axis(axis_, inputs[0]->rank()), interleave_, *outputs[0], *ctx.pool);
  }

 private:
  std::int64_t axis_;
  bool interleave_;
};

class SplitND final : public Kernel {
 public:
  SplitND(const Layer& layer, const BuildContext&) : axis_(layer.splitnd().axis()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, -1);
    const auto& params = layer.splitnd();
    const auto outputs = static_cast<std::uint64_t>(layer.output_size());
    if (!params.splitsizes().empty()) {
      for (std::uint64_t size : params.splitsizes()) {
        if (size == 0 || size > (1ULL << 62))
          throw Error("splitSizes entry " + std::to_string(size) + " is not a positive size");
        sizes_.push_back(static_cast<std::int64_t>(size));
      }
      if (sizes_.size() != outputs)
        throw Error("splitSizes " + to_string(sizes_) + " has " + std::to_string(sizes_.size()) +
                    " entries but the layer has " + std::to_string(outputs) + " outputs");
    } else if (params.numsplits() != 0 && params.numsplits() != outputs) {
      throw Error("numSplits is " + std::to_string(params.numsplits()) + " but the layer has " +
                  std::to_string(outputs) + " outputs");
    }
    count_ = static_cast<std::int64_t>(outputs);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const int axis = normalize_axis(axis_, in.rank());
    const std::int64_t length = in.shape()[static_cast<std::size_t>(axis)];
    std::vector<std::int64_t> sizes = sizes_;
    if (sizes.empty()) {
      if (length % count_ != 0)
        throw Error("cannot split axis " + std::to_string(axis_) + " of length " + std::to_string(length) + " (shape " +
                    shape_to_string(in.shape()) + ") into " + std::to_string(count_) + " equal parts");
      sizes.assign(static_cast<std::size_t>(count_), length / count_);
    } else {
      std::int64_t total = 0;
      for (std::int64_t size : sizes) total = size > length - total ? length + 1 : total + size;  // no overflow
      if (total != length)
        throw Error("splitSizes " + to_string(sizes) + " do not add up to " + std::to_string(length) +
                    ", the length of axis " + std::to_string(axis_) + " of shape " + shape_to_string(in.shape()));
    }
    split(in, axis, sizes, outputs, *ctx.pool);
  }

 private:
  std::int64_t axis_;
  std::vector<std::int64_t> sizes_;
  std::int64_t count_ = 1;
};

class Squeeze final : public Kernel {
 public:
  Squeeze(const Layer& layer, const BuildContext&)
      : axes_(layer.squeeze().axes().begin(), layer.squeeze().axes().end()), all_(layer.squeeze().squeezeall()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    if (!all_ && axes_.empty()) throw Error("no axes to squeeze: set axes or squeezeAll");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    std::vector<bool> drop(static_cast<std::size_t>(in.rank()), false);
    for (std::size_t i = 0; i < drop.size(); ++i) drop[i] = all_ && in.shape()[i] == 1;
    if (!all_) {
      for (std::int64_t axis : axes_) {
        const auto a = static_cast<std::size_t>(normalize_axis(axis, in.rank()));
        if (in.shape()[a] != 1)
          throw Error("cannot squeeze axis " + std::to_string(axis) + " of shape " + shape_to_string(in.shape()) +
                      ": its size is " + std::to_string(in.shape()[a]) + ", not 1");
        drop[a] = true;
      }
    }
    Shape shape;
    for (std::size_t i = 0; i < drop.size(); ++i)
      if (!drop[i]) shape.push_back(in.shape()[i]);
    if (shape.empty()) shape.push_back(1);  // no rank-0 blobs: a squeezed scalar stays [1]
    copy_reshaped(in, std::move(shape), *outputs[0]);
  }

 private:
  std::vector<std::int64_t> axes_;
  bool all_;
};

class ExpandDims final : public Kernel {
 public:
  ExpandDims(const Layer& layer, const BuildContext&)
      : axes_(layer.expanddims().axes().begin(), layer.expanddims().axes().end()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    if (axes_.empty()) throw Error("axes is empty; expected the axes to insert");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    const int rank = in.rank() + static_cast<int>(axes_.size());
    std::vector<bool> unit(static_cast<std::size_t>(rank), false);
    for (std::int64_t axis : axes_) {
      const auto a = static_cast<std::size_t>(normalize_axis(axis, rank));
      if (unit[a]) throw Error("axes " + to_string(axes_) + " names output axis " + std::to_string(a) + " twice");
      unit[a] = true;
    }
    Shape shape;
    std::size_t next = 0;
    for (std::size_t i = 0; i < unit.size(); ++i) shape.push_back(unit[i] ? 1 : in.shape()[next++]);
    copy_reshaped(in, std::move(shape), *outputs[0]);
  }

 private:
  std::vector<std::int64_t> axes_;
};

class FlattenTo2D final : public Kernel {
 public:
  FlattenTo2D(const Layer& layer, const BuildContext&) : axis_(layer.flattento2d().axis()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    const std::int64_t axis = axis_ < 0 ? axis_ + in.rank() : axis_;
    if (axis < 0 || axis > in.rank())
      throw Error("axis " + std::to_string(axis_) + " is out of range for flattening rank " +
                  std::to_string(in.rank()) + " (expected -rank to rank)");
    std::int64_t rows = 1;
    for (std::int64_t i = 0; i < axis; ++i) rows *= in.shape()[static_cast<std::size_t>(i)];
    copy_reshaped(in, Shape{rows, rows == 0 ? 0 : in.size() / rows}, *outputs[0]);
  }

 private:
  std::int64_t axis_;
};

class ReshapeStatic final : public Kernel {
 public:
  ReshapeStatic(const Layer& layer, const BuildContext&)
      : target_(layer.reshapestatic().targetshape().begin(), layer.reshapestatic().targetshape().end()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    if (target_.empty()) throw Error("targetShape is empty");
    if (std::count(target_.begin(), target_.end(), -1) > 1)
      throw Error("targetShape " + to_string(target_) + " has more than one -1");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    copy_reshaped(in, resolve_shape(target_, nullptr, in.size(), in.shape(), "targetShape"), *outputs[0]);
  }

 private:
  Shape target_;
};

class ReshapeLike final : public Kernel {
 public:
  ReshapeLike(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    copy_reshaped(*inputs[0], inputs[1]->shape(), *outputs[0]);
  }
};

class ReshapeDynamic final : public Kernel {
 public:
  ReshapeDynamic(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    const Shape target = read_integers(*inputs[1], "the shape input");
    if (target.empty()) throw Error("the shape input is empty");
    copy_reshaped(in, resolve_shape(target, nullptr, in.size(), in.shape(), "shape"), *outputs[0]);
  }
};

class RankPreservingReshape final : public Kernel {
 public:
  RankPreservingReshape(const Layer& layer, const BuildContext&)
      : target_(layer.rankpreservingreshape().targetshape().begin(),
                layer.rankpreservingreshape().targetshape().end()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    if (std::count(target_.begin(), target_.end(), -1) > 1)
      throw Error("targetShape " + to_string(target_) + " has more than one -1");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    if (static_cast<int>(target_.size()) != in.rank())
      throw Error("targetShape " + to_string(target_) + " has " + std::to_string(target_.size()) +
                  " entries but the input " + shape_to_string(in.shape()) + " has rank " + std::to_string(in.rank()));
    copy_reshaped(in, resolve_shape(target_, &in.shape(), in.size(), in.shape(), "targetShape"), *outputs[0]);
  }

 private:
  Shape target_;
};

class Stack final : public Kernel {
 public:
  Stack(const Layer& layer, const BuildContext&) : axis_(layer.stack().axis()) {
    expect_inputs(layer, 1, -1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Shape& first = inputs[0]->shape();
    for (const Tensor* input : inputs)
      if (input->shape() != first)
        throw Error("cannot stack shapes " + shape_to_string(first) + " and " + shape_to_string(input->shape()) +
                    " (all inputs must have the same shape)");
    const auto axis = static_cast<std::size_t>(normalize_axis(axis_, static_cast<int>(first.size()) + 1));
    Shape shape = first;
    const auto count = static_cast<std::int64_t>(inputs.size());
    shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(axis), count);
    outputs[0]->resize(shape);
    std::int64_t inner = 1;
    for (std::size_t i = axis; i < first.size(); ++i) inner *= first[i];
    const std::int64_t outer = inputs[0]->size() / std::max<std::int64_t>(1, inner);
    float* out = outputs[0]->data();
    ctx.pool->parallel_for(outer, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(1, inner * count)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t o = begin; o < end; ++o)
                               for (std::int64_t k = 0; k < count; ++k)
                                 std::memcpy(out + (o * count + k) * inner,
                                             inputs[static_cast<std::size_t>(k)]->data() + o * inner,
                                             static_cast<std::size_t>(inner) * sizeof(float));
                           });
  }

 private:
  std::int64_t axis_;
};

class GetShape final : public Kernel {
 public:
  GetShape(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Shape& shape = inputs[0]->shape();
    outputs[0]->resize(Shape{static_cast<std::int64_t>(shape.size())});
    for (std::size_t i = 0; i < shape.size(); ++i) outputs[0]->data()[i] = static_cast<float>(shape[i]);
  }
};

class Copy final : public Kernel {
 public:
  Copy(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    copy_reshaped(*inputs[0], inputs[0]->shape(), *outputs[0]);
  }
};

class Reverse final : public Kernel {
 public:
  Reverse(const Layer& layer, const BuildContext&)
      : flip_(layer.reverse().reversedim().begin(), layer.reverse().reversedim().end()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (static_cast<int>(flip_.size()) != in.rank())
      throw Error("reverseDim has " + std::to_string(flip_.size()) + " entries but the input " +
                  shape_to_string(in.shape()) + " has rank " + std::to_string(in.rank()));
    auto strides = strides_of(in.shape());
    std::int64_t base = 0;
    for (std::size_t i = 0; i < flip_.size(); ++i) {
      if (!flip_[i]) continue;
      base += (in.shape()[i] - 1) * strides[i];
      strides[i] = -strides[i];
    }
    outputs[0]->resize(in.shape());
    gather(in.data(), base, in.shape(), strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  std::vector<bool> flip_;
};

class ReverseSeq final : public Kernel {
 public:
  ReverseSeq(const Layer& layer, const BuildContext&)
      : batch_axis_(layer.reverseseq().batchaxis()), seq_axis_(layer.reverseseq().sequenceaxis()) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const int batch_axis = normalize_axis(batch_axis_, in.rank());
    const int seq_axis = normalize_axis(seq_axis_, in.rank());
    if (batch_axis >= seq_axis)
      throw Error("batchAxis " + std::to_string(batch_axis_) + " must come before sequenceAxis " +
                  std::to_string(seq_axis_) + " (input rank " + std::to_string(in.rank()) + ")");
    const Shape& s = in.shape();
    const std::int64_t batch = s[static_cast<std::size_t>(batch_axis)];
    const std::int64_t length = s[static_cast<std::size_t>(seq_axis)];
    const std::vector<std::int64_t> lengths = read_integers(*inputs[1], "the sequence lengths input");
    if (static_cast<std::int64_t>(lengths.size()) != batch)
      throw Error("the sequence lengths input has " + std::to_string(lengths.size()) + " values but batch axis " +
                  std::to_string(batch_axis_) + " of " + shape_to_string(s) + " has size " + std::to_string(batch));
    for (std::int64_t value : lengths)
      if (value < 0 || value > length)
        throw Error("sequence length " + std::to_string(value) + " is outside [0, " + std::to_string(length) +
                    "], the length of sequence axis " + std::to_string(seq_axis_));
    // [outer, batch, middle, length, inner]
    std::int64_t outer = 1;
    std::int64_t middle = 1;
    std::int64_t inner = 1;
    for (int i = 0; i < in.rank(); ++i) {
      const std::int64_t d = s[static_cast<std::size_t>(i)];
      if (i < batch_axis) outer *= d;
      if (i > batch_axis && i < seq_axis) middle *= d;
      if (i > seq_axis) inner *= d;
    }
    outputs[0]->resize(s);
    float* out = outputs[0]->data();
    const float* src = in.data();
    const std::int64_t block = length * inner;
    ctx.pool->parallel_for(outer * batch * middle,
                           std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(1, block)),
                           [&](std::int64_t begin, std::int64_t end) {
                             for (std::int64_t r = begin; r < end; ++r) {
                               const std::int64_t reversed = lengths[static_cast<std::size_t>((r / middle) % batch)];
                               for (std::int64_t l = 0; l < length; ++l) {
                                 const std::int64_t from = l < reversed ? reversed - 1 - l : l;
                                 std::memcpy(out + r * block + l * inner, src + r * block + from * inner,
                                             static_cast<std::size_t>(inner) * sizeof(float));
                               }
                             }
                           });
  }

 private:
  std::int64_t batch_axis_;
  std::int64_t seq_axis_;
};

}  // namespace

void register_nd_kernels(KernelRegistry& registry) {
  registry.add(Layer::kTranspose, make<Transpose>);
  registry.add(Layer::kConcatND, make<ConcatND>);
  registry.add(Layer::kSplitND, make<SplitND>);
  registry.add(Layer::kSqueeze, make<Squeeze>);
  registry.add(Layer::kExpandDims, make<ExpandDims>);
  registry.add(Layer::kFlattenTo2D, make<FlattenTo2D>);
  registry.add(Layer::kReshapeStatic, make<ReshapeStatic>);
  registry.add(Layer::kReshapeLike, make<ReshapeLike>);
  registry.add(Layer::kReshapeDynamic, make<ReshapeDynamic>);
  registry.add(Layer::kRankPreservingReshape, make<RankPreservingReshape>);
  registry.add(Layer::kStack, make<Stack>);
  registry.add(Layer::kGetShape, make<GetShape>);
  registry.add(Layer::kCopy, make<Copy>);
  registry.add(Layer::kReverse, make<Reverse>);
  registry.add(Layer::kReverseSeq, make<ReverseSeq>);
}

}  // namespace mlconv::exec::shape
