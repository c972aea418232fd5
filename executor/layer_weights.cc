#include "executor/layer_weights.h"

#include <cmath>
#include <string>

#include "spec/error.h"

namespace mlconv::exec {

namespace {

// NaN in stored weights is corruption: no trained or converted value is NaN, and it would
// silently poison every output it reaches. Infinities are kept: an additive mask of -inf
// (a bias or a loadConstantND feeding attention) is a deliberate value.
void reject_nan(std::span<const float> values, std::string_view field) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i]))
      throw Error("weights '" + std::string(field) + "' hold NaN at element " + std::to_string(i) +
                  "; the model's weights are corrupt");
  }
}

void check_count(std::size_t count, std::string_view field, std::int64_t expected_count) {
  if (expected_count >= 0 && static_cast<std::int64_t>(count) != expected_count)
    throw Error("weights '" + std::string(field) + "' hold " + std::to_string(count) + " values; expected " +
                std::to_string(expected_count));
}

}  // namespace

LayerWeights::LayerWeights(const Layer& layer) : blobs_(spec::layer_weights(layer)) {}

const spec::WeightBlob* LayerWeights::find(std::string_view field) const {
  for (const spec::WeightBlob& blob : blobs_)
    if (blob.field == field) return &blob;
  return nullptr;
}

bool LayerWeights::has(std::string_view field) const {
  const spec::WeightBlob* blob = find(field);
  return blob != nullptr && blob->storage != spec::WeightStorage::empty;
}

std::span<const float> LayerWeights::view(std::string_view field, std::int64_t expected_count,
                                          std::vector<float>& decoded) const {
  const spec::WeightBlob* blob = find(field);
  if (blob == nullptr || blob->storage != spec::WeightStorage::float32 || blob->values_elided) {
    decoded = get(field, expected_count);
    return decoded;
  }
  const std::span<const float> values(blob->params->floatvalue().data(),
                                      static_cast<std::size_t>(blob->params->floatvalue().size()));
  check_count(values.size(), field, expected_count);
  reject_nan(values, field);
  return values;
}

std::vector<float> LayerWeights::get(std::string_view field, std::int64_t expected_count) const {
  const spec::WeightBlob* blob = find(field);
  if (blob == nullptr || blob->storage == spec::WeightStorage::empty)
    throw Error("weights '" + std::string(field) + "' are missing");
  std::vector<float> values;
  try {
    values = spec::decode_weights(*blob);
  } catch (Error& error) {
    throw error.within("weights '" + std::string(field) + "'");
  }
  check_count(values.size(), field, expected_count);
  reject_nan(values, field);
  return values;
}

std::vector<float> LayerWeights::get_optional(std::string_view field, std::int64_t expected_count) const {
  if (!has(field)) return {};
  return get(field, expected_count);
}

std::vector<float> decode_weight_params(const CoreML::Specification::WeightParams& params, std::string_view field) {
  // A throwaway layer lets the spec decoder classify the storage the same way as for any layer.
  Layer holder;
  *holder.mutable_custom()->add_weights() = params;
  LayerWeights weights(holder);
  std::vector<float> values = weights.get_optional("weights[0]");
  reject_nan(values, field);
  return values;
}

}  // namespace mlconv::exec
