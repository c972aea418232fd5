// A layer's weights decoded to float once, at load: float16 widened, 1-8 bit
// linear and lookup-table codes dequantized (spec/weights.h does the decoding,
// shared with inspect and validate). Kernels ask by field path, with the count
// they expect, and get a message naming the field when it does not fit.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "executor/kernel.h"
#include "spec/weights.h"

namespace mlconv::exec {

class LayerWeights {
 public:
  explicit LayerWeights(const Layer& layer);

  // True when the field holds a value (any storage).
  [[nodiscard]] bool has(std::string_view field) const;
  // The values of a field such as "weights", "bias", "weightParams.inputGateWeightMatrix".
  // expected_count < 0 accepts any count. Throws when the field is empty or
  // missing, holds another count, or holds NaN or infinity.
  [[nodiscard]] std::vector<float> get(std::string_view field, std::int64_t expected_count = -1) const;
  // Like get(), but float32 values are read where the model holds them, with no
  // copy; other storage is decoded into `decoded`, which the result then points
  // into. For kernels that rearrange weights at load: a copy of the largest
  // layer's weights would raise the peak memory by that much.
  [[nodiscard]] std::span<const float> view(std::string_view field, std::int64_t expected_count,
                                            std::vector<float>& decoded) const;
  // Like get(), but an absent or empty field gives an empty vector.
  [[nodiscard]] std::vector<float> get_optional(std::string_view field, std::int64_t expected_count = -1) const;

 private:
  [[nodiscard]] const spec::WeightBlob* find(std::string_view field) const;
  std::vector<spec::WeightBlob> blobs_;
};

// Decodes a WeightParams reached directly (not through a layer), e.g. a
// custom layer's weights; per-channel quantization is read with output channels outermost.
std::vector<float> decode_weight_params(const CoreML::Specification::WeightParams& params, std::string_view field);

}  // namespace mlconv::exec
