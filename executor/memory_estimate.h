// Before a model runs: will it fit in the memory limit (mlconv run
// --max-memory)? Estimated from what the model states, so a model whose weights
// or blobs are plainly too large is refused before anything is allocated. The
// limit itself is enforced at every tensor allocation (tensor.h).
#pragma once

#include <cstdint>

#include "Model.pb.h"

namespace mlconv::exec {

// Throws mlconv::Error when the decoded weights of all layers together, or any
// one blob whose shape static inference knows, need more than `limit` bytes;
// the message names the layer or blob, the size and the limit. 0: no limit.
void check_model_fits_memory(const CoreML::Specification::Model& model, std::uint64_t limit);

}  // namespace mlconv::exec
