// Kernels of the shape family, part 4: ND layers that make a tensor of a
// given shape -- broadcastToLike/Static/Dynamic, fillLike/Static/Dynamic,
// rangeStatic/Dynamic.
#include <cmath>

#include "executor/kernels/shape_ops.h"
#include "spec/error.h"

namespace mlconv::exec::shape {
namespace {

Shape positive_shape(std::span<const std::uint64_t> values, std::string_view what) {
  if (values.empty()) throw Error(std::string(what) + " is empty");
  Shape shape;
  for (std::uint64_t value : values) {
    if (value == 0 || value > (1ULL << 62))
      throw Error(std::string(what) + " has entry " + std::to_string(value) + "; expected positive sizes");
    shape.push_back(static_cast<std::int64_t>(value));
  }
  element_count(shape);  // throws on overflow
  return shape;
}

template <typename Field>
Shape positive_shape_of(const Field& field, std::string_view what) {
  const std::vector<std::uint64_t> values(field.begin(), field.end());
  return positive_shape(values, what);
}

class BroadcastToLike final : public Kernel {
 public:
  BroadcastToLike(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    broadcast_to(*inputs[0], inputs[1]->shape(), *outputs[0], *ctx.pool);
  }
};

class BroadcastToStatic final : public Kernel {
 public:
  BroadcastToStatic(const Layer& layer, const BuildContext&)
      : target_(positive_shape_of(layer.broadcasttostatic().targetshape(), "targetShape")) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    broadcast_to(*inputs[0], target_, *outputs[0], *ctx.pool);
  }

 private:
  Shape target_;
};

class BroadcastToDynamic final : public Kernel {
 public:
  BroadcastToDynamic(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 2, 2);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    broadcast_to(*inputs[0], read_shape(*inputs[1], "the shape input"), *outputs[0], *ctx.pool);
  }
};

class FillLike final : public Kernel {
 public:
  FillLike(const Layer& layer, const BuildContext&) : value_(layer.filllike().value()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->assign(inputs[0]->shape(), value_);
  }

 private:
  float value_;
};

class FillStatic final : public Kernel {
 public:
  FillStatic(const Layer& layer, const BuildContext&)
      : value_(layer.fillstatic().value()), shape_(positive_shape_of(layer.fillstatic().targetshape(), "targetShape")) {
    expect_inputs(layer, 0, 1);  // an input, if any, only orders the layer after its producer
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const>, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->assign(shape_, value_);
  }

 private:
  float value_;
  Shape shape_;
};

class FillDynamic final : public Kernel {
 public:
  FillDynamic(const Layer& layer, const BuildContext&) : value_(layer.filldynamic().value()) {
    expect_inputs(layer, 1, 1);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->assign(read_shape(*inputs[0], "the shape input"), value_);
  }

 private:
  float value_;
};

// numpy.arange(start, end, step): ceil((end - start) / step) values start + i*step,
// counted in double so float parameters give NumPy's count.
std::vector<float> arange(double start, double end, double step) {
  if (step == 0) throw Error("step is 0");
  const double count = std::ceil((end - start) / step);
  if (!(count >= 1))
    throw Error("range from " + number_text(start) + " to " + number_text(end) + " by " + number_text(step) +
                " is empty");
  if (count > static_cast<double>(1LL << 31))
    throw Error("range from " + number_text(start) + " to " + number_text(end) + " by " + number_text(step) +
                " has more than 2^31 values");
  std::vector<float> values(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(start + static_cast<double>(i) * step);
  return values;
}

class RangeStatic final : public Kernel {
 public:
  RangeStatic(const Layer& layer, const BuildContext&) {
    expect_inputs(layer, 0, 1);  // an input, if any, only orders the layer after its producer
    expect_outputs(layer, 1, 1);
    const auto& p = layer.rangestatic();
    if (!std::isfinite(p.startvalue()) || !std::isfinite(p.endvalue()) || !std::isfinite(p.stepsizevalue()))
      throw Error("startValue, endValue and stepSizeValue must be finite");
    values_ = arange(p.startvalue(), p.endvalue(), p.stepsizevalue());
  }

  void run(std::span<const Tensor* const>, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->resize(Shape{static_cast<std::int64_t>(values_.size())});
    std::copy(values_.begin(), values_.end(), outputs[0]->data());
  }

 private:
  std::vector<float> values_;
};

class RangeDynamic final : public Kernel {
 public:
  RangeDynamic(const Layer& layer, const BuildContext&)
      : start_(layer.rangedynamic().startvalue()), step_(layer.rangedynamic().stepsizevalue()) {
    expect_inputs(layer, 1, 3);
    expect_outputs(layer, 1, 1);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    const double end = read_scalar(*inputs[0], "the end input");
    const double start = inputs.size() > 1 ? read_scalar(*inputs[1], "the start input") : start_;
    const double step = inputs.size() > 2 ? read_scalar(*inputs[2], "the step input") : step_;
    const std::vector<float> values = arange(start, end, step);
    outputs[0]->resize(Shape{static_cast<std::int64_t>(values.size())});
    std::copy(values.begin(), values.end(), outputs[0]->data());
  }

 private:
  double start_;
  double step_;
};

}  // namespace

void register_fill_kernels(KernelRegistry& registry) {
  registry.add(Layer::kBroadcastToLike, make<BroadcastToLike>);
  registry.add(Layer::kBroadcastToStatic, make<BroadcastToStatic>);
  registry.add(Layer::kBroadcastToDynamic, make<BroadcastToDynamic>);
  registry.add(Layer::kFillLike, make<FillLike>);
  registry.add(Layer::kFillStatic, make<FillStatic>);
  registry.add(Layer::kFillDynamic, make<FillDynamic>);
  registry.add(Layer::kRangeStatic, make<RangeStatic>);
  registry.add(Layer::kRangeDynamic, make<RangeDynamic>);
}

}  // namespace mlconv::exec::shape
