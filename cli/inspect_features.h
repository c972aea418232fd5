// Feature descriptions (model inputs and outputs) for inspect: JSON details and
// the one-line summary Xcode users know, e.g. "MultiArray (Float32 1 × 3 × 224 × 224)".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "Model.pb.h"

namespace mlconv::cli {

nlohmann::ordered_json feature_json(const CoreML::Specification::FeatureDescription& feature);
std::string feature_summary(const nlohmann::ordered_json& feature);

}  // namespace mlconv::cli
