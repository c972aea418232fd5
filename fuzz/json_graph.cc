// Fuzz target 3: JSON graph text -> the JSON frontend -> conversion plan ->
// Core ML export (`mlconv convert model.json`, with --allow-custom so that
// unknown ops still reach the exporter). External weight files resolve against
// the Swish example's directory, so seeds that name conv1.bin and dense.npy load.
#include <cstdint>
#include <string_view>

#include "converter/frontends/json_graph.h"
#include "fuzz/convert_support.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"

namespace mlconv::fuzz {

void json_graph(std::string_view bytes) {
  refuse_cleanly([&] {
    auto graph = mlconv::converter::parse_json_graph(bytes, "fuzz.json",
                                                     MLCONV_SOURCE_DIR "/examples/swish");
    mlconv::converter::ConvertOptions options;
    options.allow_custom = bytes.size() % 2 == 0;  // both paths: unsupported ops reported, and made custom layers
    const auto plan = mlconv::converter::plan_conversion(std::move(graph), options);
    convert_planned(plan, options);
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(json_graph)
