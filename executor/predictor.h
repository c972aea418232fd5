// Runs a whole model: checks and converts the inputs the model declares,
// applies image preprocessing, runs the network (or each model of a
// pipeline), and turns blobs back into the declared outputs, including a
// classifier's predicted label and probability dictionary.
#pragma once

#include <cstdint>
#include <memory>

#include "Model.pb.h"
#include "executor/features.h"
#include "executor/kernel_registry.h"
#include "executor/network.h"

namespace mlconv::exec {

struct PredictorOptions {
  const KernelRegistry* kernels = nullptr;  // built-in kernels plus any plugins; required
  int threads = 0;                          // 0: every hardware thread
  std::uint64_t seed = 0;                   // for random layers without a seed of their own
  std::uint64_t max_loop_iterations = 1'000'000;
  // Bytes all tensors together may hold (tensor.h; the limit is process-wide and
  // the last Predictor built sets it); 0: no limit. Checked first
  // against an estimate from the model (memory_estimate.h), then at every allocation.
  std::uint64_t max_memory = 0;
};

class Predictor {
 public:
  // Compiles every network of the model (kernels made, weights decoded). The
  // model must outlive the Predictor; it is not changed. Throws mlconv::Error
  // for a model type that cannot run here or a layer without a kernel.
  Predictor(const CoreML::Specification::Model& model, const PredictorOptions& options);
  // The same, but the Predictor keeps the model and frees each layer's stored
  // weight values as soon as its kernel holds its own copy, so the weights are
  // not held twice (spec::release_weight_values; custom layers keep theirs,
  // plugins read them in place).
  Predictor(CoreML::Specification::Model&& model, const PredictorOptions& options);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  // Checks `inputs` against the model's description (names, kinds, shapes,
  // image sizes) and runs. Optional array inputs that are missing are filled
  // with their declared default value (0 unless the model says otherwise).
  FeatureMap predict(const FeatureMap& inputs);

  // Called after every layer of every top-level network (not inside loop bodies).
  void set_layer_observer(const LayerObserver& observer);

  // The model this Predictor runs (its own copy when it was given one to keep).
  [[nodiscard]] const CoreML::Specification::Model& model() const { return *model_; }
  // Bytes of weight values freed from the model because the kernels copied them.
  [[nodiscard]] std::uint64_t released_weight_bytes() const { return released_weight_bytes_; }

  // The most bytes of blobs alive at once after any layer, over every predict() so far.
  [[nodiscard]] std::uint64_t peak_live_activation_bytes() const { return peak_live_bytes_; }

  class Stage;

 private:
  void build();

  std::unique_ptr<CoreML::Specification::Model> owned_model_;  // when constructed from an rvalue
  const CoreML::Specification::Model* model_;
  ThreadPool pool_;
  PredictorOptions options_;
  std::unique_ptr<Stage> root_;
  std::uint64_t peak_live_bytes_ = 0;
  std::uint64_t released_weight_bytes_ = 0;
};

// The accepted shape of an array input, checked against a given one; throws
// an Error that names the input, the given shape and what the model accepts.
void check_array_input_shape(const CoreML::Specification::FeatureDescription& input, const Shape& given);

// The shape an array feature takes when nobody gives one: the declared shape,
// else the first enumerated shape, else each range's lower bound; empty when
// the model declares none.
Shape default_array_shape(const CoreML::Specification::ArrayFeatureType& array);

// "MultiArray (Float32 3 × 224 × 224)"-style description of a declared feature, for messages.
std::string describe_feature_type(const CoreML::Specification::FeatureType& type);

}  // namespace mlconv::exec
