// Kernels of the control flow family (iOS 13): branch, loop, loopBreak, loopContinue. Bodies
// are compiled once at load into nested Networks that run on the enclosing blob Environment,
// so whatever a body writes stays visible to the layers after the loop or branch.
// Semantics and choices: docs/executor/control-flow.md.
#include <cmath>
#include <limits>

#include "executor/kernel_registry.h"
#include "executor/network.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

using NeuralNetwork = CoreML::Specification::NeuralNetwork;

// The spec calls a value within 1e-6 of zero false (branch and loop conditions alike).
constexpr float kFalseBelow = 1e-6F;

void check_no_outputs(const Layer& layer) {
  if (layer.output_size() != 0)
    throw Error("produces no outputs (its bodies write blobs directly); the layer lists " +
                std::to_string(layer.output_size()));
}

std::unique_ptr<Network> compile(const BuildContext& ctx, const NeuralNetwork& body, const std::string& where) {
  if (!ctx.compile_network)
    throw Error("cannot compile " + where + ": this executor was built without sub-network support");
  return ctx.compile_network(body, where);
}

// A scalar condition: exactly one value, true unless within 1e-6 of zero.
bool truth_of(const Tensor& value, const std::string& what) {
  if (value.size() != 1)
    throw Error(what + " must hold exactly one value; it has shape " + shape_to_string(value.shape()));
  const float v = value.data()[0];
  if (std::isnan(v)) throw Error(what + " is NaN");
  return std::fabs(v) > kFalseBelow;
}

class BranchKernel final : public Kernel {
 public:
  BranchKernel(const Layer& layer, const BuildContext& ctx) {
    if (layer.input_size() != 1)
      throw Error("takes exactly 1 input (the condition); the layer has " + std::to_string(layer.input_size()));
    check_no_outputs(layer);
    const auto& p = layer.branch();
    if (p.ifbranch().layers_size() == 0) throw Error("ifBranch has no layers; the spec requires it");
    if_branch_ = compile(ctx, p.ifbranch(), "ifBranch");
    if (p.elsebranch().layers_size() > 0) else_branch_ = compile(ctx, p.elsebranch(), "elseBranch");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> /*outputs*/, RunContext& ctx) override {
    const Network* chosen = truth_of(*inputs[0], "the condition") ? if_branch_.get() : else_branch_.get();
    // A loopBreak/loopContinue inside the branch leaves ctx.loop_signal set; the enclosing body
    // stops after this layer and the loop acts on it.
    if (chosen != nullptr) chosen->run(ctx);
  }

 private:
  std::unique_ptr<Network> if_branch_;
  std::unique_ptr<Network> else_branch_;  // null when absent: a false condition does nothing
};

class LoopKernel final : public Kernel {
 public:
  LoopKernel(const Layer& layer, const BuildContext& ctx) {
    if (layer.input_size() > 1)
      throw Error("takes 0 or 1 inputs (the iteration count); the layer has " + std::to_string(layer.input_size()));
    check_no_outputs(layer);
    const auto& p = layer.loop();
    const bool has_condition_network = p.conditionnetwork().layers_size() > 0;
    if (p.bodynetwork().layers_size() == 0) throw Error("bodyNetwork has no layers; the spec requires it");
    if (has_condition_network != !p.conditionvar().empty())
      throw Error(has_condition_network ? "conditionNetwork is set but conditionVar is empty; they come together"
                                        : "conditionVar '" + p.conditionvar() +
                                              "' is set but conditionNetwork has no layers; they come together");
    if (!has_condition_network && p.maxloopiterations() == 0 && layer.input_size() == 0)
      throw Error("has no input, no conditionNetwork and maxLoopIterations 0, so it could never run");
    max_iterations_ = p.maxloopiterations();
    count_from_input_ = layer.input_size() == 1;
    condition_var_ = p.conditionvar();
    body_ = compile(ctx, p.bodynetwork(), "bodyNetwork");
    if (has_condition_network) condition_ = compile(ctx, p.conditionnetwork(), "conditionNetwork");
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> /*outputs*/, RunContext& ctx) override {
    // Read the count before any body runs: a body may overwrite that very blob.
    const std::uint64_t limit = count_from_input_ ? count_of(*inputs[0]) : max_iterations_;
    // The count bounds the loop unless a conditionNetwork runs it as a plain while loop
    // (count 0 from the parameter, no input).
    const bool bounded = condition_ == nullptr || count_from_input_ || max_iterations_ > 0;
    std::uint64_t done = 0;
    while (true) {
      // As the spec's pseudo-code: the conditionNetwork runs before every check, even the last.
      if (condition_ != nullptr && !condition_holds(ctx)) break;
      if (bounded && done >= limit) break;
      if (done >= ctx.max_loop_iterations)
        throw Error("the loop did not end after " + std::to_string(ctx.max_loop_iterations) +
                    " iterations, the executor's cap per loop run; if the model really loops longer, raise the cap "
                    "with --max-loop-iterations");
      body_->run(ctx);
      ++done;
      const LoopSignal signal = ctx.loop_signal;
      ctx.loop_signal = LoopSignal::none;  // consumed here: an enclosing loop must not see it
      if (signal == LoopSignal::break_loop) break;
    }
  }

 private:
  static std::uint64_t count_of(const Tensor& value) {
    if (value.size() != 1)
      throw Error("the iteration count input must hold exactly one value; it has shape " +
                  shape_to_string(value.shape()));
    const float v = value.data()[0];
    // 2^53 keeps the conversion exact; no loop gets near it (the iteration cap stops far earlier).
    if (!(v >= 0.0F) || v > 9007199254740992.0F || v != std::floor(v))
      throw Error("the iteration count input is " + std::to_string(v) + "; expected a whole number >= 0");
    return static_cast<std::uint64_t>(v);
  }

  bool condition_holds(RunContext& ctx) const {
    condition_->run(ctx);
    ctx.loop_signal = LoopSignal::none;  // loopBreak/loopContinue mean nothing in a condition network
    const Tensor* value = ctx.blobs->find(condition_var_);
    if (value == nullptr) throw Error("conditionNetwork did not produce conditionVar '" + condition_var_ + "'");
    return truth_of(*value, "conditionVar '" + condition_var_ + "'");
  }

  std::uint64_t max_iterations_ = 0;
  bool count_from_input_ = false;
  std::string condition_var_;
  std::unique_ptr<Network> body_;
  std::unique_ptr<Network> condition_;  // null for a plain counted loop
};

// loopBreak and loopContinue: raise the signal; the runner stops the current body at once.
class LoopSignalKernel final : public Kernel {
 public:
  LoopSignalKernel(const Layer& layer, LoopSignal signal) : signal_(signal) { check_no_outputs(layer); }

  void run(std::span<const Tensor* const> /*inputs*/, std::span<Tensor* const> /*outputs*/, RunContext& ctx) override {
    ctx.loop_signal = signal_;
  }

 private:
  LoopSignal signal_;
};

}  // namespace

void register_control_flow_kernels(KernelRegistry& registry) {
  registry.add(Layer::kBranch, [](const Layer& layer, const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<BranchKernel>(layer, ctx);
  });
  registry.add(Layer::kLoop, [](const Layer& layer, const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<LoopKernel>(layer, ctx);
  });
  registry.add(Layer::kLoopBreak, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<LoopSignalKernel>(layer, LoopSignal::break_loop);
  });
  registry.add(Layer::kLoopContinue, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<LoopSignalKernel>(layer, LoopSignal::continue_loop);
  });
}

}  // namespace mlconv::exec
