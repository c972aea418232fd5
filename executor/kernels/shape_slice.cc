// Kernels of the shape family, part 3: ND layers that cut or enlarge a tensor
// -- sliceStatic, sliceDynamic, sliceBySize, slidingWindows, tile,
// constantPad.
#include <algorithm>
#include <cstring>

#include "executor/kernels/common.h"
#include "executor/kernels/shape_ops.h"
#include "spec/error.h"

namespace mlconv::exec::shape {
namespace {

// A strided slice with NumPy's rules (begin/end clamped, negative strides
// allowed); a squeezed axis takes exactly index begin and disappears.
struct SliceArguments {
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
  std::vector<std::int64_t> strides;
  std::vector<bool> begin_mask;
  std::vector<bool> end_mask;
  std::vector<bool> squeeze;
};

void expect_length(std::size_t length, int rank, std::string_view what, bool may_be_empty) {
  if (static_cast<int>(length) == rank || (may_be_empty && length == 0)) return;
  throw Error(std::string(what) + " has " + std::to_string(length) + " entries; expected one per input axis (" +
              std::to_string(rank) + ")");
}

void strided_slice(const Tensor& in, const SliceArguments& args, Tensor& out, ThreadPool& pool) {
  const int rank = in.rank();
  expect_length(args.begin.size(), rank, "beginIds", false);
  expect_length(args.end.size(), rank, "endIds", false);
  expect_length(args.strides.size(), rank, "strides", false);
  expect_length(args.begin_mask.size(), rank, "beginMasks", true);
  expect_length(args.end_mask.size(), rank, "endMasks", true);
  expect_length(args.squeeze.size(), rank, "squeezeMasks", true);
  const auto in_strides = strides_of(in.shape());
  Shape view;
  Shape shape;
  std::vector<std::int64_t> steps;
  std::int64_t base = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(rank); ++i) {
    const std::int64_t n = in.shape()[i];
    const std::int64_t step = args.strides[i];
    const auto resolve = [n](std::int64_t index) { return index < 0 ? index + n : index; };
    std::int64_t first = 0;
    std::int64_t count = 0;
    if (!args.squeeze.empty() && args.squeeze[i]) {
      first = resolve(args.begin[i]);
      if (first < 0 || first >= n)
        throw Error("squeezed index " + std::to_string(args.begin[i]) + " is out of range for axis " +
                    std::to_string(i) + " of length " + std::to_string(n));
      view.push_back(1);
      steps.push_back(0);
      base += first * in_strides[i];
      continue;
    }
    const bool begin_masked = !args.begin_mask.empty() && args.begin_mask[i];
    const bool end_masked = !args.end_mask.empty() && args.end_mask[i];
    if (step == 0) throw Error("stride of axis " + std::to_string(i) + " is 0");
    if (step > 0) {
      first = begin_masked ? 0 : std::clamp<std::int64_t>(resolve(args.begin[i]), 0, n);
      const std::int64_t last = end_masked ? n : std::clamp<std::int64_t>(resolve(args.end[i]), 0, n);
      count = last > first ? (last - first + step - 1) / step : 0;
    } else {
      first = begin_masked ? n - 1 : std::clamp<std::int64_t>(resolve(args.begin[i]), -1, n - 1);
      const std::int64_t last = end_masked ? -1 : std::clamp<std::int64_t>(resolve(args.end[i]), -1, n - 1);
      count = first > last ? (first - last - step - 1) / -step : 0;
    }
    if (count == 0)
      throw Error("the slice of axis " + std::to_string(i) + " (length " + std::to_string(n) + ", begin " +
                  (begin_masked ? std::string("masked") : std::to_string(args.begin[i])) + ", end " +
                  (end_masked ? std::string("masked") : std::to_string(args.end[i])) + ", stride " +
                  std::to_string(step) + ") is empty");
    view.push_back(count);
    shape.push_back(count);
    steps.push_back(count == 1 ? 0 : step * in_strides[i]);  // |step| < n when count > 1, so no overflow
    base += first * in_strides[i];
  }
  if (shape.empty()) shape.push_back(1);  // every axis squeezed: no rank-0 blobs
  out.resize(shape);
  gather(in.data(), base, view, steps, out.data(), pool);
}

std::vector<bool> to_bools(std::span<const std::int64_t> values) {
  std::vector<bool> flags;
  for (std::int64_t v : values) flags.push_back(v != 0);
  return flags;
}

template <typename Field>
std::vector<bool> bools_of(const Field& field) {
  return {field.begin(), field.end()};
}

class SliceStatic final : public Kernel {
 public:
  SliceStatic(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& p = layer.slicestatic();
    args_.begin.assign(p.beginids().begin(), p.beginids().end());
    args_.end.assign(p.endids().begin(), p.endids().end());
    args_.strides.assign(p.strides().begin(), p.strides().end());
    args_.begin_mask = bools_of(p.beginmasks());
    args_.end_mask = bools_of(p.endmasks());
    args_.squeeze = bools_of(p.squeezemasks());
    if (args_.begin.size() != args_.end.size() || args_.begin.size() != args_.strides.size())
      throw Error("beginIds, endIds and strides have " + std::to_string(args_.begin.size()) + ", " +
                  std::to_string(args_.end.size()) + " and " + std::to_string(args_.strides.size()) +
                  " entries; expected one each per input axis");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    strided_slice(*inputs[0], args_, *outputs[0], *ctx.pool);
  }

 private:
  SliceArguments args_;
};

class SliceDynamic final : public Kernel {
 public:
  SliceDynamic(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 2, 7);
    expect_outputs(layer, 1, 1);
    const auto& p = layer.slicedynamic();
    args_.end.assign(p.endids().begin(), p.endids().end());
    args_.strides.assign(p.strides().begin(), p.strides().end());
    args_.begin_mask = bools_of(p.beginmasks());
    args_.end_mask = bools_of(p.endmasks());
    args_.squeeze = bools_of(p.squeezemasks());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    SliceArguments args = args_;
    args.begin = read_integers(*inputs[1], "the beginIds input");
    if (inputs.size() > 2) args.end = read_integers(*inputs[2], "the endIds input");
    if (inputs.size() > 3) args.strides = read_integers(*inputs[3], "the strides input");
    if (inputs.size() > 4) args.begin_mask = to_bools(read_integers(*inputs[4], "the beginMasks input"));
    if (inputs.size() > 5) args.end_mask = to_bools(read_integers(*inputs[5], "the endMasks input"));
    if (inputs.size() > 6) args.squeeze = to_bools(read_integers(*inputs[6], "the squeezeMasks input"));
    strided_slice(*inputs[0], args, *outputs[0], *ctx.pool);
  }

 private:
  SliceArguments args_;
};

class SliceBySize final : public Kernel {
 public:
  SliceBySize(const Layer& layer, const BuildContext&)
      : size_(layer.slicebysize().size()), axis_(layer.slicebysize().axis()) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
    if (size_ <= 0) throw Error("size must be positive, is " + std::to_string(size_));
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const auto axis = static_cast<std::size_t>(normalize_axis(axis_, in.rank()));
    const std::int64_t n = in.shape()[axis];
    const std::int64_t given = read_scalar_integer(*inputs[1], "the begin input");
    const std::int64_t begin = given < 0 ? given + n : given;
    if (begin < 0 || size_ > n || begin > n - size_)
      throw Error("slice of size " + std::to_string(size_) + " from index " + std::to_string(given) +
                  " does not fit axis " + std::to_string(axis_) + " of length " + std::to_string(n));
    Shape shape = in.shape();
    shape[axis] = size_;
    const auto strides = strides_of(in.shape());
    outputs[0]->resize(shape);
    gather(in.data(), begin * strides[axis], shape, strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  std::int64_t size_;
  std::int64_t axis_;
};

class SlidingWindows final : public Kernel {
 public:
  SlidingWindows(const Layer& layer, const BuildContext&) : axis_(layer.slidingwindows().axis()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
    const auto& p = layer.slidingwindows();
    if (p.windowsize() == 0 || p.windowsize() > (1ULL << 40))
      throw Error("windowSize must be positive, is " + std::to_string(p.windowsize()));
    if (p.step() == 0 || p.step() > (1ULL << 40)) throw Error("step must be positive, is " + std::to_string(p.step()));
    window_ = static_cast<std::int64_t>(p.windowsize());
    step_ = static_cast<std::int64_t>(p.step());
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    const auto axis = static_cast<std::size_t>(normalize_axis(axis_, in.rank()));
    const std::int64_t length = in.shape()[axis];
    if (window_ > length)
      throw Error("windowSize " + std::to_string(window_) + " is longer than axis " + std::to_string(axis_) +
                  " of shape " + shape_to_string(in.shape()));
    const std::int64_t windows = (length - window_) / step_ + 1;
    Shape shape = in.shape();
    shape[axis] = windows;
    shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, window_);
    std::int64_t outer = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= in.shape()[i];
    const std::int64_t inner = in.size() / std::max<std::int64_t>(1, outer * length);
    outputs[0]->resize(shape);
    const std::int64_t strides[4] = {length * inner, windows == 1 ? 0 : step_ * inner, inner, 1};
    gather(in.data(), 0, Shape{outer, windows, window_, inner}, strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  std::int64_t axis_;
  std::int64_t window_ = 1;
  std::int64_t step_ = 1;
};

class Tile final : public Kernel {
 public:
  Tile(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 2);
    expect_outputs(layer, 1, 1);
    reps_.assign(layer.tile().reps().begin(), layer.tile().reps().end());
    if (layer.input_size() == 1 && reps_.empty()) throw Error("reps is empty; expected 1 to rank repetition counts");
    for (std::int64_t r : reps_)
      if (r <= 0 || r > (1LL << 40)) throw Error("reps " + to_string(reps_) + " has a count that is not positive");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    std::vector<std::int64_t> reps = reps_;
    if (inputs.size() == 2) {
      reps = read_integers(*inputs[1], "the reps input");
      for (std::int64_t r : reps)
        if (r <= 0) throw Error("the reps input " + to_string(reps) + " has a count that is not positive");
    }
    if (reps.empty() || static_cast<int>(reps.size()) > in.rank())
      throw Error("reps " + to_string(reps) + " must have 1 to " + std::to_string(in.rank()) +
                  " entries for input shape " + shape_to_string(in.shape()));
    reps.insert(reps.begin(), static_cast<std::size_t>(in.rank()) - reps.size(), 1);
    // Tiling is broadcasting [1, d0, 1, d1, ...] to [r0, d0, r1, d1, ...].
    const auto in_strides = strides_of(in.shape());
    Shape view;
    Shape shape;
    std::vector<std::int64_t> strides;
    for (std::size_t i = 0; i < reps.size(); ++i) {
      view.insert(view.end(), {reps[i], in.shape()[i]});
      strides.insert(strides.end(), {0, in_strides[i]});
    }
    element_count(view);  // throws when the tiled size overflows, so the products below fit
    for (std::size_t i = 0; i < reps.size(); ++i) shape.push_back(reps[i] * in.shape()[i]);
    outputs[0]->resize(shape);
    gather(in.data(), 0, view, strides, outputs[0]->data(), *ctx.pool);
  }

 private:
  std::vector<std::int64_t> reps_;
};

class ConstantPad final : public Kernel {
 public:
  ConstantPad(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 1, 2);
    expect_outputs(layer, 1, 1);
    const auto& p = layer.constantpad();
    value_ = p.value();
    to_size_ = p.padtogivenoutputsizemode();
    for (std::uint64_t amount : p.padamounts()) {
      if (amount > (1ULL << 31)) throw Error("padAmounts entry " + std::to_string(amount) + " is too large");
      pads_.push_back(static_cast<std::int64_t>(amount));
    }
    if (layer.input_size() == 1 && pads_.empty()) throw Error("padAmounts is empty and there is no second input");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    std::vector<std::int64_t> pads = pads_;
    if (inputs.size() == 2) {
      pads = read_integers(*inputs[1], "the padAmounts input");
      for (std::int64_t amount : pads)
        if (amount < 0 || amount > (1LL << 31))
          throw Error("the padAmounts input " + to_string(pads) + " has an amount outside [0, 2^31]");
    }
    const int rank = in.rank();
    if (static_cast<int>(pads.size()) != 2 * rank)
      throw Error("padAmounts " + to_string(pads) + " has " + std::to_string(pads.size()) +
                  " entries; expected 2 per input axis (" + std::to_string(2 * rank) + " for shape " +
                  shape_to_string(in.shape()) + ")");
    Shape shape = in.shape();
    std::vector<std::int64_t> before(static_cast<std::size_t>(rank), 0);
    for (std::size_t i = 0; i < before.size(); ++i) {
      std::int64_t front = pads[2 * i];
      std::int64_t back = pads[2 * i + 1];
      if (to_size_) {  // the nonzero entry is the wanted output size; padding makes up the difference
        if (front != 0 && back != 0)
          throw Error("with padToGivenOutputSizeMode only one of padAmounts[" + std::to_string(2 * i) + "] and [" +
                      std::to_string(2 * i + 1) + "] may be nonzero, got " + to_string(pads));
        front = std::max<std::int64_t>(0, front - shape[i]);
        back = std::max<std::int64_t>(0, back - shape[i]);
      }
      before[i] = front;
      shape[i] += front + back;
    }
    outputs[0]->assign(shape, value_);
    if (rank == 0 || in.size() == 0) return;
    // Copy each input row (last axis) to its place in the padded output.
    const auto out_strides = strides_of(shape);
    std::int64_t base = 0;
    for (std::size_t i = 0; i < before.size(); ++i) base += before[i] * out_strides[i];
    const std::int64_t inner = in.shape().back();
    const std::int64_t rows = in.size() / inner;
    float* out = outputs[0]->data();
    ctx.pool->parallel_for(
        rows, std::max<std::int64_t>(1, (1 << 15) / inner), [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t row = begin; row < end; ++row) {
            std::int64_t offset = base;
            std::int64_t rest = row;
            for (int a = rank - 2; a >= 0; --a) {
              const auto u = static_cast<std::size_t>(a);
              offset += (rest % in.shape()[u]) * out_strides[u];
              rest /= in.shape()[u];
            }
            std::memcpy(out + offset, in.data() + row * inner, static_cast<std::size_t>(inner) * sizeof(float));
          }
        });
  }

 private:
  float value_ = 0;
  bool to_size_ = false;
  std::vector<std::int64_t> pads_;
};

}  // namespace

void register_slice_kernels(KernelRegistry& registry) {
  registry.add(Layer::kSliceStatic, make<SliceStatic>);
  registry.add(Layer::kSliceDynamic, make<SliceDynamic>);
  registry.add(Layer::kSliceBySize, make<SliceBySize>);
  registry.add(Layer::kSlidingWindows, make<SlidingWindows>);
  registry.add(Layer::kTile, make<Tile>);
  registry.add(Layer::kConstantPad, make<ConstantPad>);
}

}  // namespace mlconv::exec::shape
