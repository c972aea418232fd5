// Fuzz target 2: .mlmodel bytes -> load -> Predictor -> random inputs -> predict,
// as `mlconv run --random-inputs` does, under limits that keep one input cheap:
// few loop iterations, one thread, and models refused up front when a declared
// input or a statically inferred blob is large. Those limits are the fuzz
// harness's, not the executor's: a fuzz input must not allocate gigabytes or
// run for minutes, while a real model legitimately may.
#include <cstdint>
#include <string_view>
#include <limits>
#include <utility>

#include "cli/run_inputs.h"
#include "executor/kernel_registry.h"
#include "executor/predictor.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"
#include "spec/model_io.h"
#include "spec/model_parts.h"
#include "spec/validation/shape_inference.h"

namespace {

namespace cml = CoreML::Specification;

constexpr std::int64_t max_input_elements = std::int64_t{1} << 16;
constexpr std::int64_t max_blob_elements = std::int64_t{1} << 18;

// Product of the known dimensions, saturating instead of overflowing.
std::int64_t saturating_count(const std::vector<std::int64_t>& dims) {
  std::int64_t count = 1;
  for (const std::int64_t d : dims) {
    if (d <= 0) continue;  // unknown (or empty): only run time knows
    if (count > std::numeric_limits<std::int64_t>::max() / d) return std::numeric_limits<std::int64_t>::max();
    count *= d;
  }
  return count;
}

bool cheap_enough(const cml::Model& model) {
  for (const auto& input : model.description().input()) {
    const auto& type = input.type();
    if (type.has_imagetype() &&
        saturating_count({3, type.imagetype().width(), type.imagetype().height()}) > max_input_elements)
      return false;
    if (type.has_multiarraytype() &&
        saturating_count(mlconv::exec::default_array_shape(type.multiarraytype())) > max_input_elements)
      return false;
  }
  if (const cml::Pipeline* pipeline = mlconv::spec::pipeline_of(model)) {
    for (const auto& stage : pipeline->models())
      if (!cheap_enough(stage)) return false;
  }
  for (const auto& [name, shape] : mlconv::spec::infer_shapes(model).shapes)
    if (shape && saturating_count(*shape) > max_blob_elements) return false;
  return true;
}

}  // namespace

namespace mlconv::fuzz {

void model_run(std::string_view bytes) {
  static const mlconv::exec::KernelRegistry kernels = mlconv::exec::KernelRegistry::with_builtin_kernels();
  refuse_cleanly([&] {
    auto loaded = mlconv::spec::parse_model(bytes, "fuzz.mlmodel");
    if (!cheap_enough(loaded.model)) return;
    mlconv::exec::PredictorOptions options;
    options.kernels = &kernels;
    options.threads = 1;
    options.seed = 7;
    options.max_loop_iterations = 16;
    // As `mlconv run` does: the predictor keeps the model and frees its weight values.
    mlconv::exec::Predictor predictor(std::move(loaded.model), options);
    const auto& model = predictor.model();
    mlconv::cli::InputOptions inputs;
    inputs.random = true;
    inputs.seed = 11;
    inputs.index_inputs = mlconv::cli::embedding_index_inputs(model);
    (void)predictor.predict(mlconv::cli::prepare_inputs(model.description(), inputs));
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(model_run)
