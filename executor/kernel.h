// The contract between the network runner and a layer kernel. A kernel is made
// once per layer when the model is loaded (prepare: read parameters, check
// them, dequantize and pack weights) and then only computes in run().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "executor/parallel.h"
#include "executor/tensor.h"

namespace mlconv::exec {

using Layer = CoreML::Specification::NeuralNetworkLayer;

class ActivationFunction;
class Environment;
class Kernel;
class KernelRegistry;
class Network;

// How multi-array inputs were placed into blobs (NeuralNetworkMultiArrayShapeMapping).
// With rank5, every blob is [Seq, Batch, C, H, W]; with exact, blobs have any rank.
// Classic (spec 1-3) layers work on the last three axes as [C, H, W] either way.
enum class ShapeMapping { rank5, exact };

struct BuildContext {
  ShapeMapping array_mapping = ShapeMapping::rank5;
  const KernelRegistry* kernels = nullptr;
  // Compiles a loop or branch body with this same context; `where` names it in errors.
  std::function<std::unique_ptr<Network>(const CoreML::Specification::NeuralNetwork& body, const std::string& where)>
      compile_network;
  // Called after each layer's kernel is made, in bodies too. A Predictor that owns
  // its model frees the layer's stored weight values here (Kernel::reads_stored_weights).
  std::function<void(const Layer& layer, const Kernel& kernel)> kernel_made;
};

// Set by loopBreak / loopContinue; the network runner stops the current body and the loop kernel acts on it.
enum class LoopSignal { none, break_loop, continue_loop };

struct RunContext {
  ThreadPool* pool = nullptr;
  Environment* blobs = nullptr;   // every blob by name, for control-flow kernels
  std::uint64_t seed = 0;         // random layers with seed -1 draw from this
  std::uint64_t max_loop_iterations = 1'000'000;
  LoopSignal loop_signal = LoopSignal::none;
  // When set, raised to the bytes of all live blobs after each layer (liveness-based peak).
  std::uint64_t* peak_live_bytes = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Output tensors arrive with unspecified shape and values; run() sets both
  // (Tensor::resize/assign). Inputs never alias outputs. Errors are thrown as
  // mlconv::Error; the runner adds the layer's name and type.
  virtual void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) = 0;
  // The output shapes for these input shapes, when the kernel can say without
  // computing (a plugin's output_shapes: validation uses it for shape
  // inference); nullopt when it cannot. Throws mlconv::Error when it refuses them.
  virtual std::optional<std::vector<Shape>> output_shapes(std::span<const Shape> /*input_shapes*/) {
    return std::nullopt;
  }

  // The network offers the activation of the next layer when that layer alone
  // reads this kernel's one output. A kernel that takes it (returns true)
  // applies it to each block of its output while the block is still in cache,
  // and the activation layer is skipped. nullptr takes the activation back.
  virtual bool fuse_activation(const ActivationFunction* activation) {
    (void)activation;
    return false;
  }

  // True when the kernel keeps reading the layer's WeightParams values after it
  // was made (a plugin is handed pointers into them). Every other kernel copies
  // what it needs while it is made, so the model's copy can then be freed.
  [[nodiscard]] virtual bool reads_stored_weights() const { return false; }
};

using KernelFactory = std::unique_ptr<Kernel> (*)(const Layer& layer, const BuildContext& ctx);

// Custom layers are found by className; `provider` names the plugin in messages.
struct CustomLayerFactory {
  std::string provider;
  std::function<std::unique_ptr<Kernel>(const Layer& layer, const BuildContext& ctx)> make;
};

}  // namespace mlconv::exec
