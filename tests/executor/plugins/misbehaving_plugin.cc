// A plugin whose classes break the ABI's rules in the ways the host must
// survive (tests/executor/plugins/plugin_loader_test.cc): each class fails or
// returns bad values at one step, and says which in its name.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

using mlconv::plugin::Shape;

// Copies its one input; the classes below override one step to misbehave.
class Identity : public mlconv::plugin::CustomLayer {
 public:
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override { return {inputs[0]}; }
  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output> outputs,
                const mlconv::plugin::Context&) override {
    for (std::int64_t i = 0; i < inputs[0].size; ++i) outputs[0].data[i] = inputs[0].data[i];
  }
};

struct TwoShapes final : Identity {
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override { return {inputs[0], inputs[0]}; }
};

struct NegativeDim final : Identity {
  std::vector<Shape> output_shapes(std::span<const Shape>) override { return {{2, -3}}; }
};

struct HugeDims final : Identity {
  std::vector<Shape> output_shapes(std::span<const Shape>) override { return {{1LL << 40, 1LL << 40}}; }
};

struct RankTooHigh final : Identity {
  std::vector<Shape> output_shapes(std::span<const Shape>) override { return {Shape(MLCONV_MAX_RANK + 1, 1)}; }
};

struct FailingInit final : Identity {
  void init(const mlconv::plugin::LayerInfo&, const mlconv::plugin::Parameters& params) override {
    throw std::invalid_argument("needs parameter 'mode' (got " + std::to_string(params.integer("count", 0)) + " others)");
  }
};

struct FailingEvaluate final : Identity {
  void evaluate(std::span<const mlconv::plugin::Input>, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context&) override {
    throw std::runtime_error("the accelerator is busy");
  }
};

// Fails inside one range of the host's parallel_for; the exception must come back out of it.
struct ThrowsInParallelBody final : Identity {
  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context& context) override {
    context.parallel_for(inputs[0].size, 1, [](std::int64_t begin, std::int64_t end) {
      if (begin <= 3 && 3 < end) throw std::out_of_range("element 3 is out of range");
    });
  }
};

struct ThrowsNonStandard final : Identity {
  std::vector<Shape> output_shapes(std::span<const Shape>) override { throw 42; }
};

// Records what the host passed, into the output: parameter kinds, then weight descriptions.
struct EchoParameters final : Identity {
  std::vector<float> seen;
  void init(const mlconv::plugin::LayerInfo& layer, const mlconv::plugin::Parameters& params) override {
    seen.push_back(static_cast<float>(params.number("d", 0)));
    seen.push_back(static_cast<float>(params.integer("i32", 0)));
    seen.push_back(static_cast<float>(params.integer("i64", 0)));
    seen.push_back(params.boolean("b", false) ? 1.0F : 0.0F);
    seen.push_back(static_cast<float>(params.string("s", "").size()));
    seen.push_back(static_cast<float>(layer.output_count));
  }
  void set_weights(std::span<const mlconv::plugin::Weight> weights) override {
    for (const mlconv::plugin::Weight& w : weights) {
      seen.push_back(static_cast<float>(w.type()));
      seen.push_back(static_cast<float>(w.bytes().size()));
      seen.push_back(static_cast<float>(w.element_count()));
      seen.insert(seen.end(), w.floats().begin(), w.floats().end());
    }
  }
  std::vector<Shape> output_shapes(std::span<const Shape>) override {
    return {{static_cast<std::int64_t>(seen.size())}};
  }
  void evaluate(std::span<const mlconv::plugin::Input>, std::span<const mlconv::plugin::Output> outputs,
                const mlconv::plugin::Context&) override {
    for (std::size_t i = 0; i < seen.size(); ++i) outputs[0].data[i] = seen[i];
  }
};

}  // namespace

MLCONV_PLUGIN(registrar) {
  registrar.add<TwoShapes>("TwoShapes");
  registrar.add<NegativeDim>("NegativeDim");
  registrar.add<HugeDims>("HugeDims");
  registrar.add<RankTooHigh>("RankTooHigh");
  registrar.add<FailingInit>("FailingInit");
  registrar.add<FailingEvaluate>("FailingEvaluate");
  registrar.add<ThrowsNonStandard>("ThrowsNonStandard");
  registrar.add<ThrowsInParallelBody>("ThrowsInParallelBody");
  registrar.add<EchoParameters>("EchoParameters");
}
