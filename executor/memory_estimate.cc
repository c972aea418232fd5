// The memory estimate made when a Predictor is built: weights decode to one
// float per element (quantized and half-precision blobs grow), and every blob
// shape the static shape inference can state is one float per element too.
#include "executor/memory_estimate.h"

#include <map>
#include <string>

#include "executor/tensor.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/validation/shape_inference.h"
#include "spec/weights.h"

namespace mlconv::exec {

namespace cml = CoreML::Specification;

namespace {

constexpr std::uint64_t float_bytes = sizeof(float);

std::string raise_hint(std::uint64_t limit) {
  return "more than the memory limit of " + byte_size_text(limit) + " (mlconv run --max-memory raises it)";
}

struct WeightTotal {
  std::uint64_t bytes = 0;
  std::uint64_t largest = 0;
  std::string largest_layer;
};

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void add_weights(const cml::NeuralNetworkLayer& layer, WeightTotal& total) {
  std::uint64_t layer_bytes = 0;
  for (const spec::WeightBlob& blob : spec::layer_weights(layer)) {
    // Raw bytes stay bytes (custom layers get them as they are); everything else becomes floats.
    const std::uint64_t decoded = blob.storage == spec::WeightStorage::raw_bytes ? blob.bytes
                                  : blob.count > UINT64_MAX / float_bytes       ? UINT64_MAX
                                                                                : blob.count * float_bytes;
    layer_bytes = saturating_add(layer_bytes, decoded);
  }
  total.bytes = saturating_add(total.bytes, layer_bytes);
  if (layer_bytes > total.largest) {
    total.largest = layer_bytes;
    total.largest_layer = layer.name();
  }
  for (const spec::SubNetwork& sub : spec::sub_networks(layer))
    for (const cml::NeuralNetworkLayer& inner : sub.network->layers()) add_weights(inner, total);
}

// Blobs of fully known shape larger than the limit on their own.
void check_blob_shapes(const cml::Model& model, std::uint64_t limit) {
  const auto network = spec::network_of(model);
  if (!network) return;
  spec::ShapeInference inference;
  try {
    inference = spec::infer_shapes(model);
  } catch (const Error&) {
    return;  // an estimate only: a model inference cannot follow is still checked at every allocation
  }
  std::map<std::string, std::string> producer;
  for (const cml::NeuralNetworkLayer& layer : network->layers)
    for (const std::string& output : layer.output()) producer.emplace(output, layer.name());
  for (const auto& [name, shape] : inference.shapes) {
    if (!shape) continue;
    std::uint64_t elements = 1;
    bool known = true;
    for (const std::int64_t dim : *shape) {
      if (dim < 0) {
        known = false;
        break;
      }
      const auto d = static_cast<std::uint64_t>(dim);
      elements = d != 0 && elements > UINT64_MAX / d ? UINT64_MAX : elements * d;
    }
    if (!known) continue;
    const std::uint64_t bytes = elements > UINT64_MAX / float_bytes ? UINT64_MAX : elements * float_bytes;
    if (bytes <= limit) continue;
    const auto made_by = producer.find(name);
    throw Error(describe_named("blob", name) + " of shape " + spec::shape_text(*shape) +
                (made_by != producer.end() ? ", the output of " + describe_named("layer", made_by->second) : ", a model input") +
                ", needs " + byte_size_text(bytes) + ", " + raise_hint(limit));
  }
}

void check_stage(const cml::Model& model, std::uint64_t limit, WeightTotal& weights) {
  if (const auto network = spec::network_of(model)) {
    for (const cml::NeuralNetworkLayer& layer : network->layers) add_weights(layer, weights);
    check_blob_shapes(model, limit);
  } else if (const cml::Pipeline* pipeline = spec::pipeline_of(model)) {
    for (const cml::Model& stage : pipeline->models()) check_stage(stage, limit, weights);
  }
}

}  // namespace

void check_model_fits_memory(const cml::Model& model, std::uint64_t limit) {
  if (limit == 0) return;
  WeightTotal weights;
  check_stage(model, limit, weights);
  if (weights.bytes > limit)
    throw Error("the weights decode to " + byte_size_text(weights.bytes) + " (the most, " +
                byte_size_text(weights.largest) + ", in " + describe_named("layer", weights.largest_layer) + "), " +
                raise_hint(limit));
}

}  // namespace mlconv::exec
