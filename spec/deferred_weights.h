// Float32 weights that go into a saved model straight from where they already are.
//
// Converting a 400 MB model used to copy every weight into its WeightParams.floatValue
// (fresh memory: the kernel zero-fills each page, then the copy fills it again) only for
// the serializer to copy it out once more. A deferred weight skips the middle step: its
// field is sized but never written (the pages stay untouched, so they cost no memory),
// and save_model writes the real bytes from their source (a file mapping) at the place
// in the output where the field's payload lands. The output is byte for byte what a
// model holding the values would serialize to (tests/spec/deferred_weights_test.cc).
//
// Until save_model (or fill_deferred_weights) runs, a deferred field holds indeterminate
// values: only its size may be read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <vector>

#include "Model.pb.h"

namespace mlconv::spec {

class DeferredWeights {
 public:
  // Sizes params.floatValue to `count` floats without writing them and records that the
  // values are the `count` little-endian floats at `values`, kept alive by `keeper`.
  void defer(CoreML::Specification::WeightParams& params, std::size_t count, const void* values,
             std::shared_ptr<const void> keeper);

  [[nodiscard]] bool empty() const { return by_field_.empty(); }
  [[nodiscard]] std::size_t size() const { return by_field_.size(); }

  struct Source {
    const void* values;
    std::size_t bytes;
    std::shared_ptr<const void> keeper;
  };
  // The source of the floatValue field whose elements start at `field_data`, or null.
  [[nodiscard]] const Source* find(const float* field_data) const;

 private:
  std::unordered_map<const float*, Source> by_field_;
};

// Copies every deferred value of `model` into its field, for a caller that reads the values.
void fill_deferred_weights(CoreML::Specification::Model& model, const DeferredWeights& deferred);

// save_model for a model with deferred weights: the same bytes as saving it after
// fill_deferred_weights, without the fill. Returns true; false when it filled and saved
// normally instead, which happens only if a deferred field's place in the output could
// not be worked out (the sizes protobuf cached do not add up field by field).
bool save_model(CoreML::Specification::Model& model, const std::filesystem::path& path,
                const DeferredWeights& deferred);

}  // namespace mlconv::spec
