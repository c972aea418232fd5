// Fuzz target 1: .mlmodel bytes -> load -> inspect (report, text view, weight
// statistics) -> validate, as `mlconv inspect --weights` and `mlconv validate` do.
#include <cstdint>
#include <string_view>
#include <sstream>

#include "cli/inspect_report.h"
#include "cli/inspect_text.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"
#include "spec/model_io.h"
#include "spec/validation/validator.h"

namespace mlconv::fuzz {

void model_inspect(std::string_view bytes) {
  refuse_cleanly([&] {
    const mlconv::spec::LoadedModel loaded = mlconv::spec::parse_model(bytes, "fuzz.mlmodel");
    const auto report = mlconv::cli::build_inspect_report(loaded, {.weight_statistics = true});
    std::ostringstream text;
    mlconv::cli::render_inspect_text(report, {.layers = true, .weights = true}, text);
    (void)report.dump(2);
    (void)mlconv::spec::validation::validate_model(loaded.model);
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(model_inspect)
