// Kernels of the shape family, part 1: the classic (spec 1-3) layout layers --
// reshape, flatten, permute, concat, split, slice, reorganizeData,
// sequenceRepeat -- which see blobs as [Seq, Batch, C, H, W] in rank-5 models
// and work on the trailing [C, H, W] axes of ND blobs. The ND layers live in
// shape_nd.cc, shape_slice.cc and shape_fill.cc; see docs/executor/shape.md.
#include <algorithm>
#include <cstring>

#include "executor/kernel_registry.h"
#include "executor/kernels/common.h"
#include "executor/kernels/shape_ops.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

using namespace shape;

class Reshape final : public Kernel {
 public:
  Reshape(const Layer& layer, const BuildContext& ctx) : mapping_(ctx.array_mapping) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& params = layer.reshape();
    target_.assign(params.targetshape().begin(), params.targetshape().end());
    if (target_.size() != 3 && target_.size() != 4)
      throw Error("targetShape " + to_string(target_) + " must have 3 ([C, H, W]) or 4 ([Seq, C, H, W]) entries");
    // One -1 asks for the size the element count implies: onnx-coreml writes
    // ONNX's `view(-1, N)` as targetShape [-1, N, 1, 1], and Core ML runs it.
    int inferred = 0;
    for (std::int64_t dim : target_) {
      if (dim == -1) ++inferred;
      else if (dim <= 0) throw Error("targetShape " + to_string(target_) + " has a dimension that is not positive");
    }
    if (inferred > 1) throw Error("targetShape " + to_string(target_) + " has more than one -1");
    Shape known = target_;
    std::replace(known.begin(), known.end(), std::int64_t{-1}, std::int64_t{1});
    element_count(known);  // throws when the product overflows
    if (params.mode() != CoreML::Specification::ReshapeLayerParams::CHANNEL_FIRST &&
        params.mode() != CoreML::Specification::ReshapeLayerParams::CHANNEL_LAST)
      throw Error("unknown reshape mode " + std::to_string(params.mode()));
    channel_last_ = params.mode() == CoreML::Specification::ReshapeLayerParams::CHANNEL_LAST;
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const ChwView view = chw_view(in.shape());
    const bool with_seq = target_.size() == 4;
    // The input as [S, B, K]: K = C*H*W items that each sequence step holds per batch item.
    std::int64_t steps = 1;
    std::int64_t batch = view.batch;
    if (mapping_ == ShapeMapping::rank5) {
      if (in.rank() != 5)
        throw Error("expects a rank-5 [Seq, Batch, C, H, W] input, got shape " + shape_to_string(in.shape()));
      steps = in.shape()[0];
      batch = in.shape()[1];
    } else if (with_seq) {  // ND blobs have no batch axis of their own here: every leading axis is sequence
      steps = view.batch;
      batch = 1;
    }
    const std::int64_t items = view.channels * view.height * view.width;
    const Shape target = resolved_target(target_.size() == 4 ? steps * items : items, in.shape());
    const std::int64_t c = target[target.size() - 3];
    const std::int64_t h = target[target.size() - 2];
    const std::int64_t w = target[target.size() - 1];
    const std::int64_t new_steps = with_seq ? target[0] : steps;
    const std::int64_t new_items = c * h * w;
    if (new_steps * new_items != steps * items)
      throw Error("cannot reshape " + shape_to_string(in.shape()) + " to targetShape " + to_string(target_) + ": " +
                  (with_seq ? "Seq*C*H*W" : "C*H*W") + " differ (" + std::to_string(steps * items) + " vs " +
                  std::to_string(new_steps * new_items) + ")");
    Shape shape;
    if (mapping_ == ShapeMapping::rank5) {
      shape = {new_steps, batch, c, h, w};
    } else {
      shape = with_seq ? target : chw_shape(view.leading, c, h, w);
    }
    if (!channel_last_ && (batch == 1 || new_steps == steps)) {
      copy_reshaped(in, std::move(shape), *outputs[0]);
      return;
    }
    // Gather each batch item's sequence into one run (in channel-last order if asked), then cut it anew.
    std::vector<float> sequence(static_cast<std::size_t>(in.size()));
    if (channel_last_) {
      const std::int64_t strides[5] = {items, batch * items, view.width, 1, view.height * view.width};
      gather(in.data(), 0, Shape{batch, steps, view.height, view.width, view.channels}, strides, sequence.data(),
             *ctx.pool);
    } else {
      const std::int64_t strides[3] = {items, batch * items, 1};
      gather(in.data(), 0, Shape{batch, steps, items}, strides, sequence.data(), *ctx.pool);
    }
    outputs[0]->resize(shape);
    if (channel_last_) {
      const std::int64_t strides[5] = {new_items, steps * items, 1, w * c, c};
      gather(sequence.data(), 0, Shape{new_steps, batch, c, h, w}, strides, outputs[0]->data(), *ctx.pool);
    } else {
      const std::int64_t strides[3] = {new_items, steps * items, 1};
      gather(sequence.data(), 0, Shape{new_steps, batch, new_items}, strides, outputs[0]->data(), *ctx.pool);
    }
  }

 private:
  // targetShape with its -1 (if any) replaced by the size that keeps `total`
  // values: Seq*C*H*W for a 4-entry target, C*H*W for a 3-entry one.
  Shape resolved_target(std::int64_t total, const Shape& input) const {
    Shape target = target_;
    const auto unknown = std::find(target.begin(), target.end(), std::int64_t{-1});
    if (unknown == target.end()) return target;
    *unknown = 1;
    const std::int64_t known = element_count(target);
    if (total % known != 0)
      throw Error("cannot reshape " + shape_to_string(input) + " to targetShape " + to_string(target_) + ": " +
                  std::to_string(total) + " values do not divide by " + std::to_string(known));
    *unknown = total / known;
    return target;
  }

  ShapeMapping mapping_;
  Shape target_;
  bool channel_last_ = false;
};

class Flatten final : public Kernel {
 public:
  Flatten(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto mode = layer.flatten().mode();
    if (mode != CoreML::Specification::FlattenLayerParams::CHANNEL_FIRST &&
        mode != CoreML::Specification::FlattenLayerParams::CHANNEL_LAST)
      throw Error("unknown flatten mode " + std::to_string(mode));
    channel_last_ = mode == CoreML::Specification::FlattenLayerParams::CHANNEL_LAST;
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const ChwView v = chw_view(in.shape());
    const std::int64_t items = v.channels * v.height * v.width;
    Shape shape = chw_shape(v.leading, items, 1, 1);
    if (!channel_last_) {
      copy_reshaped(in, std::move(shape), *outputs[0]);
      return;
    }
    outputs[0]->resize(std::move(shape));
    const std::int64_t strides[4] = {items, v.width, 1, v.height * v.width};
    gather(in.data(), 0, Shape{v.batch, v.height, v.width, v.channels}, strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  bool channel_last_ = false;
};

class Permute final : public Kernel {
 public:
  Permute(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& axis = layer.permute().axis();
    std::vector<bool> seen(4, false);
    if (axis.empty()) {
      order_ = {0, 1, 2, 3};
      return;
    }
    bool valid = axis.size() == 4;
    for (int i = 0; valid && i < 4; ++i) {
      const std::uint64_t a = axis.Get(i);
      valid = a < 4 && !seen[a];
      if (valid) seen[a] = true;
      order_.push_back(static_cast<int>(a));
    }
    if (!valid) {
      Shape values(axis.begin(), axis.end());
      throw Error("axis " + to_string(values) + " must be a permutation of [0, 1, 2, 3] (over [Seq, C, H, W])");
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    std::vector<int> perm;
    if (in.rank() == 5) {  // [Seq, Batch, C, H, W]: the batch axis stays
      static constexpr int kPlace[4] = {0, 2, 3, 4};
      perm = {0, 1, 2, 3, 4};
      for (std::size_t i = 0; i < 4; ++i) perm[static_cast<std::size_t>(kPlace[i])] = kPlace[order_[i]];
    } else if (in.rank() == 4) {  // an ND [Seq, C, H, W] blob
      perm = order_;
    } else {
      throw Error("expects a rank-5 [Seq, Batch, C, H, W] or rank-4 [Seq, C, H, W] input, got shape " +
                  shape_to_string(in.shape()));
    }
    transpose(in, perm, *outputs[0], *ctx.pool);
  }

 private:
  std::vector<int> order_;
};

class Concat final : public Kernel {
 public:
  Concat(const Layer& layer, const BuildContext&) : sequence_(layer.concat().sequenceconcat()) {
    expect_inputs(layer, 1, -1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const int back = sequence_ ? 5 : 3;
    const int rank = inputs[0]->rank();
    if (rank < back)
      throw Error(std::string(sequence_ ? "sequenceConcat needs inputs of rank >= 5" : "needs inputs of rank >= 3") +
                  ", got shape " + shape_to_string(inputs[0]->shape()));
    concat(inputs, rank - back, false, *outputs[0], *ctx.pool);
  }

 private:
  bool sequence_;
};

class Split final : public Kernel {
 public:
  Split(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, -1);
    const std::uint64_t n = layer.split().noutputs();
    count_ = layer.output_size();
    if (n != 0 && n != static_cast<std::uint64_t>(count_))
      throw Error("nOutputs is " + std::to_string(n) + " but the layer has " + std::to_string(count_) + " outputs");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (in.rank() < 3) throw Error("needs an input of rank >= 3, got shape " + shape_to_string(in.shape()));
    const std::int64_t channels = in.dim(-3);
    if (channels % count_ != 0)
      throw Error("cannot split " + std::to_string(channels) + " channels (shape " + shape_to_string(in.shape()) +
                  ") into " + std::to_string(count_) + " equal parts");
    const std::vector<std::int64_t> sizes(static_cast<std::size_t>(count_), channels / count_);
    split(in, in.rank() - 3, sizes, outputs, *ctx.pool);
  }

 private:
  int count_ = 0;
};

class Slice final : public Kernel {
 public:
  Slice(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& params = layer.slice();
    start_ = params.startindex();
    end_ = params.endindex();
    if (params.stride() == 0) throw Error("stride must be positive, is 0");
    if (params.stride() > (1ULL << 62)) throw Error("stride " + std::to_string(params.stride()) + " is too large");
    stride_ = static_cast<std::int64_t>(params.stride());
    switch (params.axis()) {
      case CoreML::Specification::SliceLayerParams::CHANNEL_AXIS:
        back_ = 3;
        break;
      case CoreML::Specification::SliceLayerParams::HEIGHT_AXIS:
        back_ = 2;
        break;
      case CoreML::Specification::SliceLayerParams::WIDTH_AXIS:
        back_ = 1;
        break;
      default:
        throw Error("unknown slice axis " + std::to_string(params.axis()));
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (in.rank() < back_)
      throw Error("slicing axis -" + std::to_string(back_) + " needs an input of rank >= " + std::to_string(back_) +
                  ", got shape " + shape_to_string(in.shape()));
    const auto axis = static_cast<std::size_t>(in.rank() - back_);
    const std::int64_t length = in.shape()[axis];
    // Python slicing: negative indices count from the end, then both clamp to [0, length].
    const std::int64_t begin = std::clamp<std::int64_t>(start_ < 0 ? start_ + length : start_, 0, length);
    const std::int64_t end = std::clamp<std::int64_t>(end_ < 0 ? end_ + length : end_, 0, length);
    const std::int64_t count = end > begin ? (end - begin + stride_ - 1) / stride_ : 0;
    if (count == 0)
      throw Error("slice [" + std::to_string(start_) + ":" + std::to_string(end_) + ":" + std::to_string(stride_) +
                  "] of an axis of length " + std::to_string(length) + " is empty");
    Shape shape = in.shape();
    shape[axis] = count;
    auto strides = strides_of(in.shape());
    const std::int64_t base = begin * strides[axis];
    strides[axis] *= count == 1 ? 1 : stride_;  // a lone element needs no step (and a huge one would overflow)
    outputs[0]->resize(shape);
    gather(in.data(), base, shape, strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  std::int64_t start_ = 0;
  std::int64_t end_ = 0;
  std::int64_t stride_ = 1;
  int back_ = 3;
};

class ReorganizeData final : public Kernel {
 public:
  using Params = CoreML::Specification::ReorganizeDataLayerParams;

  ReorganizeData(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& params = layer.reorganizedata();
    mode_ = params.mode();
    if (mode_ != Params::SPACE_TO_DEPTH && mode_ != Params::DEPTH_TO_SPACE && mode_ != Params::PIXEL_SHUFFLE)
      throw Error("unknown reorganizeData mode " + std::to_string(mode_));
    if (params.blocksize() < 2) throw Error("blockSize must be at least 2, is " + std::to_string(params.blocksize()));
    if (params.blocksize() > (1U << 16))
      throw Error("blockSize " + std::to_string(params.blocksize()) + " is too large");
    block_ = static_cast<std::int64_t>(params.blocksize());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const ChwView v = chw_view(in.shape());
    const std::int64_t b = block_;
    const std::int64_t hw = v.height * v.width;
    const std::int64_t n_stride = v.channels * hw;
    Tensor& out = *outputs[0];
    if (mode_ == Params::SPACE_TO_DEPTH) {
      if (v.height % b != 0 || v.width % b != 0)
        throw Error("blockSize " + std::to_string(b) + " must divide height and width of shape " +
                    shape_to_string(in.shape()));
      const std::int64_t h = v.height / b;
      const std::int64_t w = v.width / b;
      out.resize(chw_shape(v.leading, v.channels * b * b, h, w));
      // out[(i*b + j)*C + c, y, x] = in[c, y*b + i, x*b + j]
      const std::int64_t strides[6] = {n_stride, v.width, 1, hw, b * v.width, b};
      gather(in.data(), 0, Shape{v.batch, b, b, v.channels, h, w}, strides, out.data(), *ctx.pool);
      return;
    }
    if (v.channels % (b * b) != 0)
      throw Error("blockSize squared (" + std::to_string(b * b) + ") must divide the channels of shape " +
                  shape_to_string(in.shape()));
    const std::int64_t c = v.channels / (b * b);
    out.resize(chw_shape(v.leading, c, v.height * b, v.width * b));
    // out[k, y*b + i, x*b + j] = in[channel(k, i, j), y, x], where the channel is
    // (i*b + j)*C_out + k for DEPTH_TO_SPACE and k*b*b + i*b + j for PIXEL_SHUFFLE.
    const bool shuffle = mode_ == Params::PIXEL_SHUFFLE;
    const std::int64_t k_stride = shuffle ? b * b * hw : hw;
    const std::int64_t i_stride = shuffle ? b * hw : b * c * hw;
    const std::int64_t j_stride = shuffle ? hw : c * hw;
    const std::int64_t strides[6] = {n_stride, k_stride, v.width, i_stride, 1, j_stride};
    gather(in.data(), 0, Shape{v.batch, c, v.height, b, v.width, b}, strides, out.data(), *ctx.pool);
  }

 private:
  int mode_ = 0;
  std::int64_t block_ = 2;
};

class SequenceRepeat final : public Kernel {
 public:
  SequenceRepeat(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const std::uint64_t n = layer.sequencerepeat().nrepetitions();
    if (n > (1U << 30)) throw Error("nRepetitions " + std::to_string(n) + " is too large");
    repetitions_ = n == 0 ? 1 : static_cast<std::int64_t>(n);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const Tensor& in = *inputs[0];
    if (in.rank() < 5)
      throw Error("needs an input of rank >= 5 ([Seq, Batch, C, H, W]), got shape " + shape_to_string(in.shape()));
    const auto axis = static_cast<std::size_t>(in.rank() - 5);
    Shape shape = in.shape();
    shape[axis] *= repetitions_;
    outputs[0]->resize(shape);
    std::int64_t outer = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
    const std::int64_t block = in.size() / std::max<std::int64_t>(1, outer);
    float* dst = outputs[0]->data();
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t r = 0; r < repetitions_; ++r, dst += block)
        std::memcpy(dst, in.data() + o * block, static_cast<std::size_t>(block) * sizeof(float));
  }

 private:
  std::int64_t repetitions_ = 1;
};

}  // namespace

void register_shape_kernels(KernelRegistry& registry) {
  registry.add(Layer::kReshape, make<Reshape>);
  registry.add(Layer::kFlatten, make<Flatten>);
  registry.add(Layer::kPermute, make<Permute>);
  registry.add(Layer::kConcat, make<Concat>);
  registry.add(Layer::kSplit, make<Split>);
  registry.add(Layer::kSlice, make<Slice>);
  registry.add(Layer::kReorganizeData, make<ReorganizeData>);
  registry.add(Layer::kSequenceRepeat, make<SequenceRepeat>);
  shape::register_nd_kernels(registry);
  shape::register_slice_kernels(registry);
  shape::register_fill_kernels(registry);
}

}  // namespace mlconv::exec
