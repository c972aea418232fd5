// The data behind `mlconv inspect`: one JSON document (schemas/inspect.schema.json)
// from which both the --json output and the text view are produced, so the two
// can never disagree.
#pragma once

#include <nlohmann/json.hpp>

#include "spec/model_io.h"

namespace mlconv::cli {

struct InspectOptions {
  bool weight_statistics = false;  // decode every weight blob: costs a pass over all weights
};

nlohmann::ordered_json build_inspect_report(const spec::LoadedModel& loaded, const InspectOptions& options);

// A float32 value as the shortest decimal that reads back as the same float, so
// 0.01f shows as 0.01 and not 0.009999999776482582.
double shortest_double(float value);

// JSON cannot hold NaN or infinity; they become the strings "NaN", "Infinity", "-Infinity".
nlohmann::ordered_json json_number(double value);

}  // namespace mlconv::cli
