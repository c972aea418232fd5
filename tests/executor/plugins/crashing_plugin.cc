// A plugin that crashes on purpose, for the test that mlconv reports a
// crashing plugin by name (tests/cli/hostile_input_test.cc): each class dies of
// one fatal signal in one step, and says which in its name.
#include <csignal>
#include <cstdlib>
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

using mlconv::plugin::Shape;

struct SegfaultInEvaluate final : mlconv::plugin::CustomLayer {
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override { return {inputs[0]}; }
  void evaluate(std::span<const mlconv::plugin::Input>, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context&) override {
    // A write through a null pointer the compiler cannot see coming.
    volatile float* volatile nowhere = nullptr;
    *nowhere = 1.0F;
  }
};

struct AbortInOutputShapes final : mlconv::plugin::CustomLayer {
  std::vector<Shape> output_shapes(std::span<const Shape>) override { std::abort(); }
  void evaluate(std::span<const mlconv::plugin::Input>, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context&) override {}
};

// Dies on a pool worker thread, inside the host's parallel_for.
struct SegfaultInParallelBody final : mlconv::plugin::CustomLayer {
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override { return {inputs[0]}; }
  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context& context) override {
    context.parallel_for(inputs[0].size, 1, [](std::int64_t begin, std::int64_t) {
      if (begin == 0) std::raise(SIGSEGV);
    });
  }
};

}  // namespace

MLCONV_PLUGIN(registrar) {
  registrar.add<SegfaultInEvaluate>("SegfaultInEvaluate");
  registrar.add<AbortInOutputShapes>("AbortInOutputShapes");
  registrar.add<SegfaultInParallelBody>("SegfaultInParallelBody");
}
