// Fuzz target 4: rules JSON -> the rule loader -> applied to the Swish and TopK
// example graphs (matching, composite expansion, custom layers) -> export.
#include <cstdint>
#include <string_view>
#include <filesystem>
#include <vector>

#include "converter/frontends/json_graph.h"
#include "fuzz/convert_support.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"

namespace mlconv::fuzz {

void rules(std::string_view bytes) {
  // A Graph cannot be copied, and planning consumes one: each input loads its own.
  static const std::vector<std::filesystem::path> examples = {MLCONV_SOURCE_DIR "/examples/swish/model.json",
                                                              MLCONV_SOURCE_DIR "/examples/topk/model.json"};
  refuse_cleanly([&] {
    // The loader alone first, then the whole pipeline, which reads the rules from a file.
    (void)mlconv::converter::parse_rules(bytes, "rules.json");
    mlconv::converter::ConvertOptions options;
    options.rule_files.push_back(write_scratch_file("rules.json", bytes));
    for (const auto& example : examples) {
      const auto plan = mlconv::converter::plan_conversion(mlconv::converter::load_json_graph(example), options);
      convert_planned(plan, options);
    }
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(rules)
